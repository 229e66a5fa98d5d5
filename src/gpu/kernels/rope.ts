// Rotary embedding, HF rotate_half layout, in place (shaders/rope.wgsl). Positions come from Step.pos0.
import code from '../../../shaders/rope.wgsl?raw';
import sinCosCode from '../../../shaders/sin-cos.wgsl?raw';
import { getPipeline, uniformBuffer, type GpuContext } from '../context';
import { dispatchLinear, linearGrid, uniformWords, type Grid } from './common';

export interface RopeBound { bindGroup: GPUBindGroup; grid: Grid; perRow: number }

export class RopeKernel {
  private readonly pipeline: GPUComputePipeline;
  constructor(private readonly ctx: GpuContext) {
    this.pipeline = getPipeline(ctx, 'rope', `${sinCosCode}\n${code}`);
  }

  /** x f32 [maxM, nHeads, headDim] (in place); invFreq f32 [headDim / 2]. */
  bind(x: GPUBuffer, invFreq: GPUBuffer, step: GPUBuffer, shape: { nHeads: number; headDim: number; maxM: number }): RopeBound {
    const perRow = (shape.nHeads * shape.headDim) / 2;
    const grid = linearGrid(this.ctx, shape.maxM * perRow, 256);
    const params = uniformBuffer(this.ctx, uniformWords([shape.nHeads, shape.headDim, grid.stride]), 'rope.params');
    const bindGroup = this.ctx.device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: x } },
        { binding: 1, resource: { buffer: invFreq } },
        { binding: 2, resource: { buffer: params } },
        { binding: 3, resource: { buffer: step } },
      ],
    });
    return { bindGroup, grid, perRow };
  }

  encode(pass: GPUComputePassEncoder, bound: RopeBound, m: number): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bound.bindGroup);
    dispatchLinear(pass, bound.grid, m * bound.perRow);
  }
}
