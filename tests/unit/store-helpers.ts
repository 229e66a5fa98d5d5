// Shared by the store-*.test.ts files: writes a fake model repo (random bytes for weights; the store does
// not parse them) into a temp folder.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Deterministic pseudo-random bytes (xorshift32). */
export function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export interface FakeRepo {
  dir: string;
  files: Record<string, Uint8Array>;
}

/** A model folder: config/tokenizer JSON plus either one model.safetensors or `shards` shards + an index. */
export async function writeFakeRepo(root: string, repo: string, opts: { weightBytes: number; shards?: number; seed?: number }): Promise<FakeRepo> {
  const dir = join(root, ...repo.split('/'));
  await mkdir(dir, { recursive: true });
  const enc = new TextEncoder();
  const files: Record<string, Uint8Array> = {
    'config.json': enc.encode(JSON.stringify({ architectures: ['LlamaForCausalLM'], hidden_size: 64, num_hidden_layers: 2 })),
    'quantize_config.json': enc.encode(JSON.stringify({ bits: 4, group_size: 32, desc_act: false, sym: true })),
    'tokenizer.json': enc.encode(JSON.stringify({ model: { type: 'BPE', vocab: { a: 0, b: 1 } } })),
    'tokenizer_config.json': enc.encode(JSON.stringify({ bos_token: '<s>' })),
    'README.md': enc.encode('# not a model file\n'),
  };
  const seed = opts.seed ?? 7;
  if (opts.shards && opts.shards > 1) {
    const weightMap: Record<string, string> = {};
    for (let s = 1; s <= opts.shards; s++) {
      const name = `model-${String(s).padStart(5, '0')}-of-${String(opts.shards).padStart(5, '0')}.safetensors`;
      files[name] = randomBytes(opts.weightBytes, seed + s);
      weightMap[`model.layers.${s}.weight`] = name;
      weightMap[`model.layers.${s}.bias`] = name;
    }
    files['model.safetensors.index.json'] = enc.encode(JSON.stringify({ metadata: { total_size: opts.weightBytes * opts.shards }, weight_map: weightMap }));
  } else {
    files['model.safetensors'] = randomBytes(opts.weightBytes, seed);
  }
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
  return { dir, files };
}

/**
 * A new temp dir for a fake hub or store. Shared with the Playwright specs (e2e/store.spec.ts), so it cannot
 * use Vitest's hooks (tests/temp-dir.ts): every caller removes it in afterAll / finally.
 */
export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}
