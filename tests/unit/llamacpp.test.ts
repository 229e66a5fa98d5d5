// The CPU reference forward of the converted stories260K against llama.cpp (node-llama-cpp, CPU, 1 thread,
// F32 KV cache, flash attention off) on the original stories260K.gguf. node-llama-cpp exposes the softmax of the logits at every
// position (temperature 1, no top-k/top-p/min-p), so we compare log-probabilities: logits up to the
// per-position constant log Σ exp(logits).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { syntheticVocab, makeRandomLlama, randomModelVocab } from '../../scripts/make-random-llama';
import { writeLlamaGguf } from '../../src/model/convert/gguf-writer';
import { writeFileSync } from 'node:fs';
import { convertLlama2c } from '../../src/model/convert/convert-llama2c';
import { writeModelDir } from '../../src/model/convert/write-dir';
import { nodeDirFiles } from '../../src/model/node-files';
import { ReferenceLlama } from '../../src/model/reference';
import { openCheckpoint } from '../../src/model/checkpoint';
import type { YarnRopeScaling } from '../../src/model/config';
import { loadTokenizer } from '../../src/model/tokenizer';
import { makeTempDir } from '../temp-dir';
import { llamaCppProbabilities, logSoftmax } from '../llamacpp-probs';

const stories = fileURLToPath(new URL('../../../shared/fixtures/models/stories260K/', import.meta.url));
const have = existsSync(join(stories, 'stories260K.gguf'));
if (!have) console.warn(`skipping llama.cpp comparison: ${stories} is absent`);

/** Max |log p_llama.cpp − log softmax(ours)| over all tokens (p above float32 underflow); also checks argmax. */
function compare(ours: Float32Array[], theirs: Map<number, number>[], vocab: number): { worst: number; compared: number } {
  let worst = 0;
  let compared = 0;
  theirs.forEach((probs, pos) => {
    expect(probs.size).toBe(vocab);
    const lp = logSoftmax(ours[pos]);
    for (const [id, p] of probs) {
      if (p < 1e-30) continue;
      worst = Math.max(worst, Math.abs(Math.log(p) - lp[id]));
      compared++;
    }
    let best = 0;
    for (let i = 1; i < vocab; i++) if (ours[pos][i] > ours[pos][best]) best = i;
    expect(best, `argmax at position ${pos}`).toBe(probs.keys().next().value);
  });
  return { worst, compared };
}

describe.skipIf(!have)('reference forward vs llama.cpp on stories260K', () => {
  it('log-probabilities agree within 1e-3 at every position of a 48-token story', async () => {
    const dir = makeTempDir('s260-llamacpp-');
    await writeModelDir(dir, await convertLlama2c(readFileSync(join(stories, 'stories260K.bin')), readFileSync(join(stories, 'tok512.bin')), { dtype: 'f32', quantize: 'none', bits: 4, groupSize: 128, sym: false, actOrder: false, format: 'v1', shards: 1 }));
    const files = nodeDirFiles(dir);
    const ref = await ReferenceLlama.load(files);
    const tok = await loadTokenizer(files);
    // A real story (the published sample) plus an off-distribution tail, so positions see varied contexts.
    const text = readFileSync(join(stories, 'greedy_once_upon_a_time.txt'), 'utf8').slice(0, 120) + ' zebra quantum 42!';
    const tokens = tok.encode(text, { addBos: true }).slice(0, 48);
    expect(tokens.length).toBe(48);
    const { worst, compared } = compare(ref.logitsFor(tokens), await llamaCppProbabilities(join(stories, 'stories260K.gguf'), tokens), 512);
    console.log(`stories260K reference vs llama.cpp: max |Δ log p| = ${worst.toExponential(2)} over ${compared} values at ${tokens.length} positions`);
    expect(compared).toBeGreaterThan(48 * 500);
    expect(worst).toBeLessThan(1e-3);
  }, 60_000);
});

