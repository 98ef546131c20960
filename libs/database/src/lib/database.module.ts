import { ConfigurableModuleBuilder, Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Database } from './database';
import { openDatabase, type DatabaseOptions } from './open-database';

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } = new ConfigurableModuleBuilder<DatabaseOptions>({ moduleName: 'Database' })
  .setClassMethodName('forRoot')
  .build();

/**
 * Provides `Database`, migrated, everywhere. Import it before PubSubModule (`infrastructureModules`
 * of @mediamagic/runtime does), so the handlers PubSubModule drains at shutdown still have it.
 */
@Global()
@Module({
  providers: [
    {
      provide: Database,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: (options: DatabaseOptions) => openDatabase({ logger: new Logger('Database'), ...options }),
    },
  ],
  exports: [Database],
})
export class DatabaseModule extends ConfigurableModuleClass implements OnApplicationShutdown {
  constructor(@Inject(Database) private readonly db: Database) {
    super();
  }

  onApplicationShutdown(): Promise<void> {
    return this.db.close();
  }
}
