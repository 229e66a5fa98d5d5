// The CPU reference forward of the converted stories260K against llama.cpp (node-llama-cpp, CPU, 1 thread,
// F32 KV cache, flash attention off) on the original stories260K.gguf. node-llama-cpp exposes the softmax of the logits at every
// position (temperature 1, no top-k/top-p/min-p), so we compare log-probabilities: logits up to the
// per-position constant log Σ exp(logits).
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { convertLlama2c } from '../../src/model/convert/convert-llama2c';
import { writeModelDir } from '../../src/model/convert/write-dir';
import { nodeDirFiles } from '../../src/model/node-files';
import { ReferenceLlama } from '../../src/model/reference';
import { loadTokenizer } from '../../src/model/tokenizer';

const stories = fileURLToPath(new URL('../../../shared/fixtures/models/stories260K/', import.meta.url));
const have = existsSync(join(stories, 'stories260K.gguf'));
if (!have) console.warn(`skipping llama.cpp comparison: ${stories} is absent`);

function logSoftmax(l: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of l) if (v > max) max = v;
  let s = 0;
  for (const v of l) s += Math.exp(v - max);
  const lse = max + Math.log(s);
  return Float64Array.from(l, (v) => v - lse);
}

describe.skipIf(!have)('reference forward vs llama.cpp on stories260K', () => {
  it('log-probabilities agree within 1e-3 at every position of a 48-token story', async () => {
    const dir = mkdtempSync(join(tmpdir(), 's260-llamacpp-'));
    await writeModelDir(dir, await convertLlama2c(readFileSync(join(stories, 'stories260K.bin')), readFileSync(join(stories, 'tok512.bin')), { dtype: 'f32', quantize: 'none', bits: 4, groupSize: 128, sym: false, actOrder: false, format: 'v1', shards: 1 }));
    const files = nodeDirFiles(dir);
    const ref = await ReferenceLlama.load(files);
    const tok = await loadTokenizer(files);
    // A real story (the published sample) plus an off-distribution tail, so positions see varied contexts.
    const text = readFileSync(join(stories, 'greedy_once_upon_a_time.txt'), 'utf8').slice(0, 120) + ' zebra quantum 42!';
    const tokens = tok.encode(text, { addBos: true }).slice(0, 48);
    expect(tokens.length).toBe(48);

    const { getLlama } = await import('node-llama-cpp');
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
    const model = await llama.loadModel({ modelPath: join(stories, 'stories260K.gguf'), gpuLayers: 0 });
    // flashAttention off: llama.cpp's CPU flash attention ("auto" turns it on) rounds through f16 (~1e-2 error).
    const ctx = await model.createContext({ contextSize: 128, threads: 1, flashAttention: false, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' });
    let res;
    try {
      res = await ctx.getSequence().controlledEvaluate(
        tokens.map((t) => [t, { generateNext: { probabilities: true, options: { temperature: 1, topK: 0, topP: 1, minP: 0 } } }] as const),
      );
    } finally {
      await ctx.dispose();
      await model.dispose();
    }
    const ours = ref.logitsFor(tokens);
    let worst = 0;
    let compared = 0;
    res.forEach((r, pos) => {
      const probs = r?.next?.probabilities;
      expect(probs?.size).toBe(512);
      const lp = logSoftmax(ours[pos]);
      for (const [id, p] of probs!) {
        if (p < 1e-30) continue; // float32 underflow in llama.cpp's softmax
        worst = Math.max(worst, Math.abs(Math.log(p) - lp[id]));
        compared++;
      }
      // Same argmax at every position.
      const theirs = probs!.keys().next().value;
      let best = 0;
      for (let i = 1; i < 512; i++) if (ours[pos][i] > ours[pos][best]) best = i;
      expect(best, `position ${pos}`).toBe(theirs);
    });
    console.log(`reference vs llama.cpp: max |Δ log p| = ${worst.toExponential(2)} over ${compared} values at ${tokens.length} positions`);
    expect(compared).toBeGreaterThan(48 * 500);
    expect(worst).toBeLessThan(1e-3);
  }, 60_000);
});
