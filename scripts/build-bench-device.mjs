// Bundles scripts/bench-device-main.ts (and what it imports from src/) into ONE ES module,
// .vendor/device/bench-device.mjs, and copies the `webgpu` package's Linux x86-64 Dawn addon beside it
// (.vendor/device/node_modules/webgpu), so that scripts/bench-device.sh runs with a bare Node binary and no
// node_modules. WGSL `?raw` imports become strings, as in Vite. Used by prepare-bench-device.sh (and by
// bench-device.sh itself when the bundle is missing but node_modules is there).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = process.argv[2] ? resolve(process.argv[2]) : join(root, '.vendor', 'device');

const rawText = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (a) => ({ path: resolve(a.resolveDir, a.path.slice(0, -4)), namespace: 'raw' }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, (a) => ({ contents: readFileSync(a.path, 'utf8'), loader: 'text' }));
  },
};

await build({
  entryPoints: [join(root, 'scripts', 'bench-device-main.ts')],
  outfile: join(outDir, 'bench-device.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // node-llama-cpp is only imported dynamically by `bench --peer` (not part of this run): left out of the bundle.
  external: ['webgpu', 'node-llama-cpp'],
  plugins: [rawText],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});

const web = join(root, 'node_modules', 'webgpu');
const dst = join(outDir, 'node_modules', 'webgpu');
mkdirSync(join(dst, 'dist', 'linux-x64'), { recursive: true });
for (const f of ['index.js', 'package.json', 'LICENSE.md']) copyFileSync(join(web, f), join(dst, f));
copyFileSync(join(web, 'dist', 'linux-x64', 'dawn.node'), join(dst, 'dist', 'linux-x64', 'dawn.node'));
console.log(`bundled ${join(outDir, 'bench-device.mjs')} and the Dawn addon`);
