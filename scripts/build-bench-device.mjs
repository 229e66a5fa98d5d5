// Builds the payload of scripts/bench-device.sh into a folder (default .vendor/device/payload; bench-device.sh
// builds it into its temp dir when node_modules is there), so that it runs with a bare Node binary and no
// node_modules:
//   bench-device.mjs         scripts/bench-device-main.ts and what it imports from src/ (esbuild, ONE ES module;
//                            WGSL `?raw` imports become strings, as in Vite)
//   node_modules/webgpu      the `webgpu` package's Linux x86-64 Dawn addon (dawn.node) and its index.js
//   node_modules/node-llama-cpp   node-llama-cpp's JS and its npm dependencies bundled into ONE ES module at the
//                            package's own entry (dist/index.js), beside the few files it reads at run time
//                            (package.json: its version; llama/*.json: the llama.cpp release it was built from).
//                            It is a bundle of its own, imported by name, because bundled into bench-device.mjs
//                            behind the dynamic import() of src/model/peer-llamacpp.ts its modules with top-level
//                            await wait on each other and never finish loading. In that bundle `import.meta.url` in
//                            each module is rewritten to the module's original place (dist/<its path>), so its
//                            relative paths (../package.json, ../llama, …) still resolve.
//   node_modules/@node-llama-cpp/linux-x64-vulkan, …/linux-x64
//                            llama.cpp's prebuilt Vulkan and CPU binaries where node-llama-cpp finds them: it
//                            imports the package `@node-llama-cpp/<platform>[-vulkan]` (left out of its bundle) and
//                            asks its getBinsDir() for bins/<platform>, checking the package's version against its
//                            own. Every libggml-cpu-* variant is kept (ggml loads the best one for the host CPU;
//                            1.4 MiB xz'd together); files the two packages share are hard links, so a tar of the
//                            folder stores them once.
// node-llama-cpp's testBindingBinary (it forks its own file to try a binary before loading it) cannot run from a
// bundle: it says so on stderr and skips that check. bench-device-main.ts runs the race in a child process
// instead, so a binary that crashes costs the race, not the run.
// Used by prepare-bench-device.sh (which tars and xz's the folder) and by bench-device.sh itself.
import { build } from 'esbuild';
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = process.argv[2] ? resolve(process.argv[2]) : join(root, '.vendor', 'device', 'payload');
const modules = join(root, 'node_modules');
const nlcRoot = realpathSync(join(modules, 'node-llama-cpp')); // esbuild hands plugins real paths

const rawText = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (a) => ({ path: resolve(a.resolveDir, a.path.slice(0, -4)), namespace: 'raw' }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, (a) => ({ contents: readFileSync(a.path, 'utf8'), loader: 'text' }));
  },
};

// node-llama-cpp locates its own files from import.meta.url (config.js: ../llama, ../bins; getModuleVersion.js:
// ../../package.json; getLlama.js: createRequire for the addon). In its bundle (at dist/index.js) every module
// shares that file's URL, so each gets the URL of where it would be: ./<its path below dist/>.
const nodeLlamaCppUrls = {
  name: 'node-llama-cpp-urls',
  setup(b) {
    b.onLoad({ filter: /[\\/]node-llama-cpp[\\/]dist[\\/].*\.js$/ }, (a) => {
      const src = readFileSync(a.path, 'utf8');
      if (a.path.endsWith(`${sep}testBindingBinary.js`)) return { contents: src, loader: 'js' };
      const rel = relative(join(nlcRoot, 'dist'), a.path).split(sep).join('/');
      const url = `new URL(${JSON.stringify(`./${rel}`)}, import.meta.url).href`;
      return { contents: src.replaceAll('import.meta.url', url), loader: 'js' };
    });
  },
};
const requireBanner = { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" };

await build({
  entryPoints: [join(root, 'scripts', 'bench-device-main.ts')],
  outfile: join(outDir, 'bench-device.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['webgpu', 'node-llama-cpp'], // both copied below
  plugins: [rawText],
  banner: requireBanner,
  logLevel: 'warning',
});
await build({
  entryPoints: [join(nlcRoot, 'dist', 'index.js')],
  outfile: join(outDir, 'node_modules', 'node-llama-cpp', 'dist', 'index.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // @node-llama-cpp/*: the prebuilt-binary packages, imported by name (the two Linux x86-64 ones copied below; the
  // others are absent and node-llama-cpp skips them). @reflink/*: an optional native copy-on-write helper of its
  // model downloader, unused here.
  external: ['@node-llama-cpp/*', '@reflink/*'],
  plugins: [nodeLlamaCppUrls],
  banner: requireBanner,
  logLevel: 'warning',
});

const copy = (from, to) => {
  mkdirSync(dirname(to), { recursive: true });
  rmSync(to, { force: true }); // never write through a hard link of an earlier build
  copyFileSync(from, to);
};

const web = join(modules, 'webgpu');
const webDst = join(outDir, 'node_modules', 'webgpu');
for (const f of ['index.js', 'package.json', 'LICENSE.md', 'dist/linux-x64/dawn.node']) copy(join(web, f), join(webDst, f));

const nlcDst = join(outDir, 'node_modules', 'node-llama-cpp');
for (const f of ['package.json', 'LICENSE', 'llama/binariesGithubRelease.json', 'llama/llama.cpp.info.json', 'llama/package.json']) copy(join(nlcRoot, f), join(nlcDst, f));

// The Vulkan package first, then the CPU one with the files both have byte for byte as hard links.
const sameBytes = (a, b) => existsSync(b) && readFileSync(a).equals(readFileSync(b));
let linked = 0;
for (const pkg of ['linux-x64-vulkan', 'linux-x64']) {
  const src = join(modules, '@node-llama-cpp', pkg);
  const dst = join(outDir, 'node_modules', '@node-llama-cpp', pkg);
  if (!existsSync(join(src, 'package.json'))) throw new Error(`${src} is missing: node-llama-cpp's prebuilt ${pkg} binaries are needed (npm installs them with node-llama-cpp).`);
  for (const f of ['package.json', 'LICENSE', 'dist/index.js']) copy(join(src, f), join(dst, f));
  const bins = join('bins', pkg);
  for (const f of readdirSync(join(src, bins))) {
    const from = join(src, bins, f), to = join(dst, bins, f);
    const twin = join(outDir, 'node_modules', '@node-llama-cpp', 'linux-x64-vulkan', 'bins', 'linux-x64-vulkan', f);
    if (pkg === 'linux-x64' && sameBytes(from, twin)) {
      mkdirSync(dirname(to), { recursive: true });
      rmSync(to, { force: true });
      linkSync(twin, to);
      linked++;
    } else copy(from, to);
  }
}
console.log(`built ${outDir}: bench-device.mjs, the Dawn addon, llama.cpp's Vulkan and CPU binaries (${linked} shared files linked)`);
