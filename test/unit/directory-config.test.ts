/**
 * Escaping of untrusted values in LDAP filters (RFC 4515) and DNs (RFC 4514), and the validation of the LDAP_*
 * variables at start: every bad value is refused with a message naming its variable.
 */
import { escapeDnValue, escapeFilterValue, fillTemplate } from '../../src/directory/escape';
import { loadDirectoryConfig, normalizeDn } from '../../src/security-config';

test.each([
  ['alice', 'alice'],
  ['*', '\\2a'],
  ['a)(uid=*', 'a\\29\\28uid=\\2a'],
  ['back\\slash', 'back\\5cslash'],
  ['nul\u0000byte', 'nul\\00byte'],
  ['jean.lapioffe@corp.com', 'jean.lapioffe@corp.com'],
  ['émilie', 'émilie'],
])('filter value %j is written %j', (value, escaped) => {
  expect(escapeFilterValue(value)).toBe(escaped);
});

test.each([
  ['alice', 'alice'],
  ['doe, john', 'doe\\, john'],
  ['a+b=c', 'a\\+b\\=c'],
  ['#hash', '\\#hash'],
  [' lead', '\\ lead'],
  ['trail ', 'trail\\ '],
  ['"q";<x>\\', '\\"q\\"\\;\\<x\\>\\\\'],
])('DN value %j is written %j', (value, escaped) => {
  expect(escapeDnValue(value)).toBe(escaped);
});

test('templates: every placeholder is replaced with its escaped value', () => {
  expect(fillTemplate('(|(uid={login})(mail={email}))', { login: 'a*', email: 'x)(y@z' }, escapeFilterValue)).toBe('(|(uid=a\\2a)(mail=x\\29\\28y@z))');
  expect(fillTemplate('uid={login},ou=people', { login: 'x,ou=admins', email: '' }, escapeDnValue)).toBe('uid=x\\,ou\\=admins,ou=people');
});

test('DNs compare without case or blanks around separators', () => {
  expect(normalizeDn(' CN=Sales, OU=Groups ,DC=corp ')).toBe(normalizeDn('cn=sales,ou=groups,dc=corp'));
});

const base = { LDAP_URL: 'ldap://ldap.corp.test', LDAP_USER_BASE: 'ou=people,dc=corp,dc=test' };

test('defaults', () => {
  expect(loadDirectoryConfig({})).toBeNull();
  expect(loadDirectoryConfig(base)).toEqual({
    url: 'ldap://ldap.corp.test',
    startTls: false,
    ca: undefined,
    caFile: undefined,
    bindDn: undefined,
    bindPassword: undefined,
    userBase: 'ou=people,dc=corp,dc=test',
    userFilter: '(mail={email})',
    timeoutMs: 3000,
    groupRoles: null,
    autoProvision: false,
    defaultPrivilege: 'read',
    defaultProfile: 'developer',
  });
  const mapped = loadDirectoryConfig({
    ...base,
    LDAP_GROUP_ROLES: '{"CN=DBA, OU=Groups,DC=corp": ["production", "staging"]}',
    LDAP_DEFAULT_PRIVILEGE: 'read_write',
    LDAP_DEFAULT_PROFILE: 'DATA_ADMIN',
  })!;
  expect([...mapped.groupRoles!]).toEqual([['cn=dba,ou=groups,dc=corp', ['production', 'staging']]]);
  expect([mapped.defaultPrivilege, mapped.defaultProfile]).toEqual(['read write', 'data admin']);
});

test.each([
  [{ LDAP_USER_BASE: 'ou=people' }, /LDAP_USER_BASE is set but LDAP_URL is not/],
  [{ LDAP_URL: 'http://ldap.corp.test', LDAP_USER_BASE: 'o=x' }, /LDAP_URL must be ldap:\/\/host/],
  [{ LDAP_URL: 'ldap://ldap.corp.test' }, /LDAP_USER_BASE is required/],
  [{ ...base, LDAP_URL: 'ldaps://ldap.corp.test', LDAP_START_TLS: 'true' }, /LDAP_START_TLS applies to ldap:\/\//],
  [{ ...base, LDAP_START_TLS: 'maybe' }, /LDAP_START_TLS must be true or false/],
  [{ ...base, LDAP_CA_FILE: '/nonexistent/ca.pem' }, /LDAP_CA_FILE: cannot read/],
  [{ ...base, LDAP_BIND_DN: 'cn=reader' }, /LDAP_BIND_PASSWORD is required with LDAP_BIND_DN/],
  [{ ...base, LDAP_BIND_PASSWORD: 'x' }, /LDAP_BIND_PASSWORD is set but LDAP_BIND_DN is not/],
  [{ ...base, LDAP_USER_FILTER: 'mail={email}' }, /LDAP_USER_FILTER must be a parenthesized LDAP filter/],
  [{ ...base, LDAP_USER_FILTER: '(objectClass=person)' }, /LDAP_USER_FILTER must be a parenthesized LDAP filter naming \{login\} or \{email\}/],
  [{ ...base, LDAP_USER_FILTER: '(uid={user})' }, /LDAP_USER_FILTER must|unknown placeholder \{user\}/],
  [{ ...base, LDAP_USER_FILTER: '(&(uid={login})(cn={name}))' }, /unknown placeholder \{name\}/],
  [{ ...base, LDAP_TIMEOUT_MS: '0' }, /LDAP_TIMEOUT_MS must be between 1/],
  [{ ...base, LDAP_TIMEOUT_MS: 'soon' }, /LDAP_TIMEOUT_MS must be a positive integer/],
  [{ ...base, LDAP_GROUP_ROLES: 'cn=dba: production' }, /LDAP_GROUP_ROLES must be a JSON object/],
  [{ ...base, LDAP_GROUP_ROLES: '["production"]' }, /LDAP_GROUP_ROLES must be a JSON object/],
  [{ ...base, LDAP_GROUP_ROLES: '{}' }, /LDAP_GROUP_ROLES must map at least one group/],
  [{ ...base, LDAP_GROUP_ROLES: '{"dba": ["production"]}' }, /LDAP_GROUP_ROLES: "dba" is not a DN/],
  [{ ...base, LDAP_GROUP_ROLES: '{"cn=dba,dc=corp": []}' }, /LDAP_GROUP_ROLES: the roles of "cn=dba,dc=corp" must be a non-empty list of role names/],
  [{ ...base, LDAP_GROUP_ROLES: '{"cn=dba,dc=corp": ["prod uction"]}' }, /LDAP_GROUP_ROLES: the roles of/],
  [{ ...base, LDAP_AUTO_PROVISION: 'sometimes' }, /LDAP_AUTO_PROVISION must be true or false/],
  [{ ...base, LDAP_DEFAULT_PRIVILEGE: 'root' }, /LDAP_DEFAULT_PRIVILEGE must be one of READ, READ_WRITE, ADMIN/],
  [{ ...base, LDAP_DEFAULT_PROFILE: 'manager' }, /LDAP_DEFAULT_PROFILE must be one of DEVELOPER, DATA_ADMIN/],
])('refused at start: %j', (env, message) => {
  expect(() => loadDirectoryConfig(env)).toThrow(message);
});
