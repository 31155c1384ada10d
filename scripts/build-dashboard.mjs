// Bundles the live dashboard example (examples/dashboard/app.ts with urql, Graphcache and graphql-ws) into
// dist/examples/dashboard/, next to its page and stylesheet, so the gateway serves it with no CDN and no inline script.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/examples/dashboard');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(root, 'examples/dashboard/app.ts')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  outfile: join(out, 'app.js'),
  logLevel: 'warning',
});
for (const file of ['index.html', 'dashboard.css']) copyFileSync(join(root, 'examples/dashboard', file), join(out, file));
