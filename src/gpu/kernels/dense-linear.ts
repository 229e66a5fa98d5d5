// Dense (unquantized) linear layers on a DenseWeight W [N, K] (nn.Linear layout, rows split into chunks):
// DenseMatvecKernel (one token: decode, lm_head) and DenseMatmulKernel (prefill). y f32; optional accumulate (y += W x).
// The matvec has variants, all computing the same y (CPU twin: denseLinearCpu; only the summation order differs):
//   one-row-per-thread — shaders/dense-matvec.wgsl: each thread one whole row over all of K (CPU drivers).
//   rows-per-thread vec4 r1/r2 — shaders/dense-matvec-rows-vec4.wgsl: 1 or 2 rows per thread (4 also runs; it
//                        measured slower on lavapipe, so it is not offered) read as vec4<u32> loads, x shared
//                        with subgroupBroadcast (lavapipe; needs subgroups of >= 8 lanes).
//   split-k            — shaders/dense-matvec-splitk.wgsl: a workgroup per R rows, threads stride K by vec4<u32>
//                        loads (8 f16 or 4 f32 weights), reduced with subgroupAdd ('subgroup', needs the subgroups
//                        feature) or a workgroup tree (the reductions of the GPTQ split-K matvec).
import matvecCode from '../../../shaders/dense-matvec.wgsl?raw';
import rowsVec4Code from '../../../shaders/dense-matvec-rows-vec4.wgsl?raw';
import splitKCode from '../../../shaders/dense-matvec-splitk.wgsl?raw';
import reduceSubgroupCode from '../../../shaders/gptq-reduce-subgroup.wgsl?raw';
import reduceTreeCode from '../../../shaders/gptq-reduce-tree.wgsl?raw';
import matmulCode from '../../../shaders/dense-matmul.wgsl?raw';
import { getPipeline, hasWideSubgroups, uniformBuffer, type GpuContext } from '../context';
import type { DenseWeight } from '../dense-weight';
import { dispatchLinear, dispatchWorkgroups, getPipelineWithConstants, linearGrid, uniformWords, type Grid } from './common';
import { DEFAULT_DENSE_MATMUL_TILE, DENSE_MATMUL_TILES, denseMatmulTileSource, denseTileSupports, denseTileThreads, ROW_PER_THREAD_DENSE_MATMUL, type DenseMatmulTile } from './dense-matmul-tiles';

export interface DenseLinearOptions {
  /** y += result (fuses the residual add). */
  accumulate?: boolean;
}

export interface DenseBound {
  groups: { bindGroup: GPUBindGroup; rows: number; grid: Grid; workgroups?: number; gridX?: number }[];
  pipeline: GPUComputePipeline;
  /** The variant this binding runs (DenseMatvecVariant.name; for the matmul a tile's name or ROW_PER_THREAD_DENSE_MATMUL). */
  variant: string;
}

export interface DenseMatvecVariant {
  /** Stable id: "one-row-per-thread", "split-k r4 subgroup", "split-k r8 tree". */
  name: string;
  kind: 'one-row-per-thread' | 'rows-per-thread-vec4' | 'split-k';
  rowsPerWorkgroup?: 2 | 4 | 8;
  /** rows-per-thread-vec4: rows per thread (the R override of shaders/dense-matvec-rows-vec4.wgsl). */
  rowsPerThread?: 1 | 2 | 4;
  reduce?: 'subgroup' | 'tree';
  /** Whether this adapter (features) and this weight (row length, dtype) can run the variant. */
  supports(ctx: GpuContext, w: { cols: number; dtype: 'f32' | 'f16' }): boolean;
}

export const ONE_ROW_PER_THREAD: DenseMatvecVariant = { name: 'one-row-per-thread', kind: 'one-row-per-thread', supports: () => true };

/** A row is a whole number of vec4<u32> loads (8 f16 or 4 f32 weights). */
function wholeLoads(w: { cols: number; dtype: 'f32' | 'f16' }): boolean {
  return w.cols % (w.dtype === 'f16' ? 8 : 4) === 0;
}

