/**
 * Partner automation with Ansible (issue 12): the playbooks of test/ansible, written like the vendor's toolkit (the
 * `uri` module, Basic auth with `force_basic_auth`, `status_code` lists, JSON bodies, `validate_certs: False`, and a
 * shared `create_user_token` role that reads the token's details by `GET ?token=` without credentials), run by a real
 * `ansible-playbook` (Debian's ansible-core, installed by .ci/run) against the gateway behind a TLS terminator.
 * Every answer is asserted inside the playbooks; a failed task fails the run (no `rescue` blocks).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from '../support/gateway';
import { startTlsProxy, type TlsProxy } from '../support/tls-proxy';
import { describeWithTools, findTool } from '../support/tools';

const ANSIBLE = findTool('ansible-playbook', 'apt-get install ansible-core', ['/usr/bin/ansible-playbook']);

describeWithTools('the partner playbooks run by ansible-playbook behind TLS', [ANSIBLE, findTool('openssl', 'apt-get install openssl')], () => {
  const ANSIBLE_PLAYBOOK = ANSIBLE.path!;
  const PLAYBOOKS = join(__dirname, '../ansible');

  let gw: TestGateway;
  let proxy: TlsProxy;
  let home: string;

  beforeAll(async () => {
    // No probe: the playbooks' hosts are unresolvable .invalid names anyway.
    gw = await startTestGateway({ probeTimeoutMs: 0, trustProxy: 'loopback' });
    proxy = await startTlsProxy(gw.url);
    home = mkdtempSync(join(tmpdir(), 'ds-ansible-'));
  });

  afterAll(async () => {
    await proxy?.stop();
    await gw?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  interface Run {
    code: number;
    output: string;
  }

  function playbook(name: string, extraVars: Record<string, string>): Promise<Run> {
    return new Promise((resolve) => {
      execFile(
        ANSIBLE_PLAYBOOK,
        ['-i', 'localhost,', '-c', 'local', '-e', JSON.stringify(extraVars), join(PLAYBOOKS, name)],
        {
          cwd: PLAYBOOKS,
          env: {
            PATH: process.env.PATH,
            HOME: home,
            ANSIBLE_HOME: join(home, '.ansible'),
            ANSIBLE_LOCAL_TEMP: join(home, 'tmp'),
            ANSIBLE_NOCOLOR: '1',
            ANSIBLE_RETRY_FILES_ENABLED: '0',
            ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
            ANSIBLE_LOCALHOST_WARNING: '0',
            // The partner's view: no proxy between ansible and the terminator.
            NO_PROXY: '*',
          },
          maxBuffer: 16 * 1024 * 1024,
        },
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: `${stdout}\n${stderr}` }),
      );
    });
  }

  function recap(output: string): Record<string, number> {
    const line = /localhost\s*:\s*(ok=.*)$/m.exec(output)?.[1] ?? '';
    return Object.fromEntries([...line.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
  }

  /** A clean run; otherwise fails with the end of ansible's output, which names the failed task and why. */
  function expectSuccess(run: Run): void {
    const summary = recap(run.output);
    if (run.code !== 0 || summary.failed !== 0 || summary.unreachable !== 0) {
      throw new Error(`ansible-playbook failed (exit ${run.code}):\n${run.output.slice(-6000)}`);
    }
    expect(summary.ok).toBeGreaterThan(5);
  }

  const vars = (runId: string) => ({
    datasentinel_host: proxy.host,
    datasentinel_user: 'datasentinel',
    datasentinel_password: ADMIN_PASSWORD,
    run_id: runId,
  });

  test('token role: POST /ds-api/user-token with Basic auth, then the details by GET ?token= without credentials', async () => {
    const run = await playbook('connections_api.yml', vars('c1'));
    expectSuccess(run);
    // Through the terminator, and the details request carried no credentials (the role sends none).
    expect(proxy.requests).toEqual(expect.arrayContaining(['POST /ds-api/user-token', 'GET /ds-api/user-token']));
    expect(run.output).toMatch(/TASK \[create_user_token : Read the token's details without credentials\][^]*?ok: \[localhost\]/);
    // The whole connection life ran: create, display, update, disable, display, enable, delete, 404.
    for (const method of ['POST', 'GET', 'PUT', 'PATCH', 'DELETE']) {
      expect(proxy.requests).toContain(
        `${method} ${method === 'PATCH' ? '/ds-api/pool/pg-instances/crm-production-c1/disable' : '/ds-api/pool/pg-instances/crm-production-c1'}`,
      );
    }
  }, 300_000);

  test('roles and users: create, conflict, display, update, list, holders, refused delete, delete', async () => {
    const run = await playbook('access_api.yml', vars('a1'));
    expectSuccess(run);
    // Nothing left behind.
    const admin = await gw.token();
    const left = await gw.gqlOk<{ users: { email: string }[]; roles: { name: string }[] }>(`{ users { email } roles { name } }`, {}, admin);
    expect(left.users.map((u) => u.email).filter((e) => e.includes('a1@'))).toEqual([]);
    expect(left.roles.map((r) => r.name)).not.toContain('partner-role-a1');
  }, 300_000);

  test('bulk: 15 connections declared in a loop, listed with their hosts and tags, then deleted', async () => {
    const before = proxy.requests.length;
    const run = await playbook('bulk_connections.yml', vars('b1'));
    expectSuccess(run);
    const mine = proxy.requests.slice(before);
    expect(mine.filter((r) => /^POST \/ds-api\/pool\/pg-instances\/bulk-b1-\d\d$/.test(r))).toHaveLength(15);
    expect(mine.filter((r) => /^DELETE \/ds-api\/pool\/pg-instances\/bulk-b1-\d\d$/.test(r))).toHaveLength(15);
    const admin = await gw.token();
    const left = await gw.gqlOk<{ connections: { totalCount: number } }>(`{ connections(filter: { search: "bulk-b1" }) { totalCount } }`, {}, admin);
    expect(left.connections.totalCount).toBe(0);
  }, 300_000);

  test('a playbook whose expectation is wrong fails the run (the test can fail)', async () => {
    // The role reads the details of the token it was given: with the wrong password the first task already fails.
    const run = await playbook('connections_api.yml', { ...vars('f1'), datasentinel_password: 'not-the-password' });
    expect(run.code).not.toBe(0);
    expect(recap(run.output).failed).toBe(1);
    expect(run.output).toMatch(/Status code was 401 and not \[201\]/);
  }, 300_000);
});
