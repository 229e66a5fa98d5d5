// The engine against an independent implementation: llama.cpp (npm node-llama-cpp, CPU build, F32 KV cache)
// on the original stories260K.gguf, versus our WGSL engine on our own HF conversion of stories260K.bin.
// node-llama-cpp 3.21 exposes the full next-token distribution (temperature 1, no top-k/top-p/min-p), not raw
// logits; logits are defined up to a per-position constant, so we compare log-probabilities, i.e. the logits
// after removing that constant (log-softmax), within 1e-3.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeGpu } from '../../src/gpu/node-gpu';
import { LlamaEngine } from '../../src/model/engine';
import { logSoftmax } from '../../src/model/log-softmax';
import { nodeDirFiles } from '../../src/model/node-files';
import { maxAbsDiff } from './helpers';
import { convertedStories, SKIP_STORIES, STORIES } from './model-fixtures';

async function llamaCppLogProbs(tokens: number[], vocab: number): Promise<Float64Array[]> {
  const { getLlama } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  const model = await llama.loadModel({ modelPath: join(STORIES, 'stories260K.gguf'), gpuLayers: 0 });
  const context = await model.createContext({
    contextSize: 256,
    threads: 1,
    experimentalKvCacheKeyType: 'F32',
    experimentalKvCacheValueType: 'F32',
    // llama.cpp's CPU flash-attention path rounds through f16 (~1e-3 in log-probs); the classic path is exact f32.
    flashAttention: false,
  } as never);
  const sequence = context.getSequence();
  const options = { temperature: 1, topK: vocab, topP: 1, minP: 0 };
  const results = await sequence.controlledEvaluate(tokens.map((t) => [t, { generateNext: { probabilities: true, options } }]) as never);
  const out = (results as ({ next: { probabilities: Map<number, number> } } | undefined)[]).map((r) => {
    const lp = new Float64Array(vocab).fill(-Infinity);
    for (const [id, p] of r!.next.probabilities) lp[id] = Math.log(p);
    return lp;
  });
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  return out;
}

describe.skipIf(SKIP_STORIES)('engine vs llama.cpp on stories260K', () => {
  it('logits agree within 1e-3 at every position (f32 path)', async () => {
    const dir = await convertedStories();
    const engine = new LlamaEngine(nodeGpu());
    await engine.load(nodeDirFiles(dir), { preferF16: false });
    const tokens = engine.promptIds('Once upon a time, there was a little dog. He liked to run and jump in the sun.', true);
    const ours = await engine.logits(tokens);
    await engine.unload();
    const vocab = ours[0].length;
    const theirs = await llamaCppLogProbs(tokens, vocab);
    expect(theirs.length).toBe(tokens.length);
    let worst = 0;
    const perPos = ours.map((o, i) => maxAbsDiff(logSoftmax(o), theirs[i]));
    for (const d of perPos) worst = Math.max(worst, d);
    console.log(`stories260K: WGSL engine (f32) vs llama.cpp: max |Δ log-prob| = ${worst.toExponential(2)} over ${tokens.length} positions × ${vocab} tokens`);
    expect(worst).toBeLessThan(1e-3);
  });
});