/**
 * rows-per-thread vec4 (shaders/dense-matvec-rows-vec4.wgsl): R rows per thread read as vec4<u32> loads, x
 * broadcast over the subgroup — for CPU drivers (lavapipe). Needs subgroups of at least 8 lanes.
 */
export function denseRowsVec4Variant(rowsPerThread: 1 | 2 | 4): DenseMatvecVariant {
  return {
    name: `rows-per-thread vec4 r${rowsPerThread}`, kind: 'rows-per-thread-vec4', rowsPerThread,
    supports: (ctx, w) => wholeLoads(w) && hasWideSubgroups(ctx),
  };
}

export function denseSplitKVariant(rowsPerWorkgroup: 2 | 4 | 8, reduce: 'subgroup' | 'tree'): DenseMatvecVariant {
  return {
    name: `split-k r${rowsPerWorkgroup} ${reduce}`,
    kind: 'split-k', rowsPerWorkgroup, reduce,
    // A row must be a whole number of vec4<u32> loads.
    supports: (ctx, w) => w.cols % (w.dtype === 'f16' ? 8 : 4) === 0 && (reduce !== 'subgroup' || ctx.subgroups),
  };
}

/** Every dense matvec variant this adapter can run, one-row-per-thread first. */
export function denseMatvecVariants(ctx: GpuContext): DenseMatvecVariant[] {
  const out: DenseMatvecVariant[] = [ONE_ROW_PER_THREAD];
  // r4 is not offered: 0.7-0.9x of one-row-per-thread on lavapipe (docs/PERFORMANCE-NOTES.md).
  if (hasWideSubgroups(ctx)) out.push(denseRowsVec4Variant(1), denseRowsVec4Variant(2));
  const reduces: ('subgroup' | 'tree')[] = ctx.subgroups ? ['subgroup', 'tree'] : ['tree'];
  for (const r of [2, 4, 8] as const) for (const red of reduces) out.push(denseSplitKVariant(r, red));
  return out;
}

export function denseMatvecVariantByName(ctx: GpuContext, name: string): DenseMatvecVariant | null {
  return denseMatvecVariants(ctx).find((v) => v.name === name) ?? null;
}

/** The WGSL of a split-K variant: the main kernel with its reduction appended, `enable` directives first. */
function denseSplitKSource(reduce: 'subgroup' | 'tree'): string {
  let main = splitKCode;
  if (reduce !== 'subgroup') main = main.split('\n').filter((l) => !l.includes('// subgroup-builtins')).join('\n');
  const all = `${main}\n${reduce === 'subgroup' ? reduceSubgroupCode : reduceTreeCode}`.split('\n');
  const enables = all.filter((l) => /^\s*enable\s/.test(l)).map((l) => l.trim());
  return [...new Set(enables)].join('\n') + '\n' + all.filter((l) => !/^\s*enable\s/.test(l)).join('\n');
}

/** Every source a dense matvec variant is built from (the autotuner's cache key hashes it). */
export function denseMatvecSources(): string {
  return [matvecCode, rowsVec4Code, splitKCode, reduceSubgroupCode, reduceTreeCode].join('\n');
}

/** Threads per split-K workgroup for rows of `loads` vec4 loads: a power of two, 32..256, about one load each. */
export function denseSplitKWorkgroupSize(loads: number): number {
  let wg = 32;
  while (wg < 256 && wg * 2 <= loads) wg *= 2;
  return wg;
}

function chunkBindGroup(ctx: GpuContext, pipeline: GPUComputePipeline, x: GPUBuffer, chunk: GPUBuffer, y: GPUBuffer, p: GPUBuffer, step: GPUBuffer): GPUBindGroup {
  return ctx.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: x } },
      { binding: 1, resource: { buffer: chunk } },
      { binding: 2, resource: { buffer: y } },
      { binding: 3, resource: { buffer: p } },
      { binding: 4, resource: { buffer: step } },
    ],
  });
}

