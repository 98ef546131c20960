// (Re)creates one empty PostgreSQL database per service that has one (services.json) on the server at
// the given URL, e.g.
//   node scripts/create-databases.mjs postgres://postgres@127.0.0.1:5432
// Each service then gets DATABASE_URL=<url>/<its database> and runs its migrations at start.
import pg from 'pg';
import { services } from './services.mjs';

const DATABASES = services.flatMap(({ database }) => (database ? [database] : []));

const url = process.argv[2];
if (!url) {
  console.error('usage: node scripts/create-databases.mjs <postgres://user@host:port>');
  process.exit(2);
}
const admin = new pg.Client({ connectionString: `${url.replace(/\/$/, '')}/postgres` });
await admin.connect();
try {
  for (const name of DATABASES) {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
  }
  console.log(`created ${DATABASES.join(', ')}`);
} finally {
  await admin.end();
}
