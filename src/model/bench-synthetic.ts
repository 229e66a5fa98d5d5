// "Benchmark this GPU" without a download: a synthetic model of a real checkpoint's shape (src/model/synthetic.ts)
// on the given context — the read roofline, the GPTQ matvec autotuner, then prefill and decode timed after a
// warm-up. Platform-neutral (browser self-test page and Node); decode speed is also reported as the fraction of
// the roofline measured in the same run, the only number comparable across machines.
import type { TuneCache } from '../gpu/autotune-cache';
import type { TuneReport } from '../gpu/autotune';
import type { GpuContext } from '../gpu/context';
import { measureRoofline, type RooflineResult } from '../gpu/roofline';
import { throwIfAborted } from '../shared/errors';
import { LlamaGpu } from './llama-gpu';
import { decodeBytesPerToken, makeSyntheticWeights, syntheticConfig } from './synthetic';
import { tuneLlamaWeights } from './tune-weights';

export interface SyntheticBenchOptions {
  /** A name from SYNTHETIC_SHAPES (default tinyllama-1.1b). */
  shape?: string;
  promptTokens?: number;
  genTokens?: number;
  /** Where tuning choices are kept; null turns tuning off (rows-per-thread everywhere). */
  tuneCache: TuneCache | null;
  tuneBudgetMs?: number;
  /** Size of the roofline's read buffer (default: ROOFLINE_BYTES, larger than any adapter's caches). */
  rooflineBytes?: number;
  signal?: AbortSignal;
  /** What is running now, for a status line. */
  onStep?: (step: 'roofline' | 'weights' | 'tune' | 'prefill' | 'decode') => void;
}

export interface SyntheticBenchResult {
  shape: string;
  adapter: string;
  f16: boolean;
  promptTokens: number;
  genTokens: number;
  prefillTokS: number;
  decodeTokS: number;
  weightBytesPerToken: number;
  roofline: RooflineResult;
  /** decode bytes per second / roofline bytes per second. */
  decodeRooflineFraction: number;
  tune: TuneReport | null;
}

export async function benchSynthetic(ctx: GpuContext, opts: SyntheticBenchOptions): Promise<SyntheticBenchResult> {
  const shape = opts.shape ?? 'tinyllama-1.1b';
  const cfg = syntheticConfig(shape);
  const promptTokens = opts.promptTokens ?? 64;
  const genTokens = opts.genTokens ?? 16;
  opts.onStep?.('roofline');
  const roofline = await measureRoofline(ctx, opts.rooflineBytes ? { bytes: opts.rooflineBytes } : {});
  throwIfAborted(opts.signal);
  opts.onStep?.('weights');
  const weights = makeSyntheticWeights(ctx, cfg);
  let llama: LlamaGpu | null = null;
  try {
    opts.onStep?.('tune');
    const maxSeq = Math.min(cfg.maxPositionEmbeddings, promptTokens + genTokens + 16);
    const maxBatch = Math.min(64, maxSeq);
    const choices = opts.tuneCache ? await tuneLlamaWeights(ctx, weights, { cache: opts.tuneCache, budgetMs: opts.tuneBudgetMs ?? 4000, maxBatch }) : null;
    throwIfAborted(opts.signal);
    llama = LlamaGpu.create(ctx, cfg, weights, { maxSeq, maxBatch, ...choices?.kernelChoices() });
    const sampler = { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, seed: 1 };
    const prompt = Array.from({ length: promptTokens }, (_, i) => (i * 7919 + 3) % cfg.vocabSize);
    // Warm-up: pipelines compiled, buffers touched.
    const tok = await llama.prefill(prompt.slice(0, Math.min(8, promptTokens)), sampler);
    await llama.decode(tok, Math.min(8, promptTokens), sampler, 1);
    opts.onStep?.('prefill');
    const t0 = performance.now();
    await llama.prefill(prompt, sampler);
    const t1 = performance.now();
    throwIfAborted(opts.signal);
    opts.onStep?.('decode');
    // Decode as the engine does it: each step fed on the GPU by the previous one's sampled id, two in flight.
    // (The prefill above was awaited, so the first step follows the id it sampled.)
    const inFlight: Promise<number>[] = [];
    for (let i = 0; i < genTokens; i++) {
      inFlight.push(llama.decodeNext(promptTokens + i, sampler, i + 1));
      if (inFlight.length > 2) await inFlight.shift();
    }
    await Promise.all(inFlight);
    const t2 = performance.now();
    const decodeTokS = genTokens / ((t2 - t1) / 1000);
    const bytesPerToken = decodeBytesPerToken(weights);
    return {
      shape,
      adapter: ctx.adapterName,
      f16: ctx.f16,
      promptTokens,
      genTokens,
      prefillTokS: promptTokens / ((t1 - t0) / 1000),
      decodeTokS,
      weightBytesPerToken: bytesPerToken,
      roofline,
      decodeRooflineFraction: (decodeTokS * bytesPerToken) / (roofline.gbps * 1e9),
      tune: choices?.report ?? null,
    };
  } finally {
    llama?.destroy();
    weights.destroy();
  }
}