function bindChunks(ctx: GpuContext, pipeline: GPUComputePipeline, label: string, x: GPUBuffer, w: DenseWeight, y: GPUBuffer, step: GPUBuffer,
  threadsPerRow: number, params: (rows: number, rowStart: number, stride: number) => Uint32Array): DenseBound['groups'] {
  return w.chunks.map((c) => {
    const grid = linearGrid(ctx, c.rows * threadsPerRow, 64);
    const p = uniformBuffer(ctx, params(c.rows, c.rowStart, grid.stride), `${label}.params`);
    return { bindGroup: chunkBindGroup(ctx, pipeline, x, c.buffer, y, p, step), rows: c.rows, grid };
  });
}

function encodeChunks(pass: GPUComputePassEncoder, bound: DenseBound, threads: (rows: number) => number): void {
  pass.setPipeline(bound.pipeline);
  for (const g of bound.groups) {
    pass.setBindGroup(0, g.bindGroup);
    if (g.workgroups !== undefined) dispatchWorkgroups(pass, g.gridX!, g.workgroups);
    else dispatchLinear(pass, g.grid, threads(g.rows));
  }
}

/**
 * x f32 [M, K] (row 0, or row Step.m - 1 with xRow 'last') → y f32 [N], with the variant given (default
 * one-row-per-thread; a weight the variant cannot run falls back to it: see DenseBound.variant). The variant
 * can also be chosen per binding (the autotuner's pick).
 */
export class DenseMatvecKernel {
  private readonly pipeline: GPUComputePipeline;
  constructor(private readonly ctx: GpuContext, private readonly opts: DenseLinearOptions & { xRow?: 'first' | 'last'; variant?: DenseMatvecVariant } = {}) {
    this.pipeline = getPipeline(ctx, 'dense-matvec', matvecCode);
  }

  bind(x: GPUBuffer, w: DenseWeight, y: GPUBuffer, step: GPUBuffer, variant: DenseMatvecVariant = this.opts.variant ?? ONE_ROW_PER_THREAD): DenseBound {
    const ctx = this.ctx;
    const flags = [this.opts.accumulate ? 1 : 0, w.dtype === 'f16' ? 1 : 0, this.opts.xRow === 'last' ? 1 : 0];
    if (variant.kind === 'rows-per-thread-vec4' && variant.supports(ctx, w)) {
      const R = variant.rowsPerThread ?? 2;
      const pipeline = getPipelineWithConstants(ctx, 'dense-matvec rows-vec4', rowsVec4Code, { R });
      const groups = w.chunks.map((c) => {
        const workgroups = Math.ceil(c.rows / (64 * R));
        const gridX = Math.min(workgroups, ctx.limits.maxComputeWorkgroupsPerDimension);
        const p = uniformBuffer(ctx, uniformWords([c.rows, w.cols, c.rowStart, flags[0], flags[1], flags[2], gridX]), 'dense-matvec-rows-vec4.params');
        return { bindGroup: chunkBindGroup(ctx, pipeline, x, c.buffer, y, p, step), rows: c.rows, grid: linearGrid(ctx, 1, 64), workgroups, gridX };
      });
      return { groups, pipeline, variant: variant.name };
    }
    if (variant.kind === 'split-k' && variant.supports(ctx, w)) {
      const R = variant.rowsPerWorkgroup ?? 4;
      const WG = denseSplitKWorkgroupSize(w.cols / (w.dtype === 'f16' ? 8 : 4));
      const pipeline = getPipelineWithConstants(ctx, `dense-matvec ${variant.name}`, denseSplitKSource(variant.reduce ?? 'tree'), { R, WG });
      const groups = w.chunks.map((c) => {
        const workgroups = Math.ceil(c.rows / R);
        const gridX = Math.min(workgroups, ctx.limits.maxComputeWorkgroupsPerDimension);
        const p = uniformBuffer(ctx, uniformWords([c.rows, w.cols, c.rowStart, flags[0], flags[1], flags[2], gridX]), 'dense-matvec-splitk.params');
        return { bindGroup: chunkBindGroup(ctx, pipeline, x, c.buffer, y, p, step), rows: c.rows, grid: linearGrid(ctx, 1, 64), workgroups, gridX };
      });
      return { groups, pipeline, variant: variant.name };
    }
    const groups = bindChunks(ctx, this.pipeline, 'dense-matvec', x, w, y, step, 1,
      (rows, rowStart, stride) => uniformWords([rows, w.cols, rowStart, flags[0], flags[1], flags[2], stride]));
    return { groups, pipeline: this.pipeline, variant: ONE_ROW_PER_THREAD.name };
  }

