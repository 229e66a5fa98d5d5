// Dense (unquantized) linear layers on a DenseWeight W [N, K] (nn.Linear layout, rows split into chunks):
// DenseMatvecKernel (one token: decode, lm_head) and DenseMatmulKernel (prefill). y f32; optional accumulate (y += W x).
import matvecCode from '../../../shaders/dense-matvec.wgsl?raw';
import matmulCode from '../../../shaders/dense-matmul.wgsl?raw';
import { getPipeline, uniformBuffer, type GpuContext } from '../context';
import type { DenseWeight } from '../dense-weight';
import { dispatchLinear, linearGrid, uniformWords, type Grid } from './common';

export interface DenseLinearOptions {
  /** y += result (fuses the residual add). */
  accumulate?: boolean;
}

export interface DenseBound { groups: { bindGroup: GPUBindGroup; rows: number; grid: Grid }[] }

function bindChunks(ctx: GpuContext, pipeline: GPUComputePipeline, label: string, x: GPUBuffer, w: DenseWeight, y: GPUBuffer, step: GPUBuffer,
  threadsPerRow: number, params: (rows: number, rowStart: number, stride: number) => Uint32Array): DenseBound {
  return {
    groups: w.chunks.map((c) => {
      const grid = linearGrid(ctx, c.rows * threadsPerRow, 64);
      const p = uniformBuffer(ctx, params(c.rows, c.rowStart, grid.stride), `${label}.params`);
      const bindGroup = ctx.device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: x } },
          { binding: 1, resource: { buffer: c.buffer } },
          { binding: 2, resource: { buffer: y } },
          { binding: 3, resource: { buffer: p } },
          { binding: 4, resource: { buffer: step } },
        ],
      });
      return { bindGroup, rows: c.rows, grid };
    }),
  };
}

/** x f32 [M, K] (row 0, or row Step.m - 1 with xRow 'last') → y f32 [N]. One thread per output row. */
export class DenseMatvecKernel {
  private readonly pipeline: GPUComputePipeline;
  constructor(private readonly ctx: GpuContext, private readonly opts: DenseLinearOptions & { xRow?: 'first' | 'last' } = {}) {
    this.pipeline = getPipeline(ctx, 'dense-matvec', matvecCode);
  }

  bind(x: GPUBuffer, w: DenseWeight, y: GPUBuffer, step: GPUBuffer): DenseBound {
    const flags = [this.opts.accumulate ? 1 : 0, w.dtype === 'f16' ? 1 : 0, this.opts.xRow === 'last' ? 1 : 0];
    return bindChunks(this.ctx, this.pipeline, 'dense-matvec', x, w, y, step, 1,
      (rows, rowStart, stride) => uniformWords([rows, w.cols, rowStart, flags[0], flags[1], flags[2], stride]));
  }

  encode(pass: GPUComputePassEncoder, bound: DenseBound, _m = 1): void {
    pass.setPipeline(this.pipeline);
    for (const g of bound.groups) {
      pass.setBindGroup(0, g.bindGroup);
      dispatchLinear(pass, g.grid, g.rows);
    }
  }
}

/** x f32 [M, K] → y f32 [M, N], M = Step.m <= maxM. One thread per (output row, 4 tokens). */
export class DenseMatmulKernel {
  private readonly pipeline: GPUComputePipeline;
  constructor(private readonly ctx: GpuContext, private readonly opts: DenseLinearOptions = {}) {
    this.pipeline = getPipeline(ctx, 'dense-matmul', matmulCode);
  }

  bind(x: GPUBuffer, w: DenseWeight, y: GPUBuffer, step: GPUBuffer, shape: { maxM: number }): DenseBound {
    const tiles = Math.ceil(shape.maxM / 4);
    return bindChunks(this.ctx, this.pipeline, 'dense-matmul', x, w, y, step, tiles,
      (rows, rowStart, stride) => uniformWords([rows, w.cols, rowStart, this.opts.accumulate ? 1 : 0, w.dtype === 'f16' ? 1 : 0, w.rows, stride]));
  }

  encode(pass: GPUComputePassEncoder, bound: DenseBound, m: number): void {
    pass.setPipeline(this.pipeline);
    for (const g of bound.groups) {
      pass.setBindGroup(0, g.bindGroup);
      dispatchLinear(pass, g.grid, g.rows * Math.ceil(m / 4));
    }
  }
}
