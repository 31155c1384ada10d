/** What an audit event may say: secrets masked whoever built the snapshot, only changed fields on updates. */
import { attemptedLogin, changedFields, redact, SECRET_MASK } from '../../src/audit/audit-values';

test('keys that name a secret are masked at any depth; null stays null (no secret to hide)', () => {
  expect(
    redact({
      name: 'crm',
      password: 'hunter22',
      passwordHash: '$argon2id$…',
      nested: { apiSecret: 'x', token: 'y', items: [{ privateKey: 'k', value: 1 }] },
      credential: null,
    }),
  ).toEqual({
    name: 'crm',
    password: SECRET_MASK,
    passwordHash: SECRET_MASK,
    nested: { apiSecret: SECRET_MASK, token: SECRET_MASK, items: [{ privateKey: SECRET_MASK, value: 1 }] },
    credential: null,
  });
});

test('values shaped like credentials are masked whatever their key', () => {
  const apiKey = `dsk_${'a'.repeat(12)}_${'b'.repeat(64)}`;
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
  const sealed = 'v2.k1a2b3.aXY.dGFn.c2VhbGVk';
  expect(redact({ comment: apiKey, note: jwt, value: sealed, plain: 'v1.2.3 rollout', time: new Date(0) })).toEqual({
    comment: SECRET_MASK,
    note: SECRET_MASK,
    value: SECRET_MASK,
    plain: 'v1.2.3 rollout',
    time: '1970-01-01T00:00:00.000Z',
  });
});

test('changedFields keeps only what differs, on both sides', () => {
  const before = { privilege: 'read', profile: 'developer', roles: ['a', 'b'], comment: null };
  const after = { privilege: 'admin', profile: 'developer', roles: ['a', 'b'], comment: 'x' };
  expect(changedFields(before, after)).toEqual({ before: { privilege: 'read', comment: null }, after: { privilege: 'admin', comment: 'x' } });
  expect(changedFields(before, before)).toEqual({ before: {}, after: {} });
  expect(changedFields({ roles: ['a'] }, { roles: ['a', 'b'] })).toEqual({ before: { roles: ['a'] }, after: { roles: ['a', 'b'] } });
});

test('a failed sign-in names the identifier as typed, normalized and bounded', () => {
  expect(attemptedLogin('  Jean.Lapioffe@Corp.com ')).toBe('jean.lapioffe@corp.com');
  const long = attemptedLogin('x'.repeat(5000));
  expect(long).toHaveLength(100);
  expect(long.endsWith('…')).toBe(true);
});
