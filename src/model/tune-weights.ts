// Runs the autotuner (src/gpu/autotune.ts: autotuneLinear) over a model's uploaded weights: every 4-bit layer
// (the linears of each block, fused q/k/v and gate/up included, 8-bit layers' low halves, a quantised lm_head)
// contributes its shape to the GPTQ matvec and prefill matmul tuning; a dense lm_head (or the tied embeddings)
// to the dense matvec tuning; a block's dense (unquantised) linear to the dense matvec and dense prefill matmul tuning.
import { autotuneLinear, type LinearTuneOptions, type MatvecChoices, type TuneOptions } from '../gpu/autotune';
import type { DenseShape } from '../gpu/autotune-dense';
import type { GpuContext } from '../gpu/context';
import type { GpuGptq } from '../gpu/gptq-repack';
import { LINEAR_NAMES } from './checkpoint';
import type { GpuLinear, GpuLlamaWeights } from './weights-gpu';

/** Every block's linear keys: the unfused ones and the fused q/k/v and gate/up (a block has one set or the other). */
const BLOCK_LINEAR_KEYS = [...LINEAR_NAMES.map(([k]) => k), 'qkv', 'gateUp'] as const;

export function gptqLayersOf(w: GpuLlamaWeights): GpuGptq[] {
  const out: GpuGptq[] = [];
  const add = (l: GpuLinear | undefined) => { if (l?.kind === 'gptq') out.push(l.w); };
  for (const L of w.layers) {
    for (const key of BLOCK_LINEAR_KEYS) { add(L[key]); add(L.lowHalf?.[key]); }
  }
  add(w.lmHead);
  return out;
}

/** The dense (unquantised) linears of the blocks (fused q/k/v and gate/up included): a prefill matmul and a decode matvec each. */
export function denseLayersOf(w: GpuLlamaWeights): DenseShape[] {
  const out: DenseShape[] = [];
  for (const L of w.layers) {
    for (const key of BLOCK_LINEAR_KEYS) {
      const l = L[key];
      if (l?.kind === 'dense') out.push({ K: l.K, N: l.N, dtype: l.w.dtype });
    }
  }
  return out;
}

/** `maxBatch`: the LlamaGpu's prefill batch (its maxBatch option, default 64), the M the matmul tiles are timed at. */
export function tuneLlamaWeights(ctx: GpuContext, w: GpuLlamaWeights, opts: TuneOptions & Pick<LinearTuneOptions, 'tiles' | 'denseVariants' | 'denseTiles' | 'onProgress'> & { maxBatch?: number }): Promise<MatvecChoices> {
  const denseLayers = denseLayersOf(w);
  const dense = [...(w.lmHead.kind === 'dense' ? [{ K: w.lmHead.K, N: w.lmHead.N, dtype: w.lmHead.w.dtype }] : []), ...denseLayers];
  return autotuneLinear(ctx, gptqLayersOf(w), { ...opts, maxM: opts.maxBatch ?? 64, dense, denseMatmul: denseLayers });
}
