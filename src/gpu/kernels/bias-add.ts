// Bias add after a dense linear, in place (shaders/bias-add.wgsl): y[r, :] += bias for the Step.m rows.
import code from '../../../shaders/bias-add.wgsl?raw';
import { getPipeline, uniformBuffer, type GpuContext } from '../context';
import { dispatchLinear, linearGrid, uniformWords, type Grid } from './common';

export interface BiasAddBound { bindGroup: GPUBindGroup; grid: Grid; n: number }

export class BiasAddKernel {
  private readonly pipeline: GPUComputePipeline;
  constructor(private readonly ctx: GpuContext) {
    this.pipeline = getPipeline(ctx, 'bias-add', code);
  }

  /** y f32 [maxM, n] (in place); bias f32 [n]. */
  bind(y: GPUBuffer, bias: GPUBuffer, step: GPUBuffer, shape: { n: number; maxM: number }): BiasAddBound {
    const grid = linearGrid(this.ctx, shape.maxM * shape.n, 256);
    const params = uniformBuffer(this.ctx, uniformWords([shape.n, grid.stride]), 'bias-add.params');
    const bindGroup = this.ctx.device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: y } },
        { binding: 1, resource: { buffer: bias } },
        { binding: 2, resource: { buffer: params } },
        { binding: 3, resource: { buffer: step } },
      ],
    });
    return { bindGroup, grid, n: shape.n };
  }

  encode(pass: GPUComputePassEncoder, bound: BiasAddBound, m: number): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bound.bindGroup);
    dispatchLinear(pass, bound.grid, m * bound.n);
  }
}
