/** bench/ab-report.ts: the A/B command's options, and its report of alternating pairs (pairs, medians, verdict line). */
import { abReport, median, parseAbArgs, type Round } from '../../bench/ab-report';

describe('parseAbArgs', () => {
  test('defaults: both sides this checkout, the dashboard at 10k, 8 rounds of 5 s, concurrency 8', () => {
    expect(parseAbArgs([], '/repo', '/usr/bin/node')).toEqual({
      sides: [
        { name: 'A', root: '/repo', env: {}, node: '/usr/bin/node' },
        { name: 'B', root: '/repo', env: {}, node: '/usr/bin/node' },
      ],
      screen: 'dashboard',
      size: 10_000,
      rounds: 8,
      duration: 5,
      connections: 8,
    });
  });

  test('checkouts, environments (a value may hold "="), screen and numbers', () => {
    const options = parseAbArgs(
      [
        '--a',
        '/tmp/a',
        '--b-env',
        'GRAPHQL_KNOWN_QUERIES=false,EXTRA=a=b',
        '--screen',
        'admin',
        '--size',
        '1000',
        '--rounds',
        '3',
        '--duration',
        '2',
        '--connections',
        '4',
        '--b-node',
        '/opt/node26/bin/node',
      ],
      '/repo',
      '/usr/bin/node',
    );
    expect(options.sides).toEqual([
      { name: 'A', root: '/tmp/a', env: {}, node: '/usr/bin/node' },
      { name: 'B', root: '/repo', env: { GRAPHQL_KNOWN_QUERIES: 'false', EXTRA: 'a=b' }, node: '/opt/node26/bin/node' },
    ]);
    expect([options.screen, options.size, options.rounds, options.duration, options.connections]).toEqual(['admin', 1000, 3, 2, 4]);
  });

  test.each([
    [['--b-env', 'NOVALUE'], /expected KEY=VALUE, got "NOVALUE"/],
    [['--b-env', '=x'], /expected KEY=VALUE/],
    [['--screen', 'nope'], /--screen is one of dashboard, dashboardFixed, admin, tagsUserKeys/],
    [['--rounds', '0'], /--rounds must be a positive integer/],
    [['--duration', '2.5'], /--duration must be a positive integer/],
    [['--size', 'many'], /--size must be a positive integer/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseAbArgs(argv, '/repo')).toThrow(message);
  });
});

test('median: the middle value, or the mean of the two middle ones', () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 3, 2])).toBe(2.5);
});

test('abReport: one row per measurement, medians per side, and the pairs in which B was cheaper and faster', () => {
  const round = (side: 'A' | 'B', rps: number, gateway: number): Round => ({
    side,
    rps,
    p50: 8000 / rps,
    p99: 20,
    errors: 0,
    requests: rps * 5,
    gatewayMsPerRequest: gateway,
    postgresMsPerRequest: 1,
  });
  // Rounds as the command collects them: each pair A then B, whatever order they ran in.
  const rounds = [round('A', 800, 1.0), round('B', 820, 0.9), round('A', 700, 1.1), round('B', 690, 1.2), round('A', 750, 1.0), round('B', 760, 0.95)];
  const text = abReport(rounds, parseAbArgs(['--b', '/tmp/b', '--b-env', 'X=1', '--b-node', '/opt/node26/bin/node', '--rounds', '3'], '/repo'));
  const lines = text.split('\n');
  expect(lines.slice(0, 3)).toEqual([
    'A: /repo',
    'B: /tmp/b with X=1 on /opt/node26/bin/node',
    expect.stringMatching(/^screen dashboard, 10,000 connections, 3 rounds of 5 s per side, concurrency 8, Node v/),
  ]);
  expect(lines.filter((line) => /^\| \d /.test(line))).toEqual([
    '| 1 | A | 800 | 10.00 | 20.00 | 1.000 | 1.000 | 0 |',
    '| 1 | B | 820 | 9.76 | 20.00 | 0.900 | 1.000 | 0 |',
    '| 2 | A | 700 | 11.43 | 20.00 | 1.100 | 1.000 | 0 |',
    '| 2 | B | 690 | 11.59 | 20.00 | 1.200 | 1.000 | 0 |',
    '| 3 | A | 750 | 10.67 | 20.00 | 1.000 | 1.000 | 0 |',
    '| 3 | B | 760 | 10.53 | 20.00 | 0.950 | 1.000 | 0 |',
  ]);
  expect(lines).toContain('| A | 750 | 10.67 | 1.000 | 1.000 |');
  expect(lines).toContain('| B | 760 | 10.53 | 0.950 | 1.000 |');
  expect(lines.at(-1)).toBe('B used less gateway CPU per request in 2 of 3 pairs, and answered more requests in 2 of 3.');
});