describe('reference forward vs llama.cpp on a random GQA model (untied, llama3 rope scaling, GPTQ v1 act-order)', () => {
  it('log-probabilities agree within 1e-3 (model exported to GGUF with its dequantized weights)', async () => {
    const dir = makeTempDir('rand-llamacpp-');
    const opts = { hidden: 128, intermediate: 256, layers: 2, heads: 8, kvHeads: 2, headDim: 32, vocab: 400, tied: false, ropeScaling: 'llama3' as const, seed: 5, shards: 2, quant: { groupSize: 32, actOrder: true, format: 'v1' as const, sym: false } };
    await makeRandomLlama(dir, opts);
    const ck = await openCheckpoint(nodeDirFiles(dir));
    const ref = await ReferenceLlama.load(nodeDirFiles(dir));
    const gguf = join(dir, 'export.gguf');
    writeFileSync(gguf, writeLlamaGguf(ck.config, ref.weights, syntheticVocab(opts.vocab)));
    const tokens = Array.from({ length: 40 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 97) % 390)));
    const { worst, compared } = compare(ref.logitsFor(tokens), await llamaCppProbabilities(gguf, tokens), opts.vocab);
    console.log(`random GQA/llama3/GPTQ model reference vs llama.cpp: max |Δ log p| = ${worst.toExponential(2)} over ${compared} values`);
    expect(compared).toBeGreaterThan(40 * 300);
    expect(worst).toBeLessThan(1e-3);
  }, 60_000);
});

describe('reference forward vs llama.cpp on a random model with linear rope scaling', () => {
  it('log-probabilities agree within 1e-3 (GGUF says rope.scaling.type linear; llama.cpp applies its own reading)', async () => {
    const dir = makeTempDir('rand-linear-rope-');
    const opts = { hidden: 64, intermediate: 128, layers: 2, heads: 4, kvHeads: 2, headDim: 16, vocab: 300, tied: true, ropeScaling: 'linear' as const, seed: 11 };
    await makeRandomLlama(dir, opts);
    const ck = await openCheckpoint(nodeDirFiles(dir));
    expect(ck.config.ropeScaling).toEqual({ type: 'linear', factor: 4 });
    const ref = await ReferenceLlama.load(nodeDirFiles(dir));
    const gguf = join(dir, 'export.gguf');
    writeFileSync(gguf, writeLlamaGguf(ck.config, ref.weights, syntheticVocab(opts.vocab)));
    const tokens = Array.from({ length: 40 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 53) % 290)));
    const { worst, compared } = compare(ref.logitsFor(tokens), await llamaCppProbabilities(gguf, tokens), opts.vocab);
    console.log(`random linear-rope model reference vs llama.cpp: max |Δ log p| = ${worst.toExponential(2)} over ${compared} values`);
    expect(compared).toBeGreaterThan(40 * 200);
    expect(worst).toBeLessThan(1e-3);
  }, 60_000);
});

