/**
 * Escaping of untrusted values put into LDAP filters and DNs: the classic LDAP injection is a login such as `*`
 * (matches every entry) or `a)(uid=*` (closes the filter and adds a clause). No GraphQL or HTTP here.
 */

/**
 * RFC 4515 section 3: in an assertion value, `*`, `(`, `)`, `\` and NUL must be written `\XX`. Every other
 * character is left alone (UTF-8 is valid in a filter string).
 *
 * @example escapeFilterValue('a)(uid=*') === 'a\\29\\28uid=\\2a'
 */
export function escapeFilterValue(value: string): string {
  // eslint-disable-next-line no-control-regex -- NUL is one of the characters RFC 4515 requires escaped
  return value.replace(/[*()\\\u0000]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * RFC 4514 section 2.4: in an attribute value of a DN, `"`, `+`, `,`, `;`, `<`, `>`, `\` are escaped with a
 * backslash, and so are a leading space or `#` and a trailing space; NUL is written `\00`.
 *
 * @example escapeDnValue('doe, john') === 'doe\\, john'
 */
export function escapeDnValue(value: string): string {
  let escaped = value.replace(/[\\"+,;<>=]/g, (c) => `\\${c}`).replaceAll('\u0000', '\\00');
  if (/^[ #]/.test(escaped)) escaped = `\\${escaped}`;
  if (/ $/.test(escaped) && !/\\ $/.test(escaped)) escaped = `${escaped.slice(0, -1)}\\ `;
  return escaped;
}

/** Replaces `{login}` and `{email}` in a template, each value escaped with `escape`. */
export function fillTemplate(template: string, values: { login: string; email: string }, escape: (value: string) => string): string {
  return template.replace(/\{(login|email)\}/g, (_, name: 'login' | 'email') => escape(values[name]));
}
