// `bench --peer llama.cpp` as a user runs it, on the small synthetic shape: the same GPTQ g32 weights written as
// Q4_0 and run by llama.cpp (node-llama-cpp) and by our engine; both engines' next-token log-probabilities must
// agree, and the JSON carries both engines' tok/s and the ratios (their values are not checked: no test depends
// on speed). llama.cpp runs on its CPU backend here: its Vulkan backend works on lavapipe
// (GGML_VK_VISIBLE_DEVICES=0) but compiles its shaders on the first run for minutes, too slow for the suite;
// `bench --peer llama.cpp` uses Vulkan by default (src/cli/commands/bench-peer.ts).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makeRandomLlama } from '../../scripts/make-random-llama';
import { makeTempDir } from '../temp-dir';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface PeerRun { ours_prefill_tok_s: number; ours_decode_tok_s: number; peer_prefill_tok_s: number; peer_decode_tok_s: number }
interface PeerOut {
  [k: string]: unknown;
  weights: { exact_layers: number; requantised_layers: number; requantised_because?: string[]; note: string };
  shape_change?: string;
  agreement: { positions: number; compared: number; max_abs_dlogp: number; argmax_agree: number; tolerance: number; ok: boolean };
  runs: PeerRun[];
  prefill_ratio: number;
  decode_ratio: number;
}

async function benchPeer(model: string): Promise<PeerOut> {
  const { stdout } = await run(
    'npm',
    ['run', '--silent', 'cli', '--', 'bench', '--model', model, '--peer', 'llama.cpp', '--peer-backend', 'cpu', '--prompt-tokens', '12', '--gen-tokens', '4', '--peer-runs', '2', '--check-tokens', '10', '--no-tune'],
    { cwd: ROOT, maxBuffer: 16 * 2 ** 20 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

async function llamaCppCpuStarts(): Promise<string | null> {
  try {
    const { getLlama } = await import('node-llama-cpp');
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
    await llama.dispose();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
const cannotStart = await llamaCppCpuStarts();
if (cannotStart) console.warn(`skipping bench --peer llama.cpp: node-llama-cpp's CPU backend does not start here (${cannotStart})`);

describe.skipIf(cannotStart !== null)('bench --peer llama.cpp (CPU backend)', () => {
  it('same Q4_0 weights in both engines: log-probabilities agree; prefill/decode tok/s and ratios for interleaved runs', async () => {
    const out = await benchPeer('synthetic:tiny-test');
    console.log(`bench --peer llama.cpp (tiny-test, CPU peer): max |Δ log p| = ${out.agreement.max_abs_dlogp} over ${out.agreement.compared} values; argmax agree ${out.agreement.argmax_agree}/${out.agreement.positions}`);
    expect(out).toMatchObject({ peer: 'llama.cpp', peer_backend: 'cpu', model: 'synthetic:tiny-test', prompt_tokens: 12, gen_tokens: 4 });
    // 2 layers × 7 linears, all copied bit for bit (GPTQ g32 sym = Q4_0); tiny-test's FFN width rounded to blocks of 32.
    expect(out.weights).toMatchObject({ format: 'Q4_0', exact_layers: 14, requantised_layers: 0 });
    expect(out.shape_change).toMatch(/688 -> 704/);
    // Every token of the vocabulary (1024) at every position, and agreement within the tolerance.
    expect(out.agreement.positions).toBe(10);
    expect(out.agreement.compared).toBe(10 * 1024);
    expect(out.agreement.max_abs_dlogp).toBeLessThan(out.agreement.tolerance);
    expect(out.agreement.ok).toBe(true);
    expect(out.agreement.argmax_agree).toBeGreaterThanOrEqual(9);
    expect(out.runs).toHaveLength(2);
    for (const r of out.runs) for (const k of ['ours_prefill_tok_s', 'ours_decode_tok_s', 'peer_prefill_tok_s', 'peer_decode_tok_s'] as const) expect(r[k]).toBeGreaterThan(0);
    for (const k of ['prefill_ratio', 'decode_ratio'] as const) expect(out[k]).toBeGreaterThan(0);
    expect(out.prefill_ratio).toBeCloseTo(Math.sqrt((out.runs[0].ours_prefill_tok_s / out.runs[0].peer_prefill_tok_s) * (out.runs[1].ours_prefill_tok_s / out.runs[1].peer_prefill_tok_s)), 1);
  }, 120_000);

  const random = { hidden: 128, intermediate: 256, layers: 2, heads: 4, kvHeads: 2, headDim: 32, vocab: 400 };
  it('a GPTQ g32 symmetric model directory is exported bit for bit and agrees', async () => {
    const dir = makeTempDir('peer-g32-');
    await makeRandomLlama(dir, { ...random, tied: false, seed: 5, quant: { groupSize: 32, actOrder: false, format: 'v1', sym: true } });
    const out = await benchPeer(dir);
    console.log(`bench --peer llama.cpp (random g32 model): max |Δ log p| = ${out.agreement.max_abs_dlogp}`);
    expect(out.weights).toMatchObject({ exact_layers: 14, requantised_layers: 0 });
    expect(out.agreement.compared).toBe(10 * 400);
    expect(out.agreement.ok).toBe(true);
  }, 120_000);

  it('a g64 asymmetric act-order model is requantised to Q4_0, and the output says which layers and why', async () => {
    const dir = makeTempDir('peer-g64-');
    await makeRandomLlama(dir, { ...random, tied: true, seed: 6, quant: { groupSize: 64, actOrder: true, format: 'v1', sym: false } });
    const out = await benchPeer(dir);
    expect(out.weights).toMatchObject({ exact_layers: 0, requantised_layers: 14 });
    expect(out.weights.requantised_because!.join(' | ')).toMatch(/group size 64.*act-order.*asymmetric/);
    expect(out.weights.note).toMatch(/not run identical weights/);
    // Different weights: the agreement is measured and reported, whatever it is.
    expect(out.agreement.compared).toBe(10 * 400);
    expect(out.agreement.max_abs_dlogp).toBeGreaterThan(0);
  }, 120_000);
});