  encode(pass: GPUComputePassEncoder, bound: DenseBound, _m = 1): void {
    encodeChunks(pass, bound, (rows) => rows);
  }
}

/** The bound of a dense matmul: the generated tile it runs, or null for the default kernel. */
export interface DenseMatmulBound extends DenseBound { tile: DenseMatmulTile | null }

/**
 * x f32 [M, K] → y f32 [M, N], M = Step.m <= maxM, with a generated tile (src/gpu/kernels/dense-matmul-tiles.ts;
 * default DEFAULT_DENSE_MATMUL_TILE) where the weight supports it (cols % 4 == 0), else (or with tile null)
 * shaders/dense-matmul.wgsl: one thread per (output row, 4 tokens).
 */
export class DenseMatmulKernel {
  private readonly pipeline: GPUComputePipeline;
  constructor(private readonly ctx: GpuContext, private readonly opts: DenseLinearOptions & { tile?: DenseMatmulTile | null } = {}) {
    this.pipeline = getPipeline(ctx, 'dense-matmul', matmulCode);
  }

  bind(x: GPUBuffer, w: DenseWeight, y: GPUBuffer, step: GPUBuffer, shape: { maxM: number }, tile: DenseMatmulTile | null = this.opts.tile === undefined ? DEFAULT_DENSE_MATMUL_TILE : this.opts.tile): DenseMatmulBound {
    const params = (rows: number, rowStart: number, stride: number) => uniformWords([rows, w.cols, rowStart, this.opts.accumulate ? 1 : 0, w.dtype === 'f16' ? 1 : 0, w.rows, stride]);
    if (tile && denseTileSupports(w)) {
      const pipeline = getPipeline(this.ctx, `dense-matmul ${tile.name} ${w.dtype}`, denseMatmulTileSource(tile, w.dtype));
      const groups = w.chunks.map((c) => {
        const grid = linearGrid(this.ctx, denseTileThreads(tile, c.rows, shape.maxM), 64);
        const p = uniformBuffer(this.ctx, params(c.rows, c.rowStart, grid.stride), 'dense-matmul-tile.params');
        return { bindGroup: chunkBindGroup(this.ctx, pipeline, x, c.buffer, y, p, step), rows: c.rows, grid };
      });
      return { groups, pipeline, variant: tile.name, tile };
    }
    const groups = bindChunks(this.ctx, this.pipeline, 'dense-matmul', x, w, y, step, Math.ceil(shape.maxM / 4), params);
    return { groups, pipeline: this.pipeline, variant: ROW_PER_THREAD_DENSE_MATMUL, tile: null };
  }

  encode(pass: GPUComputePassEncoder, bound: DenseBound, m: number): void {
    const tile = (bound as Partial<DenseMatmulBound>).tile;
    encodeChunks(pass, bound, tile ? (rows) => denseTileThreads(tile, rows, m) : (rows) => rows * Math.ceil(m / 4));
  }
}

/** Every source a dense matmul variant is built from (the autotuner's cache key hashes it). */
export function denseMatmulSources(): string {
  return [matmulCode, ...DENSE_MATMUL_TILES.flatMap((t) => [denseMatmulTileSource(t, 'f16'), denseMatmulTileSource(t, 'f32')])].join('\n');
}
