/**
 * A TLS terminator for tests: an HTTPS reverse proxy in front of a gateway, with a throw-away self-signed
 * certificate made by `openssl` at start. Partners run the gateway behind such a terminator; their scripts talk
 * https with certificate checks off (`validate_certs: False`, `curl -k`), as the vendor's toolkit does.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsProxy {
  /** `127.0.0.1:<port>`, the `datasentinel_host` of a playbook. */
  host: string;
  url: string;
  /** Requests that went through the proxy (method and path, without the query string). */
  requests: string[];
  stop(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1 and localhost, valid one day, in a temporary folder. */
function selfSignedCertificate(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'ds-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'pipe' },
    );
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Proxies https://127.0.0.1:<free port>/... to `upstream` (an http:// URL), adding X-Forwarded-For/Proto. */
export async function startTlsProxy(upstream: string): Promise<TlsProxy> {
  const target = new URL(upstream);
  const requests: string[] = [];
  const server: Server = createServer(selfSignedCertificate(), (req, res) => {
    requests.push(`${req.method} ${(req.url ?? '').split('?')[0]}`);
    const forwarded = req.socket.remoteAddress ?? '';
    const upstreamRequest = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, 'x-forwarded-for': forwarded, 'x-forwarded-proto': 'https' },
      },
      (upstreamResponse) => {
        res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        upstreamResponse.pipe(res);
      },
    );
    upstreamRequest.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end('{"error":"upstream unavailable"}');
    });
    req.pipe(upstreamRequest);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    url: `https://${host}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
