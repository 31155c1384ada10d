/**
 * A real OpenLDAP server for tests: Debian's `slapd` (installed by .ci/run), started on free loopback ports from a
 * generated slapd.conf, with an mdb database in a temporary folder, loaded through `ldapadd` so overlays (memberof)
 * see the writes. Its `-d stats` log is kept: tests count `ACCEPT` lines to prove that no connection was made.
 *
 * Options: `tls` generates a throw-away CA and a server certificate for 127.0.0.1 with openssl and serves both
 * ldaps:// and StartTLS; `memberOf` loads the memberof overlay (`memberOf` values on people, as Active Directory has).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findTool, type ToolLookup } from './tools';

/** What these tests need: Debian's slapd, ldap-utils (ldapadd, ldapmodify) and openssl (the TLS test's CA). */
export const SLAPD_TOOLS: readonly ToolLookup[] = [
  findTool('slapd', 'apt-get install slapd', ['/usr/sbin/slapd']),
  findTool('ldapadd', 'apt-get install ldap-utils'),
  findTool('openssl', 'apt-get install openssl'),
];

const run = promisify(execFile);

export const SUFFIX = 'dc=corp,dc=test';
export const ROOT_DN = `cn=admin,${SUFFIX}`;
export const ROOT_PASSWORD = 'slapd-root-secret';
export const SERVICE_DN = `cn=reader,${SUFFIX}`;
export const SERVICE_PASSWORD = 'reader-secret';

export interface SlapdOptions {
  tls?: boolean;
  memberOf?: boolean;
}

