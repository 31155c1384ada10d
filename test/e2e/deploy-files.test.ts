/**
 * The deployment files (Dockerfile, deploy/compose.yaml, deploy/kubernetes, deploy/monitoring) cannot drift from the
 * gateway: they parse, the environment variables they set are ones the gateway reads, the probes and the migration
 * command name real endpoints and entry points, and every metric (and label) the alert rules and the Grafana
 * dashboard query is served by a running gateway's /metrics. `.ci/run` also runs `promtool check rules`.
 * What is not exercised here is the image build itself (these machines cannot pull base images).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startNodeFlags } from '../../bench/process';
import { startTestGateway, type TestGateway } from '../support/gateway';

const ROOT = join(__dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

function filesUnder(dir: string, pattern: RegExp): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path, pattern);
    return pattern.test(entry.name) ? [path] : [];
  });
}

/** Every YAML document of a file; a syntax error fails the test that asks. */
function yamlDocuments(path: string): any[] {
  // `merge`: compose files share settings with `<<: *anchor`.
  return parseAllDocuments(read(path), { merge: true }).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS();
  });
}

/** Environment variable names the gateway reads: `env.NAME` and `(env, 'NAME'` anywhere in src/. */
function variablesReadBySource(): Set<string> {
  const names = new Set<string>();
  for (const file of filesUnder('src', /\.ts$/)) {
    for (const match of read(file).matchAll(/\benv\.([A-Z][A-Z0-9_]+)|\(env, '([A-Z][A-Z0-9_]+)'/g)) names.add((match[1] ?? match[2])!);
  }
  return names;
}

/** Node.js's own variables. */
const NOT_GATEWAY_CONFIG = new Set(['NODE_OPTIONS']);

/** A compose value with its `${VARIABLE…}` references replaced, as compose would with VARIABLE=value. */
const interpolated = (value: string) => value.replace(/\$\{[A-Z_]+(?::?[-?][^}]*)?\}/g, 'value');
const hostOf = (url: string) => new URL(interpolated(url)).host;

const manifests = () => filesUnder('deploy/kubernetes', /\.ya?ml$/).flatMap((path) => yamlDocuments(path).map((doc) => ({ path, doc })));
const ofKind = (kind: string) => manifests().filter(({ doc }) => doc?.kind === kind);