describe('reference forward vs llama.cpp on a random model with YaRN rope scaling', () => {
  it('log-probabilities agree within 1e-3 (GGUF says rope.scaling.type yarn with the original context; llama.cpp applies its own reading)', async () => {
    const dir = makeTempDir('rand-yarn-rope-');
    const opts = { arch: 'qwen3' as const, hidden: 64, intermediate: 128, layers: 2, heads: 4, kvHeads: 2, headDim: 16, vocab: 300, tied: true, ropeScaling: 'yarn' as const, seed: 12 };
    await makeRandomLlama(dir, opts);
    const ck = await openCheckpoint(nodeDirFiles(dir));
    expect(ck.config.ropeScaling).toMatchObject({ type: 'yarn', factor: 4, originalMaxPositionEmbeddings: 64 });
    const ref = await ReferenceLlama.load(nodeDirFiles(dir));
    const gguf = join(dir, 'export.gguf');
    writeFileSync(gguf, writeLlamaGguf(ck.config, ref.weights, syntheticVocab(opts.vocab)));
    const tokens = Array.from({ length: 40 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 53) % 290)));
    const want = await llamaCppProbabilities(gguf, tokens);
    const { worst, compared } = compare(ref.logitsFor(tokens), want, opts.vocab);
    console.log(`random YaRN-rope model reference vs llama.cpp: max |Δ log p| = ${worst.toExponential(2)} over ${compared} values`);
    expect(compared).toBeGreaterThan(40 * 200);
    expect(worst).toBeLessThan(1e-3);
    // What llama.cpp cannot say is refused by name rather than written as something else.
    for (const bad of [{ ...(ck.config.ropeScaling as YarnRopeScaling), truncate: false }, { ...(ck.config.ropeScaling as YarnRopeScaling), attentionFactor: 1 }]) {
      expect(() => writeLlamaGguf({ ...ck.config, ropeScaling: bad }, ref.weights, syntheticVocab(opts.vocab))).toThrow(/GGUF export: .*(truncate|attention factor)/);
    }
    // The scaling matters here: without it (or without its attention factor) the same weights give other
    // log-probabilities, by far more than the tolerance above.
    const scaled = ref.logitsFor(tokens);
    const yarn = ck.config.ropeScaling as YarnRopeScaling;
    for (const ropeScaling of [null, { ...yarn, attentionFactor: 1 }]) {
      const other = new ReferenceLlama({ ...ck.config, ropeScaling }, ref.weights).logitsFor(tokens);
      let apart = 0;
      other.forEach((row, pos) => {
        const a = logSoftmax(row), b = logSoftmax(scaled[pos]);
        for (let i = 0; i < a.length; i++) apart = Math.max(apart, Math.abs(a[i] - b[i]));
      });
      expect(apart).toBeGreaterThan(1e-2);
    }
  }, 60_000);
});

describe('reference forward vs llama.cpp on random Qwen2 and Qwen3 models (GGUF qwen2 / qwen3 architectures)', () => {
  const cases = [
    { name: 'qwen2 GPTQ 4-bit g32 act-order, q/k/v biases, tied', o: { arch: 'qwen2' as const, hidden: 128, intermediate: 256, layers: 2, heads: 4, kvHeads: 2, vocab: 400, tied: true, seed: 6, quant: { groupSize: 32, actOrder: true, format: 'v1' as const, sym: true } } },
    { name: 'qwen3 AWQ g32, q_norm/k_norm, head_dim 48 ≠ hidden/heads, tied', o: { arch: 'qwen3' as const, hidden: 128, intermediate: 256, layers: 2, heads: 4, kvHeads: 2, headDim: 48, vocab: 400, tied: true, seed: 7, quant: { method: 'awq' as const, groupSize: 32 } } },
    { name: 'qwen3 GPTQ 8-bit g32, untied', o: { arch: 'qwen3' as const, hidden: 128, intermediate: 256, layers: 2, heads: 4, kvHeads: 1, headDim: 32, vocab: 400, tied: false, seed: 8, quant: { bits: 8 as const, groupSize: 32, format: 'v1' as const } } },
  ];
  for (const c of cases) {
    it(`${c.name}: log-probabilities agree within 1e-3`, async () => {
      const dir = makeTempDir('qwen-llamacpp-');
      await makeRandomLlama(dir, c.o);
      const ref = await ReferenceLlama.load(nodeDirFiles(dir));
      const gguf = join(dir, 'export.gguf');
      writeFileSync(gguf, writeLlamaGguf(ref.config, ref.weights, randomModelVocab(c.o)));
      const tokens = Array.from({ length: 40 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 89) % 390)));
      const { worst, compared } = compare(ref.logitsFor(tokens), await llamaCppProbabilities(gguf, tokens), c.o.vocab);
      console.log(`${c.name}: reference vs llama.cpp max |Δ log p| = ${worst.toExponential(2)} over ${compared} values`);
      expect(compared).toBeGreaterThan(40 * 300);
      expect(worst).toBeLessThan(1e-3);
    }, 60_000);
  }
});