export interface Slapd {
  /** ldap://127.0.0.1:PORT */
  url: string;
  /** ldaps://127.0.0.1:PORT when started with `tls`. */
  ldapsUrl?: string;
  /** PEM file of the CA that signed the server certificate (`tls`). */
  caFile?: string;
  dir: string;
  /** Connections slapd accepted since it first started. */
  connections(): number;
  /** Everything slapd logged (its `-d stats` output). */
  log(): string;
  /** Adds entries (LDIF) as the root DN. */
  add(ldif: string): Promise<void>;
  /** Applies an LDIF change (changetype: modify ...) as the root DN. */
  modify(ldif: string): Promise<void>;
  /** Stops the server (SIGTERM) and waits for it to exit; `start()` brings it back on the same ports and data. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  destroy(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, output: () => string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`slapd exited with ${child.exitCode}:\n${output()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket: Socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`slapd did not listen on ${port} within ${timeoutMs} ms:\n${output()}`);
}

async function makeCertificates(dir: string): Promise<void> {
  const sh = (args: string[]) => run('openssl', args, { cwd: dir });
  await sh(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=ds-gateway test CA']);
  await sh(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await sh([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  ]);
}

export async function startSlapd(options: SlapdOptions = {}): Promise<Slapd> {
  const dir = mkdtempSync(join(tmpdir(), 'ds-slapd-'));
  const data = join(dir, 'data');
  await run('mkdir', ['-p', data]);
  if (options.tls) await makeCertificates(dir);
  const port = await freePort();
  const tlsPort = options.tls ? await freePort() : undefined;
  const conf = [
    'include /etc/ldap/schema/core.schema',
    'include /etc/ldap/schema/cosine.schema',
    'include /etc/ldap/schema/inetorgperson.schema',
    'include /etc/ldap/schema/nis.schema',
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    ...(options.memberOf ? ['moduleload memberof'] : []),
    `pidfile ${join(dir, 'slapd.pid')}`,
    // Like many servers: a DN with an empty password is an unauthenticated bind, answered with success.
    'allow bind_anon_dn',
    ...(options.tls
      ? [`TLSCACertificateFile ${join(dir, 'ca.pem')}`, `TLSCertificateFile ${join(dir, 'server.pem')}`, `TLSCertificateKeyFile ${join(dir, 'server.key')}`]
      : []),
    'database mdb',
    `suffix "${SUFFIX}"`,
    `rootdn "${ROOT_DN}"`,
    `rootpw ${ROOT_PASSWORD}`,
    `directory ${data}`,
    'maxsize 104857600',
    ...(options.memberOf ? ['overlay memberof'] : []),
    // Passwords: only usable to bind. Groups under ou=hidden: readable by nobody (only memberOf can tell).
    'access to attrs=userPassword by anonymous auth by self write by * none',
    `access to dn.subtree="ou=hidden,${SUFFIX}" by * none`,
    'access to * by * read',
    '',
  ].join('\n');
  const confFile = join(dir, 'slapd.conf');
  writeFileSync(confFile, conf);

  let output = '';
  let child: ChildProcess | undefined;
  const urls = [`ldap://127.0.0.1:${port}/`, ...(tlsPort ? [`ldaps://127.0.0.1:${tlsPort}/`] : [])].join(' ');
  const start = async () => {
    // -d stats: stay in the foreground and log every connection and operation to stderr.
    const proc = spawn('/usr/sbin/slapd', ['-f', confFile, '-h', urls, '-d', 'stats'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout!.on('data', (chunk) => (output += chunk));
    proc.stderr!.on('data', (chunk) => (output += chunk));
    await waitForPort(port, proc, () => output);
  };
  const stop = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await exited;
  };
  const ldap = async (tool: string, ldif: string) => {
    const proc = spawn(tool, ['-x', '-H', `ldap://127.0.0.1:${port}/`, '-D', ROOT_DN, '-w', ROOT_PASSWORD], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    proc.stderr!.on('data', (c) => (err += c));
    proc.stdout!.on('data', () => undefined);
    const code = await new Promise<number | null>((resolve) => {
      proc.once('exit', resolve);
      proc.stdin!.end(ldif);
    });
    if (code !== 0) throw new Error(`${tool} failed (${code}): ${err}`);
  };

  await start();
  const base = `dn: ${SUFFIX}
objectClass: dcObject
objectClass: organization
o: corp
dc: corp

dn: ${SERVICE_DN}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: reader
userPassword: ${SERVICE_PASSWORD}

dn: ou=people,${SUFFIX}
objectClass: organizationalUnit
ou: people

dn: ou=groups,${SUFFIX}
objectClass: organizationalUnit
ou: groups

dn: ou=hidden,${SUFFIX}
objectClass: organizationalUnit
ou: hidden
`;
  await ldap('ldapadd', base);
  return {
    url: `ldap://127.0.0.1:${port}`,
    ldapsUrl: tlsPort ? `ldaps://127.0.0.1:${tlsPort}` : undefined,
    caFile: options.tls ? join(dir, 'ca.pem') : undefined,
    dir,
    connections: () => (output.match(/ ACCEPT from /g) ?? []).length,
    log: () => output,
    add: (ldif) => ldap('ldapadd', ldif),
    modify: (ldif) => ldap('ldapmodify', ldif),
    stop,
    start,
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An LDIF person under ou=people. */
export function person(uid: string, mail: string, password: string, extra = ''): string {
  return `dn: uid=${uid},ou=people,${SUFFIX}
objectClass: inetOrgPerson
uid: ${uid}
cn: ${uid}
sn: ${uid}
mail: ${mail}
userPassword: ${password}
${extra}`;
}

/** An LDIF groupOfNames (under ou=groups unless `ou` says otherwise) listing `members` (DNs). */
export function group(cn: string, members: string[], ou = 'groups'): string {
  return `dn: cn=${cn},ou=${ou},${SUFFIX}
objectClass: groupOfNames
cn: ${cn}
${members.map((m) => `member: ${m}`).join('\n')}
`;
}

export const personDn = (uid: string) => `uid=${uid},ou=people,${SUFFIX}`;

/** A TCP listener that accepts connections and never answers: a directory that hangs. */
export async function startSilentListener(): Promise<{ url: string; accepted(): number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `ldap://127.0.0.1:${port}`,
    accepted: () => accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
