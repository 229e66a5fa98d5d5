// What `vite build` leaves in dist/ (the folder a site deploys): onnxruntime-web's 27 MB wasm once, under ort/ where
// the app points transformers.js (src/retrieval/ort-assets.ts), not a second hashed copy under assets/ that nothing
// fetches (scripts/vite-ort-assets.ts) — and the app still embeds with it (e2e/app-features.spec.ts, semantic search).
import { expect, test } from '@playwright/test';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ORT_ASSET_DIR, ORT_WASM_FILES } from '../src/retrieval/ort-assets';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));

test('the build holds the onnxruntime wasm once, where the app fetches it', async ({ request }) => {
  expect(existsSync(`${dist}${ORT_ASSET_DIR}/${ORT_WASM_FILES.wasm}`)).toBe(true);
  expect(readdirSync(`${dist}assets`).filter((f) => f.endsWith('.wasm') && f.startsWith('ort-'))).toEqual([]);
  const res = await request.get(`/${ORT_ASSET_DIR}/${ORT_WASM_FILES.wasm}`);
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toContain('application/wasm');
});
