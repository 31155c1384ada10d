/** `GET /ds-api/`: no authentication; says what answers (the vendor's scripts call it to check the API is up). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Request, Response } from 'express';
import type { ServiceInfoDto } from '../dto';

/** Name and version from the project's package.json, found upwards from here (works from `src/` and `dist/src/`). */
function packageInfo(): { name: string; version: string } {
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
  return {
    index(_req: Request, res: Response): void {
      res.status(200).json(body);
    },
  };
}
