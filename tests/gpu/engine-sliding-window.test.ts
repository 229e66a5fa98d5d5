// A Mistral-style model whose sliding window (12) is far narrower than the sequence: a 150-token prompt
// prefilled in three chunks, then greedy decode one token at a time, must pick the same next tokens as the CPU
// reference (which masks keys at or before position − window), on the f32 path.
import { describe, expect, it } from 'vitest';
import { makeRandomLlama } from '../../scripts/make-random-llama';
import { nodeGpu } from '../../src/gpu/node-gpu';
import { LlamaEngine } from '../../src/model/engine';
import { nodeDirFiles } from '../../src/model/node-files';
import { ReferenceLlama } from '../../src/model/reference';
import { makeTempDir } from '../temp-dir';

describe('sliding-window attention in the engine', () => {
  it('chunked prefill and decode past the window give the reference greedy tokens', async () => {
    const dir = makeTempDir('rand-mistral-');
    await makeRandomLlama(dir, { arch: 'mistral', slidingWindow: 12, hidden: 64, intermediate: 96, layers: 2, heads: 4, kvHeads: 2, vocab: 300, tied: false, seed: 3, dtype: 'f32', quant: { groupSize: 32, actOrder: true, format: 'v1', sym: false } });
    const files = nodeDirFiles(dir);
    const ref = await ReferenceLlama.load(files);
    expect(ref.config.slidingWindow).toBe(12);
    const engine = new LlamaEngine(nodeGpu());
    await engine.load(files, { preferF16: false });
    const model = engine.gpuModel!;
    const greedy = { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, seed: 0 };
    const prompt = Array.from({ length: 150 }, (_, i) => (i * 53 + 7) % 300);
    const seq = [...prompt];
    let tok = await model.prefill(prompt, greedy);
    for (let s = 0; s < 6; s++) {
      seq.push(tok);
      tok = await model.decode(tok, seq.length - 1, greedy, s + 1);
    }
    seq.push(tok);
    await engine.unload();
    const want = ref.logitsFor(seq.slice(0, -1));
    for (let i = prompt.length - 1; i < seq.length - 1; i++) {
      let best = 0;
      for (let j = 1; j < want[i].length; j++) if (want[i][j] > want[i][best]) best = j;
      expect(seq[i + 1], `token after position ${i}`).toBe(best);
    }
    // Without the window the reference would choose differently somewhere: the test sees the window.
    const full = new ReferenceLlama({ ...ref.config, slidingWindow: null }, ref.weights).logitsFor(seq.slice(0, -1));
    const argmax = (r: Float32Array) => r.reduce((b, v, j) => (v > r[b] ? j : b), 0);
    const differs = want.some((r, i) => i >= 12 && argmax(r) !== argmax(full[i]));
    expect(differs).toBe(true);
  }, 120_000);
});
