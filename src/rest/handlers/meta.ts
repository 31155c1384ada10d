/**
 * No authentication: `GET /ds-api/` says what answers (the vendor's scripts call it to check the API is up);
 * `GET /ds-api/openapi.json` is the OpenAPI document of the API (src/rest/openapi.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Request, Response } from 'express';
import type { ServiceInfoDto } from '../dto';
import { openApiText } from '../openapi';

/** Name and version from the project's package.json, found upwards from here (works from `src/` and `dist/src/`). */
export function packageInfo(): { name: string; version: string } {
  for (let dir = __dirname, i = 0; i < 8; dir = dirname(dir), i += 1) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    try {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (typeof pkg.name === 'string' && typeof pkg.version === 'string') return { name: pkg.name, version: pkg.version };
    } catch {
      // not ours; keep looking
    }
  }
  return { name: 'ds-access-gateway', version: 'unknown' };
}

export function metaHandlers() {
  const info = packageInfo();
  const body: ServiceInfoDto = { service: info.name, version: info.version, api: 'ds-api' };
  let document: string | undefined;
  return {
    index(_req: Request, res: Response): void {
      res.status(200).json(body);
    },
    /** The very bytes `ds-gateway schema` writes to schema/openapi.json, built on first use. */
    openApi(_req: Request, res: Response): void {
      document ??= openApiText(info.version);
      res.status(200).type('application/json').send(document);
    },
  };
}
