// Prefill (m > 1) of a sparse layer grouped by expert: shaders/moe-group.wgsl lists, per expert, the slots that
// chose it; shaders/moe-expert-gate-up-grouped.wgsl and moe-expert-down-grouped.wgsl then read each chosen
// expert's weights once per TM = 4 of its tokens (instead of once per token), the down results per slot, and
// shaders/moe-combine.wgsl sums the slots into the residual. CPU twins: src/gpu/cpu/moe-grouped.ts (and
// moeExpertGateUpCpu for the grouped gate/up, whose result equals the per-token kernel's).
import groupCode from '../../../shaders/moe-group.wgsl?raw';
import gateUpCode from '../../../shaders/moe-expert-gate-up-grouped.wgsl?raw';
import downCode from '../../../shaders/moe-expert-down-grouped.wgsl?raw';
import combineCode from '../../../shaders/moe-combine.wgsl?raw';
import { getPipeline, uniformBuffer, type GpuContext } from '../context';
import { dispatchLinear, linearGrid, uniformWords, type Grid } from './common';
import type { GpuExperts } from './moe-expert';

/** Tokens per thread of the grouped kernels (TM in their WGSL). */
export const MOE_GROUPED_TM = 4;

export interface MoeGroupBound { bindGroup: GPUBindGroup; nExperts: number }
export interface MoeGroupedBound { groups: { bindGroup: GPUBindGroup; n: number }[]; grid: Grid; rowsOut: number }
export interface MoeCombineBound { bindGroup: GPUBindGroup; grid: Grid; D: number }

/** Bytes of the groups buffer: u32 [nExperts, 1 + maxM]. */
export function moeGroupsBytes(nExperts: number, maxM: number): number {
  return nExperts * (1 + maxM) * 4;
}

export class MoeGroupKernel {
  private readonly pipeline: GPUComputePipeline;
  constructor(private readonly ctx: GpuContext) {
    this.pipeline = getPipeline(ctx, 'moe-group', groupCode);
  }
  /** route u32 [maxM, topK, 2] → groups u32 [nExperts, 1 + maxM]. */
  bind(route: GPUBuffer, groups: GPUBuffer, step: GPUBuffer, o: { nExperts: number; topK: number; maxM: number }): MoeGroupBound {
    const params = uniformBuffer(this.ctx, uniformWords([o.nExperts, o.topK, o.maxM]), 'moe-group.params');
    const bindGroup = this.ctx.device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: route } },
        { binding: 1, resource: { buffer: groups } },
        { binding: 2, resource: { buffer: params } },
        { binding: 3, resource: { buffer: step } },
      ],
    });
    return { bindGroup, nExperts: o.nExperts };
  }
  encode(pass: GPUComputePassEncoder, b: MoeGroupBound): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, b.bindGroup);
    pass.dispatchWorkgroups(Math.ceil(b.nExperts / 64));
  }
}

abstract class GroupedExpertKernel {
  private readonly pipeline: GPUComputePipeline;
  constructor(protected readonly ctx: GpuContext, key: string, code: string) {
    this.pipeline = getPipeline(ctx, key, code);
  }
  protected bindChunks(w: GpuExperts, rowsOut: number, topK: number, maxM: number, entries: (c: GpuExperts['chunks'][number], params: GPUBuffer) => GPUBindGroupEntry[]): MoeGroupedBound {
    const maxPer = Math.max(...w.chunks.map((c) => c.n));
    const grid = linearGrid(this.ctx, maxPer * Math.ceil(maxM / MOE_GROUPED_TM) * rowsOut, 64);
    const groups = w.chunks.map((c) => {
      const params = uniformBuffer(this.ctx, uniformWords([w.K, rowsOut, topK, c.e0, c.n, w.nGroups, w.groupSize / 8, grid.stride, c.identity ? 1 : 0, maxM]), 'moe-grouped.params');
      return { bindGroup: this.ctx.device.createBindGroup({ layout: this.pipeline.getBindGroupLayout(0), entries: entries(c, params) }), n: c.n };
    });
    return { groups, grid, rowsOut };
  }
  encode(pass: GPUComputePassEncoder, b: MoeGroupedBound, m: number): void {
    pass.setPipeline(this.pipeline);
    for (const g of b.groups) {
      pass.setBindGroup(0, g.bindGroup);
      dispatchLinear(pass, b.grid, g.n * Math.ceil(m / MOE_GROUPED_TM) * b.rowsOut);
    }
  }
}

