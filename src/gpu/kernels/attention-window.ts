// Sliding-window causal GQA attention (Mistral's sliding_window W): query row i at position p = pos0 + i
// attends to cache positions max(0, p − W + 1) ..= p. The shader is shaders/attention.wgsl with one change,
// made here: each split-K chunk starts no earlier than the window's first position (override constant WINDOW),
// so positions before the window are never read; chunks wholly before it stay empty, and
// attention-reduce.wgsl skips empty chunks. Split counts, scratch and the reduce pass are as in attention.ts.
import code from '../../../shaders/attention.wgsl?raw';
import reduceCode from '../../../shaders/attention-reduce.wgsl?raw';
import { AppError } from '../../shared/errors';
import { createBuffer, getPipeline, STORAGE, uniformBuffer, type GpuContext } from '../context';
import { attentionChunks, MAX_HEAD_DIM, type AttentionBound, type AttentionShape } from './attention';
import { dispatchLinear, f16Variant, getPipelineWithConstants, linearGrid, uniformWords } from './common';

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

const SCRATCH_BUDGET = 32 * 2 ** 20;

export class SlidingWindowAttentionKernel {
  private readonly pipeline: GPUComputePipeline;
  private readonly reducePipeline: GPUComputePipeline;
  private scratch: GPUBuffer | null = null;
  readonly f16: boolean;

  constructor(private readonly ctx: GpuContext, readonly window: number) {
    if (!(Number.isInteger(window) && window >= 1)) throw new AppError('BAD_ARGUMENT', `Sliding window ${window} must be a positive integer.`);
    this.f16 = ctx.f16;
    const src = slidingWindowShader(code);
    this.pipeline = getPipelineWithConstants(ctx, this.f16 ? 'attention-window.f16' : 'attention-window', this.f16 ? f16Variant(src) : src, { WINDOW: window });
    this.reducePipeline = getPipeline(ctx, 'attention-reduce', reduceCode);
  }

  private split(s: AttentionShape): { maxChunks: number; slots: number } {
    if (s.nChunks) return { maxChunks: s.nChunks, slots: s.maxM * s.nHeads * s.nChunks };
    const maxChunks = Math.max(1, Math.min(Math.ceil(s.maxSeq / 16), 32));
    const budget = Math.min(SCRATCH_BUDGET, this.ctx.limits.maxStorageBufferBindingSize);
    const fit = Math.floor(budget / ((s.headDim + 2) * 4));
    return { maxChunks, slots: Math.max(s.maxM * s.nHeads, Math.min(fit, s.maxM * s.nHeads * maxChunks)) };
  }

  /** As AttentionKernel.bind: q f32 [maxM, nHeads, headDim]; caches [maxSeq, nKv, headDim]; out like q. */
  bind(q: GPUBuffer, kCache: GPUBuffer, vCache: GPUBuffer, out: GPUBuffer, step: GPUBuffer, shape: AttentionShape): AttentionBound {
    const { nHeads, nKv, headDim, maxSeq, maxM } = shape;
    if (headDim > MAX_HEAD_DIM || headDim < 1 || nHeads % nKv !== 0) {
      throw new AppError('UNSUPPORTED_MODEL', `Attention with ${nHeads} heads, ${nKv} KV heads and head size ${headDim} is not supported (head size must be at most ${MAX_HEAD_DIM} and heads a multiple of KV heads).`);
    }
    const { maxChunks, slots } = this.split(shape);
    const scratchBytes = slots * (headDim + 2) * 4;
    if (!this.scratch || this.scratch.size < scratchBytes) this.scratch = createBuffer(this.ctx, scratchBytes, STORAGE, 'attention-window.partials');
    const grid = linearGrid(this.ctx, slots, 64);
    const reduceGrid = linearGrid(this.ctx, maxM * nHeads * headDim, 256);
    const words = (stride: number) => uniformWords([nHeads, nKv, headDim, maxChunks, maxSeq, stride, { f: 1 / Math.sqrt(headDim) }, slots]);
    const group = (pipeline: GPUComputePipeline, buffers: GPUBuffer[]) =>
      this.ctx.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) });
    const main = group(this.pipeline, [q, kCache, vCache, this.scratch, uniformBuffer(this.ctx, words(grid.stride), 'attention-window.params'), step]);
    const reduce = group(this.reducePipeline, [this.scratch, out, uniformBuffer(this.ctx, words(reduceGrid.stride), 'attention-reduce.params'), step]);
    return { main, reduce, grid, reduceGrid, nHeads, headDim, maxChunks, slots };
  }

  encode(pass: GPUComputePassEncoder, bound: AttentionBound, m: number): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bound.main);
    dispatchLinear(pass, bound.grid, m * bound.nHeads * attentionChunks(bound, m));
    pass.setPipeline(this.reducePipeline);
    pass.setBindGroup(0, bound.reduce);
    dispatchLinear(pass, bound.reduceGrid, m * bound.nHeads * bound.headDim);
  }
}
