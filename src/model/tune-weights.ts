// Runs the GPTQ matvec autotuner (src/gpu/autotune.ts) over a model's uploaded weights: every 4-bit layer
// (the linears of each block, 8-bit layers' low halves, a quantised lm_head) contributes its shape.
import { autotuneGptqMatvec, type MatvecChoices, type TuneOptions } from '../gpu/autotune';
import type { GpuContext } from '../gpu/context';
import type { GpuGptq } from '../gpu/gptq-repack';
import { LINEAR_NAMES } from './checkpoint';
import type { GpuLinear, GpuLlamaWeights } from './weights-gpu';

export function gptqLayersOf(w: GpuLlamaWeights): GpuGptq[] {
  const out: GpuGptq[] = [];
  const add = (l: GpuLinear | undefined) => { if (l?.kind === 'gptq') out.push(l.w); };
  for (const L of w.layers) {
    for (const [key] of LINEAR_NAMES) { add(L[key]); add(L.lowHalf?.[key]); }
  }
  add(w.lmHead);
  return out;
}

export function tuneLlamaWeights(ctx: GpuContext, w: GpuLlamaWeights, opts: TuneOptions): Promise<MatvecChoices> {
  return autotuneGptqMatvec(ctx, gptqLayersOf(w), opts);
}
