// SwiGLU gate (shaders/silu-mul.wgsl): out = silu(gate) * up; out may be the gate buffer itself (in place).
import code from '../../../shaders/silu-mul.wgsl?raw';
import { getPipeline, uniformBuffer, type GpuContext } from '../context';
import { dispatchLinear, linearGrid, uniformWords, type Grid } from './common';

export interface SiluMulBound { bindGroup: GPUBindGroup; grid: Grid; inPlace: boolean; f: number }

export class SiluMulKernel {
  private readonly pipeline: GPUComputePipeline;
  private readonly pipelineInPlace: GPUComputePipeline;
  constructor(private readonly ctx: GpuContext) {
    this.pipeline = getPipeline(ctx, 'silu-mul', code, 'main');
    this.pipelineInPlace = getPipeline(ctx, 'silu-mul.inplace', code, 'main_inplace');
  }

  /** gate, up, out f32 [maxM, f]; pass out === gate to write in place. */
  bind(gate: GPUBuffer, up: GPUBuffer, out: GPUBuffer, step: GPUBuffer, shape: { f: number; maxM: number }): SiluMulBound {
    const inPlace = out === gate;
    const grid = linearGrid(this.ctx, shape.maxM * shape.f, 256);
    const params = uniformBuffer(this.ctx, uniformWords([shape.f, grid.stride]), 'silu-mul.params');
    const p = inPlace ? this.pipelineInPlace : this.pipeline;
    const entries: GPUBindGroupEntry[] = [
      { binding: 0, resource: { buffer: gate } },
      { binding: 1, resource: { buffer: up } },
      { binding: 3, resource: { buffer: params } },
      { binding: 4, resource: { buffer: step } },
    ];
    if (!inPlace) entries.push({ binding: 2, resource: { buffer: out } });
    const bindGroup = this.ctx.device.createBindGroup({ layout: p.getBindGroupLayout(0), entries });
    return { bindGroup, grid, inPlace, f: shape.f };
  }

  encode(pass: GPUComputePassEncoder, bound: SiluMulBound, m: number): void {
    pass.setPipeline(bound.inPlace ? this.pipelineInPlace : this.pipeline);
    pass.setBindGroup(0, bound.bindGroup);
    dispatchLinear(pass, bound.grid, m * bound.f);
  }
}
