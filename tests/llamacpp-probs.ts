// llama.cpp (npm node-llama-cpp, CPU build, 1 thread, F32 KV cache, flash attention off) as an independent
// reference: the full next-token distribution at every position of a token sequence, and log-softmax for ours.
import type { ControlledEvaluateInputItem, Token } from 'node-llama-cpp';

import { logSoftmax } from '../src/model/log-softmax';

export { logSoftmax };

/** Full next-token probabilities from llama.cpp (CPU, 1 thread, F32 KV cache) at every position. */
export async function llamaCppProbabilities(modelPath: string, tokens: number[]): Promise<Map<number, number>[]> {
  const { getLlama } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  // flashAttention off: llama.cpp's CPU flash attention ("auto" turns it on) rounds through f16 (~1e-2 error).
  const ctx = await model.createContext({ contextSize: 128, threads: 1, flashAttention: false, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' });
  try {
    const input: ControlledEvaluateInputItem[] = tokens.map((t) => [t as Token, { generateNext: { probabilities: true, options: { temperature: 1, topK: 0, topP: 1, minP: 0 } } }]);
    const res = await ctx.getSequence().controlledEvaluate(input);
    return res.map((r, i) => {
      const p = r?.next?.probabilities;
      if (!p) throw new Error(`llama.cpp returned no probabilities at position ${i}`);
      return p as Map<number, number>;
    });
  } finally {
    await ctx.dispose();
    await model.dispose();
  }
}

/**
 * max |Δ log p| between our logits (log-softmaxed) and llama.cpp's probabilities, over every position and every
 * token llama.cpp gives a probability of at least 1e-30 (below that, f32 underflow).
 */
export function maxLogProbGap(ours: Float32Array[], theirs: Map<number, number>[]): number {
  let worst = 0;
  theirs.forEach((probs, pos) => {
    const lp = logSoftmax(ours[pos]);
    for (const [id, p] of probs) if (p >= 1e-30) worst = Math.max(worst, Math.abs(Math.log(p) - lp[id]));
  });
  return worst;
}
