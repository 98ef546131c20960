export { Database, isUniqueViolation, type Queryable } from './lib/database';
export { migrate, type Migration } from './lib/migrate';
export { openDatabase, type DatabaseOptions } from './lib/open-database';
export { DatabaseModule } from './lib/database.module';
export { once, IDEMPOTENCY_KEYS_TABLE, IdempotencyKeyReusedError, type Once } from './lib/idempotency';
