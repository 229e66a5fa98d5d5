// Sliding-window causal GQA attention (Mistral's sliding_window W): query row i at position p = pos0 + i
// attends to cache positions max(0, p − W + 1) ..= p. The shader is shaders/attention.wgsl with one change,
// made here: each split-K chunk starts no earlier than the window's first position (override constant WINDOW),
// so positions before the window are never read; chunks wholly before it stay empty, and
// attention-reduce.wgsl skips empty chunks. Split counts, scratch and the reduce pass are AttentionKernel's own.
import code from '../../../shaders/attention.wgsl?raw';
import { AppError } from '../../shared/errors';
import type { GpuContext } from '../context';
import { AttentionKernel } from './attention';
import { f16Variant, getPipelineWithConstants } from './common';

const CHUNK_START = '  let start = c * chunk;';
const CHUNK_END = '  let end = min(start + chunk, len);';

/** attention.wgsl with the chunk start clamped to the sliding window (throws if the shader changed shape). */
export function slidingWindowShader(src: string): string {
  if (!src.includes(CHUNK_START) || !src.includes(CHUNK_END) || !src.includes('@compute')) {
    throw new AppError('INTERNAL', 'shaders/attention.wgsl no longer has the chunk-start/end lines the sliding-window variant patches; update src/gpu/kernels/attention-window.ts.');
  }
  return src
    .replace('@compute', 'override WINDOW: u32; // sliding window in positions (>= 1)\n\n@compute')
    // The chunk keeps its end; only its start moves up to the window's first position.
    .replace(CHUNK_END, '  let end = min(c * chunk + chunk, len);')
    .replace(CHUNK_START, '  let start = max(c * chunk, select(0u, len - WINDOW, len > WINDOW)); // sliding window');
}

/** The windowed pipeline for this context's precision path. */
function windowPipeline(ctx: GpuContext, window: number): GPUComputePipeline {
  if (!(Number.isInteger(window) && window >= 1)) throw new AppError('BAD_ARGUMENT', `Sliding window ${window} must be a positive integer.`);
  const src = slidingWindowShader(code);
  return getPipelineWithConstants(ctx, ctx.f16 ? 'attention-window.f16' : 'attention-window', ctx.f16 ? f16Variant(src) : src, { WINDOW: window });
}

/** AttentionKernel (same bindings, split, scratch and reduce pass) running the windowed shader. */
export class SlidingWindowAttentionKernel extends AttentionKernel {
  constructor(ctx: GpuContext, readonly window: number) {
    super(ctx, windowPipeline(ctx, window));
  }
}