describe('deployment files', () => {
  test('every YAML and JSON file under deploy/ parses', () => {
    const yamlFiles = filesUnder('deploy', /\.ya?ml$/);
    expect(yamlFiles.map((p) => relative('deploy', p)).sort()).toEqual(
      expect.arrayContaining([
        'compose.yaml',
        'kubernetes/deployment.yaml',
        'kubernetes/migrate-job.yaml',
        'kubernetes/pdb.yaml',
        'kubernetes/service.yaml',
        'monitoring/alerts.yaml',
      ]),
    );
    for (const path of yamlFiles) expect(yamlDocuments(path).length).toBeGreaterThan(0);
    for (const path of filesUnder('deploy', /\.json$/)) expect(() => JSON.parse(read(path))).not.toThrow();
  });

  test('the gateway containers set only variables the gateway reads', () => {
    const known = variablesReadBySource();
    // Sanity: the scan finds the configuration.
    expect([...known]).toEqual(expect.arrayContaining(['PORT', 'HOST', 'DATABASE_URL', 'LISTEN_DATABASE_URL', 'JWT_SECRET', 'ENCRYPTION_KEY', 'TRUST_PROXY']));
    const used: { where: string; name: string }[] = [];
    const dockerEnv = [...read('Dockerfile').matchAll(/^ENV\s+((?:.*\\\n)*.*)$/gm)].flatMap((m) =>
      [...m[1]!.matchAll(/([A-Z][A-Z0-9_]+)=/g)].map((n) => n[1]!),
    );
    used.push(...dockerEnv.map((name) => ({ where: 'Dockerfile', name })));
    const compose = yamlDocuments('deploy/compose.yaml')[0];
    for (const service of ['migrate', 'gateway']) {
      for (const name of Object.keys(compose.services[service].environment)) used.push({ where: `compose ${service}`, name });
    }
    for (const { path, doc } of [...ofKind('Deployment'), ...ofKind('Job')]) {
      for (const container of doc.spec.template.spec.containers) {
        for (const { name } of container.env ?? []) used.push({ where: path, name });
      }
    }
    const unknown = used.filter(({ name }) => !known.has(name) && !NOT_GATEWAY_CONFIG.has(name));
    expect(unknown).toEqual([]);
    expect(dockerEnv).toEqual(expect.arrayContaining(['HOST', 'NODE_ENV', 'PORT']));
  });

  test('Dockerfile: Node 24 LTS, production dependencies only, non-root, health check, the built entry point', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile.match(/^FROM node:24[-\w.]* AS \w+$/gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^ENV NODE_ENV=production \\\n\s+HOST=0\.0\.0\.0/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/healthz/m);
    // The image runs the gateway with npm start's Node flags (young generation, heap growth: docs/operating.md).
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(JSON.parse(entrypoint ?? '[]')).toEqual(['node', ...startNodeFlags(), 'dist/src/main.js']);
    expect(startNodeFlags()).toEqual(['--max-semi-space-size=8', '--heap-growing-percent=100']);
    // What the build copies from the repository exists (the last word of a COPY is its destination).
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/).slice(0, -1));
    expect(copied).toEqual(expect.arrayContaining(['package-lock.json', 'src', 'migrations']));
    for (const path of copied) expect([path, existsSync(join(ROOT, path))]).toEqual([path, true]);
    // The entry points the image and the manifests run are built from these sources.
    expect(existsSync(join(ROOT, 'src/main.ts')) && existsSync(join(ROOT, 'src/cli/index.ts'))).toBe(true);
    const ignored = read('.dockerignore').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.data', '.git']));
    expect(ignored).not.toContain('patches');
    // npm's postinstall applies patches/ (patch-package) to the dependencies: each stage's `npm ci` needs them.
    for (const stage of dockerfile.split(/^FROM /m).slice(1)) {
      const install = stage.indexOf('RUN npm ci');
      expect([stage.slice(0, 20), install > 0 && stage.slice(0, install).includes('COPY patches ./patches')]).toEqual([stage.slice(0, 20), true]);
    }
  });

  test('compose: PostgreSQL, PgBouncer in transaction mode, a one-shot migration, two replicas, a load balancer', () => {
    const { services } = yamlDocuments('deploy/compose.yaml')[0];
    expect(Object.keys(services).sort()).toEqual(['gateway', 'loadbalancer', 'migrate', 'pgbouncer', 'postgres']);
    expect(services.pgbouncer.environment.POOL_MODE).toBe('transaction');
    const gateway = services.gateway;
    expect(gateway.deploy.replicas).toBe(2);
    expect(hostOf(gateway.environment.DATABASE_URL)).toBe('pgbouncer:6432');
    expect(hostOf(gateway.environment.LISTEN_DATABASE_URL)).toBe('postgres:5432');
    expect(gateway.environment.MIGRATE_ON_START).toBe('false');
    expect(gateway.depends_on.migrate.condition).toBe('service_completed_successfully');
    expect([...services.migrate.entrypoint, ...services.migrate.command]).toEqual(['node', 'dist/src/cli/index.js', 'migrate']);
    expect(hostOf(services.migrate.environment.DATABASE_URL)).toBe('postgres:5432');
    expect(services.loadbalancer.volumes).toEqual(['./nginx.conf:/etc/nginx/nginx.conf:ro']);
    expect(read('deploy/nginx.conf')).toMatch(/server gateway:4000/);
  });

  test('kubernetes: probes, a disruption budget and a Service that select the Deployment, secrets, a grace period covering the drain', () => {
    const [{ doc: deployment }] = ofKind('Deployment');
    const labels = deployment.spec.template.metadata.labels;
    expect(deployment.spec.selector.matchLabels).toEqual(labels);
    const [{ doc: pdb }] = ofKind('PodDisruptionBudget');
    expect(pdb.spec.selector.matchLabels).toEqual(labels);
    const [{ doc: service }] = ofKind('Service');
    expect(service.spec.selector).toEqual(labels);

    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(service.spec.ports[0].targetPort).toBe(container.ports[0].name);
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e]));
    for (const secret of ['JWT_SECRET', 'ENCRYPTION_KEY', 'DATABASE_URL', 'LISTEN_DATABASE_URL']) {
      expect(env[secret].valueFrom.secretKeyRef).toEqual({ name: 'ds-gateway', key: secret });
    }
    expect(env.HOST.value).toBe('0.0.0.0');
    // SIGTERM comes after preStop; the process then drains for SHUTDOWN_GRACE_MS before the kubelet's SIGKILL.
    const preStopSeconds = Number(container.lifecycle.preStop.exec.command[1]);
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(preStopSeconds * 1000 + Number(env.SHUTDOWN_GRACE_MS.value));
    expect(pod.securityContext.runAsNonRoot).toBe(true);

    const [{ doc: job }] = ofKind('Job');
    const [migrate] = job.spec.template.spec.containers;
    expect(migrate.command).toEqual(['node', 'dist/src/cli/index.js', 'migrate']);
    expect(migrate.image).toBe(container.image);
    // The secret keys the manifests reference are the ones the example Secret documents.
    const [{ doc: secret }] = ofKind('Secret');
    const referenced = [...pod.containers, migrate].flatMap((c: any) =>
      c.env.flatMap((e: any) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.key] : [])),
    );
    expect(Object.keys(secret.stringData)).toEqual(expect.arrayContaining([...new Set(referenced)]));
  });
});

/** promtool (Debian's `prometheus` package), or `undefined`. */
function findPromtool(): string | undefined {
  return ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((path) => existsSync(path));
}

