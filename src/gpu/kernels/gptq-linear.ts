// GPTQ 4-bit linear layers on the repacked layout (src/gpu/gptq-repack.ts): GptqMatvecKernel (decode, M = 1)
// and GptqMatmulKernel (prefill, M > 1), fused dequant, optional bias, optional accumulate (y += W x + b).
// Both read f32 activations and do f32 arithmetic on either precision path (the f16 path gained nothing
// measurable on lavapipe for the 4-bit weights; scales are f16 in the packed words either way).
import matvecCode from '../../../shaders/gptq-matvec.wgsl?raw';
import matmulCode from '../../../shaders/gptq-matmul.wgsl?raw';
import { getPipeline, uniformBuffer, type GpuContext } from '../context';
import { placeholderBuffer, type GpuGptq } from '../gptq-repack';
import { dispatchLinear, linearGrid, uniformWords, type Grid } from './common';

export interface GptqLinearOptions {
  /** y += result (fuses the residual add). */
  accumulate?: boolean;
}

export interface GptqBound { groups: { bindGroup: GPUBindGroup; rows: number; grid: Grid }[] }

function bindGptq(ctx: GpuContext, pipeline: GPUComputePipeline, label: string, x: GPUBuffer, w: GpuGptq, y: GPUBuffer, step: GPUBuffer,
  threadsPerRow: number, accumulate: boolean, xRowLast: boolean): GptqBound {
  let dummy: GPUBuffer | null = null;
  const optional = (b: GPUBuffer | null) => b ?? (dummy ??= placeholderBuffer(ctx));
  return {
    groups: w.chunks.map((c) => {
      const grid = linearGrid(ctx, c.rows * threadsPerRow, 64);
      const params = uniformBuffer(ctx, uniformWords([
        w.K, c.rows, c.rowStart, w.nGroups,
        w.groupSize / 8, w.perm ? 1 : 0, w.bias ? 1 : 0, accumulate ? 1 : 0,
        xRowLast ? 1 : 0, grid.stride, w.N, 0,
      ]), `${label}.params`);
      const bindGroup = ctx.device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: x } },
          { binding: 1, resource: { buffer: c.words } },
          { binding: 2, resource: { buffer: c.sz } },
          { binding: 3, resource: { buffer: optional(w.perm) } },
          { binding: 4, resource: { buffer: optional(w.bias) } },
          { binding: 5, resource: { buffer: y } },
          { binding: 6, resource: { buffer: params } },
          { binding: 7, resource: { buffer: step } },
        ],
      });
      return { bindGroup, rows: c.rows, grid };
    }),
  };
}

/** x f32 [M, K] (row 0, or row Step.m - 1 with xRow 'last') → y f32 [N]. One thread per output row. */
export class GptqMatvecKernel {
  private readonly pipeline: GPUComputePipeline;
  constructor(private readonly ctx: GpuContext, private readonly opts: GptqLinearOptions & { xRow?: 'first' | 'last' } = {}) {
    this.pipeline = getPipeline(ctx, 'gptq-matvec', matvecCode);
  }

  bind(x: GPUBuffer, w: GpuGptq, y: GPUBuffer, step: GPUBuffer): GptqBound {
    return bindGptq(this.ctx, this.pipeline, 'gptq-matvec', x, w, y, step, 1, !!this.opts.accumulate, this.opts.xRow === 'last');
  }

  encode(pass: GPUComputePassEncoder, bound: GptqBound, _m = 1): void {
    pass.setPipeline(this.pipeline);
    for (const g of bound.groups) {
      pass.setBindGroup(0, g.bindGroup);
      dispatchLinear(pass, g.grid, g.rows);
    }
  }
}

/** x f32 [M, K] → y f32 [M, N], M = Step.m <= maxM. One thread per (output row, 4 tokens). */
export class GptqMatmulKernel {
  private readonly pipeline: GPUComputePipeline;
  constructor(private readonly ctx: GpuContext, private readonly opts: GptqLinearOptions = {}) {
    this.pipeline = getPipeline(ctx, 'gptq-matmul', matmulCode);
  }

  bind(x: GPUBuffer, w: GpuGptq, y: GPUBuffer, step: GPUBuffer, shape: { maxM: number }): GptqBound {
    return bindGptq(this.ctx, this.pipeline, 'gptq-matmul', x, w, y, step, Math.ceil(shape.maxM / 4), !!this.opts.accumulate, false);
  }

  encode(pass: GPUComputePassEncoder, bound: GptqBound, m: number): void {
    pass.setPipeline(this.pipeline);
    for (const g of bound.groups) {
      pass.setBindGroup(0, g.bindGroup);
      dispatchLinear(pass, g.grid, g.rows * Math.ceil(m / 4));
    }
  }
}
