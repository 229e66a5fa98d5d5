// KV cache append (shaders/kv-store.wgsl) and the cache allocation helper.
// Cache layout per layer: [maxSeq, kvDim] (kvDim = nKvHeads * headDim), f16 on the f16 path (ctx.f16), else f32.
import code from '../../../shaders/kv-store.wgsl?raw';
import { createBuffer, getPipeline, STORAGE, uniformBuffer, type GpuContext } from '../context';
import { dispatchLinear, f16Variant, linearGrid, uniformWords, type Grid } from './common';

export interface KvCache {
  /** One buffer per layer, [maxSeq, kvDim] of f16 (when f16) or f32. */
  k: GPUBuffer[];
  v: GPUBuffer[];
  f16: boolean;
  maxSeq: number;
  kvDim: number;
}

export function createKvCache(ctx: GpuContext, layers: number, maxSeq: number, kvDim: number): KvCache {
  const f16 = ctx.f16;
  const bytes = maxSeq * kvDim * (f16 ? 2 : 4);
  const k: GPUBuffer[] = [], v: GPUBuffer[] = [];
  for (let l = 0; l < layers; l++) {
    k.push(createBuffer(ctx, bytes, STORAGE, `kv.k[${l}]`));
    v.push(createBuffer(ctx, bytes, STORAGE, `kv.v[${l}]`));
  }
  return { k, v, f16, maxSeq, kvDim };
}

export interface KvStoreBound { bindGroup: GPUBindGroup; grid: Grid; kvDim: number }

export class KvStoreKernel {
  private readonly pipeline: GPUComputePipeline;
  readonly f16: boolean;
  constructor(private readonly ctx: GpuContext) {
    this.f16 = ctx.f16;
    this.pipeline = this.f16 ? getPipeline(ctx, 'kv-store.f16', f16Variant(code)) : getPipeline(ctx, 'kv-store', code);
  }

  /** src f32 [maxM, kvDim] → cache [maxSeq, kvDim] (one layer's K or V buffer from createKvCache). */
  bind(src: GPUBuffer, cache: GPUBuffer, step: GPUBuffer, shape: { kvDim: number; maxSeq: number; maxM: number }): KvStoreBound {
    const grid = linearGrid(this.ctx, shape.maxM * shape.kvDim, 256);
    const params = uniformBuffer(this.ctx, uniformWords([shape.kvDim, shape.maxSeq, grid.stride]), 'kv-store.params');
    const bindGroup = this.ctx.device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: src } },
        { binding: 1, resource: { buffer: cache } },
        { binding: 2, resource: { buffer: params } },
        { binding: 3, resource: { buffer: step } },
      ],
    });
    return { bindGroup, grid, kvDim: shape.kvDim };
  }

  encode(pass: GPUComputePassEncoder, bound: KvStoreBound, m: number): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bound.bindGroup);
    dispatchLinear(pass, bound.grid, m * bound.kvDim);
  }
}
