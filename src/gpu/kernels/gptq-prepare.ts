// GPTQ input preparation with the op before the linear folded in, written straight into a GPTQ binding's
// prepared-x scratch (GptqBound.scratch) so that the binding skips its own prepare (GptqBound.externalPrepare):
//   norm — shaders/gptq-prepare-norm.wgsl: rmsnorm(x)·w prepared (replaces rmsnorm + prepare: the q/k/v and
//          gate/up linears after the layer's norms);
//   glu  — shaders/gptq-prepare-x.wgsl with glu = 1: silu(gate)·up of a fused gate/up output [M, 2K] prepared
//          (replaces silu-mul + prepare: the down linear).
// CPU twins: rmsNormCpu / siluMulCpu followed by gptqPrepareCpu (src/gpu/cpu/gptq-prepare.ts).
import normCode from '../../../shaders/gptq-prepare-norm.wgsl?raw';
import prepareCode from '../../../shaders/gptq-prepare-x.wgsl?raw';
import { getPipeline, uniformBuffer, type GpuContext } from '../context';
import { placeholderBuffer, type GpuGptq } from '../gptq-repack';
import { dispatchLinear, dispatchWorkgroups, linearGrid, uniformWords, type Grid } from './common';
import type { GptqBound } from './gptq-linear';

export type GptqPrepareBound =
  | { kind: 'norm'; bindGroup: GPUBindGroup; gridX: number; allRows: boolean }
  | { kind: 'glu'; bindGroup: GPUBindGroup; grid: Grid; nGroups: number; allRows: boolean };

export class GptqPrepareKernel {
  private readonly normPipeline: GPUComputePipeline;
  private readonly gluPipeline: GPUComputePipeline;
  private dummy: GPUBuffer | null = null;

  constructor(private readonly ctx: GpuContext, private readonly opts: { eps: number }) {
    this.normPipeline = getPipeline(ctx, 'gptq-prepare-norm', normCode);
    this.gluPipeline = getPipeline(ctx, 'gptq-prepare-x', prepareCode);
  }

  /**
   * x f32 [maxM, K] (the residual stream), weight f32 [K] → the prepared x of `target` (a binding of `w`), which
   * is marked to skip its own prepare. maxM: the most rows the target's mode prepares.
   */
  bindNorm(x: GPUBuffer, weight: GPUBuffer, w: GpuGptq, target: GptqBound, step: GPUBuffer, maxM: number): GptqPrepareBound {
    const { xs, gsum, mode } = target.scratch;
    const gridX = Math.min(mode === 0 ? maxM : 1, this.ctx.limits.maxComputeWorkgroupsPerDimension);
    const params = uniformBuffer(this.ctx, uniformWords([w.K, mode, gridX, w.nGroups, w.groupSize, w.perm ? 1 : 0, { f: this.opts.eps }]), 'gptq-prepare-norm.params');
    const bindGroup = this.ctx.device.createBindGroup({
      layout: this.normPipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: x } },
        { binding: 1, resource: { buffer: weight } },
        { binding: 2, resource: { buffer: w.perm ?? (this.dummy ??= placeholderBuffer(this.ctx)) } },
        { binding: 3, resource: { buffer: xs } },
        { binding: 4, resource: { buffer: gsum } },
        { binding: 5, resource: { buffer: params } },
        { binding: 6, resource: { buffer: step } },
      ],
    });
    target.externalPrepare = true;
    return { kind: 'norm', bindGroup, gridX, allRows: mode === 0 };
  }

  /** gateUp f32 [maxM, 2K] (gate | up per row) → the prepared silu(gate)·up of `target` (a binding of `w`). */
  bindGlu(gateUp: GPUBuffer, w: GpuGptq, target: GptqBound, step: GPUBuffer, maxM: number): GptqPrepareBound {
    const { xs, gsum, mode } = target.scratch;
    const grid = linearGrid(this.ctx, (mode === 0 ? maxM : 1) * w.nGroups, 64);
    const params = uniformBuffer(this.ctx, uniformWords([w.K, mode, grid.stride, w.nGroups, w.groupSize, w.perm ? 1 : 0, 1]), 'gptq-prepare-x.glu.params');
    const bindGroup = this.ctx.device.createBindGroup({
      layout: this.gluPipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: gateUp } },
        { binding: 1, resource: { buffer: w.perm ?? (this.dummy ??= placeholderBuffer(this.ctx)) } },
        { binding: 2, resource: { buffer: xs } },
        { binding: 3, resource: { buffer: gsum } },
        { binding: 4, resource: { buffer: params } },
        { binding: 5, resource: { buffer: step } },
      ],
    });
    target.externalPrepare = true;
    return { kind: 'glu', bindGroup, grid, nGroups: w.nGroups, allRows: mode === 0 };
  }

  encode(pass: GPUComputePassEncoder, bound: GptqPrepareBound, m: number): void {
    const rows = bound.allRows ? m : 1;
    if (bound.kind === 'norm') {
      pass.setPipeline(this.normPipeline);
      pass.setBindGroup(0, bound.bindGroup);
      dispatchWorkgroups(pass, bound.gridX, rows);
    } else {
      pass.setPipeline(this.gluPipeline);
      pass.setBindGroup(0, bound.bindGroup);
      dispatchLinear(pass, bound.grid, rows * bound.nGroups);
    }
  }
}
