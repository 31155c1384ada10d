/**
 * A raw HTTP client for the REST tests (not a test file itself). Uses node:http, not fetch, so paths go out exactly
 * as written (fetch would normalize `..` and `%2e%2e` away) and any body bytes can be sent.
 *
 * Every exchange is checked against the committed OpenAPI document (test/support/openapi-check.ts): a request or an
 * answer the document does not describe rejects the call, so the test that made it fails.
 */
import { request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { LooseJson } from '../support/gateway';
import { openApiChecker, type Exchange } from '../support/openapi-check';

const documentCheck = openApiChecker();

/** `T`: the body's shape, loosely typed JSON by default (see LooseJson). */
export interface RestResponse<T = LooseJson> {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed JSON body (`undefined` when the body is empty or not JSON). */
  body: T;
}

export interface RestOptions {
  /** Sent in the `user-token` header. */
  token?: string;
  /** HTTP Basic credentials. */
  basic?: { login: string; password: string };
  /** A value to send as JSON, or raw bytes / text sent as is. */
  json?: unknown;
  raw?: string | Buffer;
  headers?: OutgoingHttpHeaders;
}

export function basicHeader(login: string, password: string): string {
  return `Basic ${Buffer.from(`${login}:${password}`, 'utf8').toString('base64')}`;
}

export class OpenApiMismatch extends Error {
  constructor(readonly problems: string[]) {
    super(`REST exchange does not match schema/openapi.json:\n- ${problems.join('\n- ')}`);
    this.name = 'OpenApiMismatch';
  }
}

/** `check`: the document check (default: schema/openapi.json). */
export function restClient(baseUrl: string, check: (exchange: Exchange) => string[] = documentCheck) {
  const base = new URL(baseUrl);
  const call = <T = LooseJson>(method: string, path: string, options: RestOptions = {}): Promise<RestResponse<T>> =>
    new Promise((resolve, reject) => {
      const headers: OutgoingHttpHeaders = { ...options.headers };
      if (options.token) headers['user-token'] = options.token;
      if (options.basic) headers.authorization = basicHeader(options.basic.login, options.basic.password);
      let payload: Buffer | undefined;
      if (options.json !== undefined) {
        payload = Buffer.from(JSON.stringify(options.json), 'utf8');
        headers['content-type'] ??= 'application/json';
      } else if (options.raw !== undefined) {
        payload = Buffer.isBuffer(options.raw) ? options.raw : Buffer.from(options.raw, 'utf8');
        headers['content-type'] ??= 'application/json';
      }
      if (payload) headers['content-length'] = payload.length;
      const req = request({ host: base.hostname, port: base.port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          if (/application\/json/.test(res.headers['content-type'] ?? '') && text !== '') body = JSON.parse(text);
          const problems = check({
            method,
            path,
            requestBody: payload,
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'],
            allow: res.headers.allow,
            text,
          });
          if (problems.length > 0) reject(new OpenApiMismatch(problems));
          // The caller names the shape it expects (T); the OpenAPI check above has already held the body to the document.
          else resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: body as T });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  return {
    call,
    get: <T = LooseJson>(path: string, options?: RestOptions) => call<T>('GET', path, options),
    post: <T = LooseJson>(path: string, options?: RestOptions) => call<T>('POST', path, options),
    put: <T = LooseJson>(path: string, options?: RestOptions) => call<T>('PUT', path, options),
    patch: <T = LooseJson>(path: string, options?: RestOptions) => call<T>('PATCH', path, options),
    delete: <T = LooseJson>(path: string, options?: RestOptions) => call<T>('DELETE', path, options),
  };
}

export type RestClient = ReturnType<typeof restClient>;
