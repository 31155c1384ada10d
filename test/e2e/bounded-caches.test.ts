/**
 * Every per-replica cache keeps to its bound under more distinct keys than it may hold, all driven through the public
 * HTTP API: resolved callers and verified tokens (many users signing in), limit verdicts, APQ documents and
 * graphql-jit states (many distinct documents). The bounds are tiny here so the test drives a few times more keys
 * than they allow; the sizes asserted are the ones the caches report.
 */
import { documentHash } from '../../src/graphql/persisted-queries';
import { DEFAULT_CACHE_BOUNDS, type CacheBounds } from '../../src/security-config';
import { startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';

const BOUNDS: CacheBounds = {
  principals: 3,
  verifiedTokens: 3,
  limitVerdicts: 4096, // characters × 4: a few dozen small documents
  persistedDocuments: 1024, // characters: about 30 of the documents below
  compiledDocuments: 5,
};

let gw: TestGateway;
let admin: string;
beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0, cacheBounds: BOUNDS });
  admin = await gw.token();
});
afterAll(() => gw?.stop());

const sizes = () => ({
  principals: gw.gateway.services.principalCache.size,
  verifiedTokens: gw.gateway.services.auth.verifiedTokenCount,
  ...gw.gateway.http.cacheSizes(),
});

async function post(body: unknown, token: string): Promise<GraphQLResponse> {
  const response = await fetch(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return (await response.json()) as GraphQLResponse;
}

test('the production bounds are finite', () => {
  for (const bound of Object.values(DEFAULT_CACHE_BOUNDS)) expect(Number.isFinite(bound) && bound > 0).toBe(true);
});

test('resolved callers and verified tokens stay at their bound as more users than it holds sign in', async () => {
  const USERS = 10;
  for (let i = 0; i < USERS; i += 1) {
    await gw.gqlOk(
      `mutation($e: String!) { createUser(email: $e, input: { password: "password-${i}-long", privilege: READ }) { login } }`,
      { e: `bounded${i}@corp.example` },
      admin,
    );
  }
  for (let round = 0; round < 2; round += 1) {
    for (let i = 0; i < USERS; i += 1) {
      const token = await gw.token(`bounded${i}`, `password-${i}-long`);
      const me = await post({ query: '{ me { login } }' }, token);
      expect(me.data).toEqual({ me: { login: `bounded${i}` } }); // evictions never serve another caller
      expect(sizes().principals).toBeLessThanOrEqual(BOUNDS.principals);
      expect(sizes().verifiedTokens).toBeLessThanOrEqual(BOUNDS.verifiedTokens);
    }
  }
  expect(sizes().principals).toBe(BOUNDS.principals);
  expect(sizes().verifiedTokens).toBe(BOUNDS.verifiedTokens);
});

test('limit verdicts, APQ documents and compiled documents stay at their bound under many distinct documents', async () => {
  const DOCUMENTS = 120;
  const documents = Array.from({ length: DOCUMENTS }, (_, i) => `query Q${i} { me { login } }`);
  for (const query of documents) {
    const result = await post({ query, extensions: { persistedQuery: { version: 1, sha256Hash: documentHash(query) } } }, admin);
    expect(result.data).toEqual({ me: { login: 'datasentinel' } });
    const now = sizes();
    expect(now.compiledDocuments).toBeLessThanOrEqual(BOUNDS.compiledDocuments);
    expect(now.persistedDocumentsSize).toBeLessThanOrEqual(BOUNDS.persistedDocuments);
    expect(now.limitVerdictsSize).toBeLessThanOrEqual(BOUNDS.limitVerdicts);
  }
  const after = sizes();
  expect(after.compiledDocuments).toBe(BOUNDS.compiledDocuments);
  expect(after.persistedDocuments).toBeGreaterThan(0);
  expect(after.persistedDocuments).toBeLessThan(DOCUMENTS / 2);
  expect(after.limitVerdicts).toBeGreaterThan(0);
  expect(after.limitVerdicts).toBeLessThan(DOCUMENTS / 2);

  // Least recently used first: the last document is still served by hash, the first one was evicted.
  const byHash = (query: string) => post({ extensions: { persistedQuery: { version: 1, sha256Hash: documentHash(query) } } }, admin);
  expect((await byHash(documents[DOCUMENTS - 1]!)).data).toEqual({ me: { login: 'datasentinel' } });
  expect((await byHash(documents[0]!)).errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
});
