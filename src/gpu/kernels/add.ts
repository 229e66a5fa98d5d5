// Residual add a += b (shaders/add.wgsl).
import code from '../../../shaders/add.wgsl?raw';
import { dispatchSize, getPipeline, uniformBuffer, type GpuContext } from '../context';

export class AddKernel {
  private readonly pipeline: GPUComputePipeline;
  constructor(private readonly ctx: GpuContext) {
    this.pipeline = getPipeline(ctx, 'add', code);
  }

  /** Builds the bind group once (shapes do not change between tokens); encode() then only dispatches. */
  bind(a: GPUBuffer, b: GPUBuffer, n: number): { bindGroup: GPUBindGroup; workgroups: [number, number] } {
    const wg = dispatchSize(this.ctx, Math.ceil(n / 256));
    const params = uniformBuffer(this.ctx, new Uint32Array([n, wg[0] * 256, 0, 0]), 'add.params');
    const bindGroup = this.ctx.device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: a, size: n * 4 } },
        { binding: 1, resource: { buffer: b, size: n * 4 } },
        { binding: 2, resource: { buffer: params } },
      ],
    });
    return { bindGroup, workgroups: wg };
  }

  encode(pass: GPUComputePassEncoder, bound: { bindGroup: GPUBindGroup; workgroups: [number, number] }): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bound.bindGroup);
    pass.dispatchWorkgroups(bound.workgroups[0], bound.workgroups[1]);
  }
}
