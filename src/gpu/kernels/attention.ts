// Causal GQA attention over one layer's KV cache, split-K (shaders/attention.wgsl + attention-reduce.wgsl).
// The split count follows the batch: nChunks(m) = clamp(slots / (m * nHeads), 1, maxChunks), so decode (m = 1)
// splits the context into up to 32 chunks while a long prefill uses fewer; each chunk covers
// ceil(Step.kv_len / nChunks) positions. The partial-results scratch (`slots` records of 2 + headDim f32) is
// owned by the kernel instance and shared by every layer bound with the same shape (dispatches run in order).
import code from '../../../shaders/attention.wgsl?raw';
import reduceCode from '../../../shaders/attention-reduce.wgsl?raw';
import { AppError } from '../../shared/errors';
import { createBuffer, getPipeline, STORAGE, uniformBuffer, type GpuContext } from '../context';
import { dispatchLinear, f16Variant, linearGrid, uniformWords, type Grid } from './common';

export interface AttentionShape {
  nHeads: number;
  nKv: number;
  headDim: number;
  maxSeq: number;
  maxM: number;
  /** Fixes the split count (tests); default: up to min(32, maxSeq / 16) within a 32 MiB scratch budget. */
  nChunks?: number;
  /** The logit scale q·k is multiplied by; default 1/√headDim (rope.ts attentionLogitScale: YaRN's is larger). */
  scale?: number;
}

export interface AttentionBound {
  main: GPUBindGroup;
  reduce: GPUBindGroup;
  grid: Grid;
  reduceGrid: Grid;
  nHeads: number;
  headDim: number;
  maxChunks: number;
  slots: number;
}

/** The split count for a batch of m tokens (the shaders compute the same). */
export function attentionChunks(b: { nHeads: number; maxChunks: number; slots: number }, m: number): number {
  return Math.min(Math.max(Math.floor(b.slots / Math.max(m * b.nHeads, 1)), 1), b.maxChunks);
}

const SCRATCH_BUDGET = 32 * 2 ** 20;
export const MAX_HEAD_DIM = 128;

export class AttentionKernel {
  private readonly pipeline: GPUComputePipeline;
  private readonly reducePipeline: GPUComputePipeline;
  private scratch: GPUBuffer | null = null;
  readonly f16: boolean;

  /**
   * The cache dtype follows ctx.f16 (as createKvCache does). `pipeline`: a variant of attention.wgsl with the
   * same bindings and split (the sliding-window kernel, attention-window.ts); default the plain one.
   */
  constructor(private readonly ctx: GpuContext, pipeline?: GPUComputePipeline) {
    this.f16 = ctx.f16;
    this.pipeline = pipeline ?? (this.f16 ? getPipeline(ctx, 'attention.f16', f16Variant(code)) : getPipeline(ctx, 'attention', code));
    this.reducePipeline = getPipeline(ctx, 'attention-reduce', reduceCode);
  }

  /** Split limits for a shape: maxChunks and the scratch size in records (>= one per row and head). */
  private split(s: AttentionShape): { maxChunks: number; slots: number } {
    if (s.nChunks) return { maxChunks: s.nChunks, slots: s.maxM * s.nHeads * s.nChunks };
    const maxChunks = Math.max(1, Math.min(Math.ceil(s.maxSeq / 16), 32));
    const budget = Math.min(SCRATCH_BUDGET, this.ctx.limits.maxStorageBufferBindingSize);
    const fit = Math.floor(budget / ((s.headDim + 2) * 4));
    return { maxChunks, slots: Math.max(s.maxM * s.nHeads, Math.min(fit, s.maxM * s.nHeads * maxChunks)) };
  }

  /** q f32 [maxM, nHeads, headDim]; caches [maxSeq, nKv, headDim]; out f32 [maxM, nHeads, headDim]. */
  bind(q: GPUBuffer, kCache: GPUBuffer, vCache: GPUBuffer, out: GPUBuffer, step: GPUBuffer, shape: AttentionShape): AttentionBound {
    const { nHeads, nKv, headDim, maxSeq, maxM } = shape;
    if (headDim > MAX_HEAD_DIM || headDim < 1 || nHeads % nKv !== 0) {
      throw new AppError('UNSUPPORTED_MODEL', `Attention with ${nHeads} heads, ${nKv} KV heads and head size ${headDim} is not supported (head size must be at most ${MAX_HEAD_DIM} and heads a multiple of KV heads).`);
    }
    const { maxChunks, slots } = this.split(shape);
    const scratchBytes = slots * (headDim + 2) * 4;
    if (!this.scratch || this.scratch.size < scratchBytes) {
      // A bigger shape gets a new scratch; the old one stays alive for the bind groups that still use it.
      this.scratch = createBuffer(this.ctx, scratchBytes, STORAGE, 'attention.partials');
    }
    const grid = linearGrid(this.ctx, slots, 64);
    const reduceGrid = linearGrid(this.ctx, maxM * nHeads * headDim, 256);
    const words = (stride: number) => uniformWords([nHeads, nKv, headDim, maxChunks, maxSeq, stride, { f: shape.scale ?? 1 / Math.sqrt(headDim) }, slots]);
    const params = uniformBuffer(this.ctx, words(grid.stride), 'attention.params');
    const reduceParams = uniformBuffer(this.ctx, words(reduceGrid.stride), 'attention-reduce.params');
    const main = this.ctx.device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: q } },
        { binding: 1, resource: { buffer: kCache } },
        { binding: 2, resource: { buffer: vCache } },
        { binding: 3, resource: { buffer: this.scratch } },
        { binding: 4, resource: { buffer: params } },
        { binding: 5, resource: { buffer: step } },
      ],
    });
    const reduce = this.ctx.device.createBindGroup({
      layout: this.reducePipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this.scratch } },
        { binding: 1, resource: { buffer: out } },
        { binding: 2, resource: { buffer: reduceParams } },
        { binding: 3, resource: { buffer: step } },
      ],
    });
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
