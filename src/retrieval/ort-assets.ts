// onnxruntime-web files that transformers.js needs in the browser. The app serves them itself (copied at
// build time by scripts/vite-ort-assets.ts, served from node_modules in dev) instead of transformers.js'
// default CDN, so embeddings work offline. transformers.js uses the "asyncify" build by default.
export const ORT_ASSET_DIR = 'ort';
export const ORT_WASM_FILES = { mjs: 'ort-wasm-simd-threaded.asyncify.mjs', wasm: 'ort-wasm-simd-threaded.asyncify.wasm' } as const;

/** Absolute URLs of the wasm runtime for env.backends.onnx.wasm.wasmPaths; `appBase` is the app's base URL. */
export function ortWasmPaths(appBase: string): { mjs: string; wasm: string } {
  const dir = new URL(`${ORT_ASSET_DIR}/`, appBase).href;
  return { mjs: dir + ORT_WASM_FILES.mjs, wasm: dir + ORT_WASM_FILES.wasm };
}
