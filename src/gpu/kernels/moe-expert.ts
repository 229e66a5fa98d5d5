// The chosen experts' GPTQ matvecs (shaders/moe-expert-gate-up.wgsl, shaders/moe-expert-down.wgsl) on the
// concatenated expert buffers of src/model/moe-expert-pack.ts: the expert id comes from the routing buffer on
// the GPU; one dispatch per expert chunk (buffer), and a slot whose expert is not in the chunk reads nothing.
// Works for any M (each token's slots read their own experts). CPU twins: src/gpu/cpu/moe-expert.ts.
import gateUpCode from '../../../shaders/moe-expert-gate-up.wgsl?raw';
import downCode from '../../../shaders/moe-expert-down.wgsl?raw';
import { getPipeline, uniformBuffer, uploadBuffer, type GpuContext } from '../context';
import type { PackedExperts } from '../../model/moe-expert-pack';
import { dispatchLinear, linearGrid, uniformWords, type Grid } from './common';

/** One expert chunk on the GPU (layout: src/model/moe-expert-pack.ts). */
export interface GpuExpertChunk {
  e0: number;
  n: number;
  words: GPUBuffer /* u32 [n, rows, K/8] */;
  sz: GPUBuffer /* u32 [n, rows, nGroups] */;
  perm: GPUBuffer /* u32 [n, parts, K] */;
  /** All permutations of the chunk are the identity (the kernels' vec4 path). */
  identity: boolean;
}

export interface GpuExperts {
  K: number;
  /** Rows per expert: 2F (gate+up) or D (down). */
  rows: number;
  groupSize: number;
  nGroups: number;
  chunks: GpuExpertChunk[];
}

export interface MoeExpertBound { groups: GPUBindGroup[]; grid: Grid; perToken: number }

abstract class MoeExpertKernel {
  private readonly pipeline: GPUComputePipeline;
  constructor(protected readonly ctx: GpuContext, key: string, code: string) {
    this.pipeline = getPipeline(this.ctx, key, code);
  }

  protected bindAll(input: GPUBuffer, route: GPUBuffer, w: GpuExperts, output: GPUBuffer, step: GPUBuffer, topK: number, outRows: number, perToken: number, maxM: number): MoeExpertBound {
    const grid = linearGrid(this.ctx, maxM * perToken, 64);
    const groups = w.chunks.map((c) => {
      const params = uniformBuffer(this.ctx, uniformWords([w.K, outRows, topK, c.e0, c.n, w.nGroups, w.groupSize / 8, grid.stride, c.identity ? 1 : 0]), 'moe-expert.params');
      return this.ctx.device.createBindGroup({
        layout: this.pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: input } },
          { binding: 1, resource: { buffer: route } },
          { binding: 2, resource: { buffer: c.words } },
          { binding: 3, resource: { buffer: c.sz } },
          { binding: 4, resource: { buffer: c.perm } },
          { binding: 5, resource: { buffer: output } },
          { binding: 6, resource: { buffer: params } },
          { binding: 7, resource: { buffer: step } },
        ],
      });
    });
    return { groups, grid, perToken };
  }

  encode(pass: GPUComputePassEncoder, b: MoeExpertBound, m: number): void {
    pass.setPipeline(this.pipeline);
    for (const g of b.groups) {
      pass.setBindGroup(0, g);
      dispatchLinear(pass, b.grid, m * b.perToken);
    }
  }
}

/** x f32 [maxM, K], route u32 [maxM, topK, 2] → act f32 [maxM, topK, F] = w · silu(gate x) · up x. */
export class MoeExpertGateUpKernel extends MoeExpertKernel {
  constructor(ctx: GpuContext) {
    super(ctx, 'moe-expert-gate-up', gateUpCode);
  }
  bind(x: GPUBuffer, route: GPUBuffer, w: GpuExperts, act: GPUBuffer, step: GPUBuffer, o: { topK: number; maxM: number }): MoeExpertBound {
    const F = w.rows / 2;
    return this.bindAll(x, route, w, act, step, o.topK, F, o.topK * F, o.maxM);
  }
}

/** act f32 [maxM, topK, F], route → y f32 [maxM, D] += Σ_j down_e act[t, j]. */
export class MoeExpertDownKernel extends MoeExpertKernel {
  constructor(ctx: GpuContext) {
    super(ctx, 'moe-expert-down', downCode);
  }
  bind(act: GPUBuffer, route: GPUBuffer, w: GpuExperts, y: GPUBuffer, step: GPUBuffer, o: { topK: number; maxM: number }): MoeExpertBound {
    return this.bindAll(act, route, w, y, step, o.topK, w.rows, w.rows, o.maxM);
  }
}

/** Uploads packed experts (src/model/moe-expert-pack.ts); the buffers are returned for destroy(). */
export function uploadExperts(ctx: GpuContext, p: PackedExperts, label: string): { w: GpuExperts; buffers: GPUBuffer[]; bytes: number } {
  const buffers: GPUBuffer[] = [];
  let bytes = 0;
  const up = (a: Uint32Array, what: string) => {
    const b = uploadBuffer(ctx, a, `${label}.${what}`);
    buffers.push(b);
    bytes += a.byteLength;
    return b;
  };
  const chunks = p.chunks.map((c) => ({ e0: c.e0, n: c.n, words: up(c.words, 'words'), sz: up(c.sz, 'sz'), perm: up(c.perm, 'perm'), identity: c.identity }));
  return { w: { K: p.K, rows: p.rows, groupSize: p.groupSize, nGroups: p.nGroups, chunks }, buffers, bytes };
}

/** The largest binding the adapter allows (what packExperts may put in one chunk buffer). */
export function maxExpertBindingBytes(ctx: GpuContext, cap?: number): number {
  return Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize, cap ?? Infinity);
}
