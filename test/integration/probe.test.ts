import { createServer, type Server, type Socket } from 'node:net';
import { Client } from 'pg';
import { parseServerVersion, ProbeService } from '../../src/services/probe.service';
import { databaseUrl, testServer } from '../support/database';

/** A loopback server that accepts connections and never answers: the probe must give up on its own. */
let silent: Server;
const sockets: Socket[] = [];
beforeAll(async () => {
  silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  sockets.forEach((s) => s.destroy());
  await new Promise((resolve) => silent.close(resolve));
});

test('parseServerVersion keeps the version number only', () => {
  expect(parseServerVersion('16.4 (Debian 16.4-1.pgdg120+1)')).toBe('16.4');
  expect(parseServerVersion('18.1')).toBe('18.1');
  expect(parseServerVersion('18beta1')).toBe('18beta1');
});

test('a reachable PostgreSQL with valid credentials: connected, with its version', async () => {
  const server = testServer();
  const client = new Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
  await client.end();

  const outcome = await new ProbeService(2000).probe(server);
  expect(outcome).toEqual({ status: 'connected', version: parseServerVersion(rows[0]!.server_version) });
});

test('a closed port: failed, with the reason', async () => {
  const outcome = await new ProbeService(2000).probe({ host: '127.0.0.1', port: 1, user: 'x', password: 'y' });
  expect(outcome.status).toBe('failed');
  expect(outcome.status === 'failed' && outcome.error).toMatch(/ECONNREFUSED/);
});

test('a server that never answers: failed within the timeout', async () => {
  const port = (silent.address() as { port: number }).port;
  const started = Date.now();
  const outcome = await new ProbeService(300).probe({ host: '127.0.0.1', port, user: 'x', password: 'y' });
  expect(outcome.status).toBe('failed');
  expect(outcome.status === 'failed' && outcome.error).toMatch(/timeout|timed out/i);
  // Generous bound: the point is that it does not hang, not how fast the machine is.
  expect(Date.now() - started).toBeLessThan(10_000);
});

test('a name that does not resolve: failed', async () => {
  const outcome = await new ProbeService(1000).probe({ host: 'no-such-host.invalid', port: 5432, user: 'x', password: 'y' });
  expect(outcome.status).toBe('failed');
});

test('PROBE_TIMEOUT_MS=0 disables probing', async () => {
  const outcome = await new ProbeService(0).probe(testServer());
  expect(outcome).toEqual({ status: 'skipped' });
});