describe('monitoring: the alert rules are valid and fire when they should (promtool)', () => {
  const promtool = findPromtool();
  if (!promtool) {
    const reason = 'promtool is not installed (apt-get install prometheus)';
    if (process.env.CI === 'true') throw new Error(`${reason}; CI must run these checks`);
    process.stderr.write(`skipped the promtool checks: ${reason}\n`);
  }
  const run = (...args: string[]) => execFileSync(promtool!, args, { cwd: join(ROOT, 'deploy/monitoring'), encoding: 'utf8', stdio: 'pipe' });
  (promtool ? test : test.skip)('promtool check rules, then the unit tests of alerts.test.yaml', () => {
    expect(run('check', 'rules', 'alerts.yaml')).toMatch(/SUCCESS: \d+ rules found/);
    expect(run('test', 'rules', 'alerts.test.yaml')).toMatch(/SUCCESS/);
  });
});

describe('monitoring: every metric the alerts and the dashboard query is served by /metrics', () => {
  let gw: TestGateway;
  let scrape: string;

  beforeAll(async () => {
    gw = await startTestGateway();
    // Traffic of each kind, so every labelled series has a sample: GraphQL (with an error), REST, /readyz, and a
    // statement PostgreSQL refuses (division by zero, SQLSTATE class 22).
    await gw.gql('query Probe { me { login } }');
    await fetch(`${gw.url}/ds-api/users`);
    await fetch(`${gw.url}/readyz`);
    await expect(gw.gateway.dataSource.query('SELECT 1 / 0')).rejects.toThrow(/division by zero/);
    scrape = await (await fetch(`${gw.url}/metrics`)).text();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  /** Series names the scrape can serve (histograms expand to _bucket, _sum, _count), with the labels seen on each. */
  function served(): Map<string, Set<string>> {
    const series = new Map<string, Set<string>>();
    for (const [, name, type] of scrape.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      const names =
        type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : type === 'summary' ? [name!, `${name}_sum`, `${name}_count`] : [name!];
      for (const n of names) series.set(n, new Set());
    }
    for (const [, name, labels] of scrape.matchAll(/^([a-zA-Z_:][\w:]*)\{([^}]*)\}/gm)) {
      for (const [, label] of labels!.matchAll(/(\w+)="/g)) series.get(name!)?.add(label!);
    }
    return series;
  }

  /** Every PromQL expression of the rules and the dashboard (panels and template variables). */
  function expressions(): { where: string; expr: string }[] {
    const rules = yamlDocuments('deploy/monitoring/alerts.yaml')[0].groups.flatMap((g: any) =>
      g.rules.map((r: any) => ({ where: `alert ${r.alert}`, expr: String(r.expr) })),
    );
    const dashboard = JSON.parse(read('deploy/monitoring/grafana-dashboard.json'));
    const panels = dashboard.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => ({ where: `panel "${p.title}"`, expr: String(t.expr) })));
    const variables = dashboard.templating.list
      .filter((v: any) => v.type === 'query')
      .map((v: any) => ({ where: `variable ${v.name}`, expr: String(v.definition) }));
    return [...rules, ...panels, ...variables];
  }

  // Added by Prometheus to every target, not served by the target itself.
  const PROMETHEUS_METRICS = new Set(['up']);
  const TARGET_LABELS = new Set(['job', 'instance']);

  test('the new database error counter counts a refused statement by SQLSTATE class', () => {
    expect(scrape).toMatch(/^ds_gateway_db_errors_total\{class="22"\} 1$/m);
  });

  test('metric and label names in deploy/monitoring exist in the scrape', () => {
    const series = served();
    const exprs = expressions();
    expect(exprs.length).toBeGreaterThan(20);
    const problems: string[] = [];
    let checked = 0;
    for (const { where, expr } of exprs) {
      // Selectors with matchers: the metric, and each label it is matched on.
      for (const [, name, matchers] of expr.matchAll(/([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g)) {
        checked += 1;
        if (PROMETHEUS_METRICS.has(name!)) continue;
        const labels = series.get(name!);
        if (!labels) {
          problems.push(`${where}: ${name} is not served`);
          continue;
        }
        for (const [, label] of matchers!.matchAll(/(\w+)\s*(?:=~|!~|!=|=)\s*"/g)) {
          if (!labels.has(label!) && !TARGET_LABELS.has(label!)) problems.push(`${where}: ${name} has no label ${label}`);
        }
      }
      // Bare names of the gateway's families too (e.g. inside functions, without a selector).
      for (const [name] of expr.matchAll(/\b(?:ds_gateway|process|nodejs)_\w+/g)) {
        if (!series.has(name)) problems.push(`${where}: ${name} is not served`);
      }
      // Labels aggregated by must exist on some served series.
      for (const [, list] of expr.matchAll(/\bby\s*\(([^)]*)\)/g)) {
        for (const label of list!.split(',').map((l) => l.trim())) {
          if (!TARGET_LABELS.has(label) && ![...series.values()].some((set) => set.has(label))) problems.push(`${where}: no series has label ${label}`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });
});