/** x f32 [maxM, K], route, groups → act f32 [maxM, topK, F] (as MoeExpertGateUpKernel computes it). */
export class MoeExpertGateUpGroupedKernel extends GroupedExpertKernel {
  constructor(ctx: GpuContext) {
    super(ctx, 'moe-expert-gate-up-grouped', gateUpCode);
  }
  bind(x: GPUBuffer, route: GPUBuffer, groups: GPUBuffer, w: GpuExperts, act: GPUBuffer, step: GPUBuffer, o: { topK: number; maxM: number }): MoeGroupedBound {
    return this.bindChunks(w, w.rows / 2, o.topK, o.maxM, (c, params) => [
      { binding: 0, resource: { buffer: x } },
      { binding: 1, resource: { buffer: route } },
      { binding: 2, resource: { buffer: c.words } },
      { binding: 3, resource: { buffer: c.sz } },
      { binding: 4, resource: { buffer: c.perm } },
      { binding: 5, resource: { buffer: act } },
      { binding: 6, resource: { buffer: groups } },
      { binding: 7, resource: { buffer: params } },
      { binding: 8, resource: { buffer: step } },
    ]);
  }
}

/** act f32 [maxM, topK, F], groups → out f32 [maxM, topK, D] (one row per slot). */
export class MoeExpertDownGroupedKernel extends GroupedExpertKernel {
  constructor(ctx: GpuContext) {
    super(ctx, 'moe-expert-down-grouped', downCode);
  }
  bind(act: GPUBuffer, groups: GPUBuffer, w: GpuExperts, out: GPUBuffer, step: GPUBuffer, o: { topK: number; maxM: number }): MoeGroupedBound {
    return this.bindChunks(w, w.rows, o.topK, o.maxM, (c, params) => [
      { binding: 0, resource: { buffer: act } },
      { binding: 1, resource: { buffer: out } },
      { binding: 2, resource: { buffer: c.words } },
      { binding: 3, resource: { buffer: c.sz } },
      { binding: 4, resource: { buffer: c.perm } },
      { binding: 5, resource: { buffer: groups } },
      { binding: 6, resource: { buffer: params } },
      { binding: 7, resource: { buffer: step } },
    ]);
  }
}

export class MoeCombineKernel {
  private readonly pipeline: GPUComputePipeline;
  constructor(private readonly ctx: GpuContext) {
    this.pipeline = getPipeline(ctx, 'moe-combine', combineCode);
  }
  /** out f32 [maxM, topK, D] → y f32 [maxM, D] += Σ_j out[t, j]. */
  bind(out: GPUBuffer, y: GPUBuffer, step: GPUBuffer, o: { D: number; topK: number; maxM: number }): MoeCombineBound {
    const grid = linearGrid(this.ctx, o.maxM * o.D, 256);
    const params = uniformBuffer(this.ctx, uniformWords([o.D, o.topK, grid.stride]), 'moe-combine.params');
    const bindGroup = this.ctx.device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: out } },
        { binding: 1, resource: { buffer: y } },
        { binding: 2, resource: { buffer: params } },
        { binding: 3, resource: { buffer: step } },
      ],
    });
    return { bindGroup, grid, D: o.D };
  }
  encode(pass: GPUComputePassEncoder, b: MoeCombineBound, m: number): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, b.bindGroup);
    dispatchLinear(pass, b.grid, m * b.D);
  }
}
