// GPTQ 4-bit linear layers on the repacked layout (src/gpu/gptq-repack.ts): GptqMatvecKernel (decode, M = 1)
// and GptqMatmulKernel (prefill, M > 1), fused dequant, optional bias, optional accumulate (y += W x + b).
// Every linear first prepares its input ONCE (shaders/gptq-prepare-x.wgsl): x in packed order (act-order
// resolved there) pre-scaled by 16^-(p % 4) so that a nibble becomes a float with one mask + convert, and the
// per-group sums of x that the zero-point term needs (instead of every output row re-summing them). The
// prepared x lives in scratch buffers owned by the kernel instance and shared by all its bindings (dispatches
// in a pass run in order). Both kernels read f32 activations and do f32 arithmetic on either precision path.
import matvecCode from '../../../shaders/gptq-matvec.wgsl?raw';
import splitKCode from '../../../shaders/gptq-matvec-splitk.wgsl?raw';
import rowsVec4Code from '../../../shaders/gptq-matvec-rows-vec4.wgsl?raw';
import splitKF16Code from '../../../shaders/gptq-matvec-splitk-f16.wgsl?raw';
import reduceSubgroupCode from '../../../shaders/gptq-reduce-subgroup.wgsl?raw';
import reduceTreeCode from '../../../shaders/gptq-reduce-tree.wgsl?raw';
import matmulCode from '../../../shaders/gptq-matmul.wgsl?raw';
import prepareCode from '../../../shaders/gptq-prepare-x.wgsl?raw';
import { createBuffer, getPipeline, hasWideSubgroups, STORAGE, uniformBuffer, type GpuContext } from '../context';
import { placeholderBuffer, type GpuGptq } from '../gptq-repack';
import { dispatchLinear, dispatchWorkgroups, getPipelineWithConstants, linearGrid, uniformWords, type Grid } from './common';
import { DEFAULT_MATMUL_TILE, GPTQ_MATMUL_TILES, gptqMatmulTileSource, tileRowsPerWorkgroup, tileSupports, tileThreads, type GptqMatmulTile } from './gptq-matmul-tiles';

export interface GptqLinearOptions {
  /** y += result (fuses the residual add). */
  accumulate?: boolean;
}

export interface GptqBound {
  /** The preparation of x (packed order, nibble scaling, group sums), dispatched before the main kernel. */
  prepare: { bindGroup: GPUBindGroup; grid: Grid; nGroups: number; rows: 'm' | 'one' };
  /**
   * The prepared-x scratch the main kernel reads (xs f32 [rows, K] or [rowWords * 8], gsum f32 [rows, nGroups])
   * and the prepare mode (0 every row < Step.m, 1 row 0, 2 row Step.m - 1; shaders/gptq-prepare-x.wgsl), for a
   * kernel that writes them itself (src/gpu/kernels/gptq-prepare.ts: RMSNorm or SwiGLU folded in).
   */
  scratch: { xs: GPUBuffer; gsum: GPUBuffer; mode: 0 | 1 | 2 };
  /** Set by the owner when such a kernel prepares x: encode then skips the prepare dispatch. */
  externalPrepare?: boolean;
  /** One per row chunk; `workgroups` set for workgroup-per-rows kernels (split-K), `grid` for thread grids. */
  groups: { bindGroup: GPUBindGroup; rows: number; grid: Grid; pipeline: GPUComputePipeline; workgroups?: number; gridX?: number }[];
  /** The kernel variant this binding runs (GptqMatvecVariant.name, or the matmul's). */
  variant: string;
}

/** A workgroup-per-R-rows main kernel (split-K): its pipeline, R, and whether it reads the group sums. */
interface SplitKMain { pipeline: GPUComputePipeline; rowsPerWorkgroup: number; usesGsum: boolean; name: string }

type RowMode = 'all' | 'first' | 'last';

/** Rows of the matvec handled by one thread (must match ROWS in shaders/gptq-matvec.wgsl). */
export const MATVEC_ROWS_PER_THREAD = 4;
/** Tokens per thread of the default matmul tile (TM of shaders/gptq-matmul.wgsl = DEFAULT_MATMUL_TILE). */
export const MATMUL_TOKENS_PER_THREAD = DEFAULT_MATMUL_TILE.tokens;
/** Output rows per workgroup of the default matmul tile (WG * RT of shaders/gptq-matmul.wgsl). */
export const MATMUL_ROWS_PER_WORKGROUP = tileRowsPerWorkgroup(DEFAULT_MATMUL_TILE);

/**
 * The GPTQ matvec (decode) kernels, all computing the same y (CPU twins: gptqLinearCpu, and
 * gptqSplitKF16Cpu for the f16-arithmetic one):
 *   rows-per-thread — shaders/gptq-matvec.wgsl: each thread 4 whole rows over all of K (CPU drivers).
 *   rows-per-thread vec4 r2/r4 — shaders/gptq-matvec-rows-vec4.wgsl: 2 or 4 rows per thread read as vec4<u32>
 *                     quads, the x quad broadcast over the subgroup (lavapipe; needs subgroups of >= 8 lanes).
 *   split-k         — shaders/gptq-matvec-splitk.wgsl: a workgroup per R rows, threads stride K by vec4 quads,
 *                     reduced with subgroupAdd ('subgroup', needs the subgroups feature) or a workgroup tree.
 *   split-k f16     — shaders/gptq-matvec-splitk-f16.wgsl: the same with f16 arithmetic inside each quad.
 */
export interface GptqMatvecVariant {
  /** Stable id, e.g. "rows-per-thread", "split-k r4 subgroup", "split-k r8 tree f16". */
  name: string;
  kind: 'rows-per-thread' | 'rows-per-thread-vec4' | 'split-k';
  rowsPerWorkgroup?: 1 | 2 | 4 | 8;
  /** rows-per-thread-vec4: rows per thread (the R override of shaders/gptq-matvec-rows-vec4.wgsl). */
  rowsPerThread?: 2 | 4;
  reduce?: 'subgroup' | 'tree';
  f16?: boolean;
  /** Whether this adapter (features) and this layer (group layout) can run the variant. */
  supports(ctx: GpuContext, w: { K: number; groupSize: number; nGroups: number }): boolean;
}

export const ROWS_PER_THREAD: GptqMatvecVariant = { name: 'rows-per-thread', kind: 'rows-per-thread', supports: () => true };

/** A quad (32 positions) never straddles two groups: the split-K kernels apply one scale per quad. */
function quadsInsideGroups(w: { K: number; groupSize: number; nGroups: number }): boolean {
  return (w.groupSize / 8) % 4 === 0 || w.nGroups === 1;
}

/**
 * rows-per-thread vec4 (shaders/gptq-matvec-rows-vec4.wgsl): R rows per thread read as vec4<u32> quads, the x
 * quad broadcast over the subgroup — for CPU drivers (lavapipe). Needs subgroups of at least 8 lanes.
 */
export function rowsVec4Variant(rowsPerThread: 2 | 4): GptqMatvecVariant {
  return {
    name: `rows-per-thread vec4 r${rowsPerThread}`, kind: 'rows-per-thread-vec4', rowsPerThread,
    supports: (ctx, w) => quadsInsideGroups(w) && hasWideSubgroups(ctx),
  };
}

export function splitKVariant(rowsPerWorkgroup: 1 | 2 | 4 | 8, reduce: 'subgroup' | 'tree', f16 = false): GptqMatvecVariant {
  return {
    name: `split-k r${rowsPerWorkgroup} ${reduce}${f16 ? ' f16' : ''}`,
    kind: 'split-k', rowsPerWorkgroup, reduce, f16,
    supports: (ctx, w) => quadsInsideGroups(w) && (reduce !== 'subgroup' || ctx.subgroups) && (!f16 || ctx.f16),
  };
}

/**
 * Every matvec variant this adapter can run (`f16Arithmetic` adds the f16-arithmetic ones, which lose
 * accuracy and can overflow on very large activations; see shaders/gptq-matvec-splitk-f16.wgsl).
 */
export function gptqMatvecVariants(ctx: GpuContext, opts: { f16Arithmetic?: boolean } = {}): GptqMatvecVariant[] {
  const out: GptqMatvecVariant[] = [ROWS_PER_THREAD];
  if (hasWideSubgroups(ctx)) out.push(rowsVec4Variant(2), rowsVec4Variant(4));
  const reduces: ('subgroup' | 'tree')[] = ctx.subgroups ? ['subgroup', 'tree'] : ['tree'];
  for (const r of [1, 2, 4, 8] as const) for (const red of reduces) out.push(splitKVariant(r, red));
  // f16 arithmetic only at R = 4: it is a measurement of what f16 buys, not a default (see above).
  if (opts.f16Arithmetic && ctx.f16) for (const red of reduces) out.push(splitKVariant(4, red, true));
  return out;
}

/** Finds a variant by name among those this adapter has (null when unknown or unsupported here). */
export function gptqMatvecVariantByName(ctx: GpuContext, name: string): GptqMatvecVariant | null {
  return gptqMatvecVariants(ctx, { f16Arithmetic: true }).find((v) => v.name === name) ?? null;
}

/** The WGSL of a split-K variant: the main kernel with its reduction appended, `enable` directives first. */
export function splitKSource(v: GptqMatvecVariant): string {
  let main = v.f16 ? splitKF16Code : splitKCode;
  if (v.reduce !== 'subgroup') main = main.split('\n').filter((l) => !l.includes('// subgroup-builtins')).join('\n');
  const all = `${main}\n${v.reduce === 'subgroup' ? reduceSubgroupCode : reduceTreeCode}`.split('\n');
  const enables = all.filter((l) => /^\s*enable\s/.test(l));
  return [...new Set(enables.map((l) => l.trim()))].join('\n') + '\n' + all.filter((l) => !/^\s*enable\s/.test(l)).join('\n');
}

/** Every source a matvec variant is built from (the autotuner's cache key hashes it). */
export function matvecSources(): string {
  return [matvecCode, rowsVec4Code, splitKCode, splitKF16Code, reduceSubgroupCode, reduceTreeCode].join('\n');
}

/** Threads per split-K workgroup for a row of `rowWords` words: a power of two, 32..256, about one quad each. */
export function splitKWorkgroupSize(rowWords: number): number {
  const quads = rowWords / 4;
  let wg = 32;
  while (wg < 256 && wg * 2 <= quads) wg *= 2;
  return wg;
}

/** Shared by both kernels: pipelines, the prepared-x scratch, and the bind logic. */
class GptqLinearBase {
  protected readonly pipeline: GPUComputePipeline;
  private readonly preparePipeline: GPUComputePipeline;
  private xsScratch: GPUBuffer | null = null;
  private gsumScratch: GPUBuffer | null = null;
  private dummy: GPUBuffer | null = null;

  constructor(protected readonly ctx: GpuContext, private readonly key: string, code: string) {
    this.pipeline = getPipelineWithConstants(ctx, key, code, {});
    this.preparePipeline = getPipeline(ctx, 'gptq-prepare-x', prepareCode);
  }

  // A bigger request gets a new buffer; the old one stays alive for the bind groups that use it.
  private xsFor(bytes: number): GPUBuffer {
    if (!this.xsScratch || this.xsScratch.size < bytes) this.xsScratch = createBuffer(this.ctx, bytes, STORAGE, `${this.key}.xs`);
    return this.xsScratch;
  }

  private gsumFor(bytes: number): GPUBuffer {
    if (!this.gsumScratch || this.gsumScratch.size < bytes) this.gsumScratch = createBuffer(this.ctx, bytes, STORAGE, `${this.key}.gsum`);
    return this.gsumScratch;
  }

  /** threadsPerRowBlock(rows): threads the main kernel needs for `rows` rows at the largest M of this binding. */
  protected bindLinear(x: GPUBuffer, w: GpuGptq, y: GPUBuffer, step: GPUBuffer, rowMode: RowMode, maxM: number, maxThreads: (rows: number) => number, accumulate: boolean, splitK?: SplitKMain): GptqBound {
    const ctx = this.ctx;
    const xRows = rowMode === 'all' ? maxM : 1;
    // f32 [xRows, K]; one-row bindings [rowWords * 8]: split-K reads whole quads, prepare-x zeroes the padding
    const xs = this.xsFor(Math.max(xRows * w.K, w.rowWords * 8) * 4);
    const gsum = this.gsumFor(xRows * w.nGroups * 4); // f32 [xRows, nGroups]
    const dummy = (this.dummy ??= placeholderBuffer(ctx));
    const prepGrid = linearGrid(ctx, xRows * w.nGroups, 64);
    const prepParams = uniformBuffer(ctx, uniformWords([
      w.K, rowMode === 'all' ? 0 : rowMode === 'first' ? 1 : 2, prepGrid.stride, w.nGroups, w.groupSize, w.perm ? 1 : 0,
    ]), 'gptq-prepare-x.params');
    const prepare: GptqBound['prepare'] = {
      bindGroup: ctx.device.createBindGroup({
        layout: this.preparePipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: x } },
          { binding: 1, resource: { buffer: w.perm ?? dummy } },
          { binding: 2, resource: { buffer: xs } },
          { binding: 3, resource: { buffer: gsum } },
          { binding: 4, resource: { buffer: prepParams } },
          { binding: 5, resource: { buffer: step } },
        ],
      }),
      grid: prepGrid,
      nGroups: w.nGroups,
      rows: rowMode === 'all' ? 'm' : 'one',
    };
    const bias = w.bias ?? dummy;
    const pipeline = splitK?.pipeline ?? this.pipeline;
    return {
      prepare,
      scratch: { xs, gsum, mode: rowMode === 'all' ? 0 : rowMode === 'first' ? 1 : 2 },
      variant: splitK?.name ?? this.key,
      groups: w.chunks.map((c) => {
        const grid = linearGrid(ctx, maxThreads(c.rows), 64);
        const workgroups = splitK ? Math.ceil(c.rows / splitK.rowsPerWorkgroup) : undefined;
        const gridX = workgroups !== undefined ? Math.min(workgroups, ctx.limits.maxComputeWorkgroupsPerDimension) : undefined;
        const params = uniformBuffer(ctx, uniformWords([
          w.K, c.rows, c.rowStart, w.nGroups,
          w.groupSize / 8, w.rowWords, w.bias ? 1 : 0, accumulate ? 1 : 0,
          gridX ?? 0, grid.stride, w.N, 0,
        ]), `${this.key}.params`);
        const entries: GPUBindGroupEntry[] = [
          { binding: 0, resource: { buffer: xs } },
          { binding: 1, resource: { buffer: c.words } },
          { binding: 2, resource: { buffer: c.sz } },
          ...(splitK && !splitK.usesGsum ? [] : [{ binding: 3, resource: { buffer: gsum } }]),
          { binding: 4, resource: { buffer: bias } },
          { binding: 5, resource: { buffer: y } },
          { binding: 6, resource: { buffer: params } },
        ];
        if (rowMode === 'all') entries.push({ binding: 7, resource: { buffer: step } });
        const bindGroup = ctx.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
        return { bindGroup, rows: c.rows, grid, pipeline, workgroups, gridX };
      }),
    };
  }

  protected encodeLinear(pass: GPUComputePassEncoder, bound: GptqBound, m: number, threads: (rows: number) => number): void {
    const prep = bound.prepare;
    if (!bound.externalPrepare) {
      pass.setPipeline(this.preparePipeline);
      pass.setBindGroup(0, prep.bindGroup);
      dispatchLinear(pass, prep.grid, (prep.rows === 'm' ? m : 1) * prep.nGroups);
    }
    for (const g of bound.groups) {
      pass.setPipeline(g.pipeline);
      pass.setBindGroup(0, g.bindGroup);
      if (g.workgroups !== undefined) dispatchWorkgroups(pass, g.gridX!, g.workgroups);
      else dispatchLinear(pass, g.grid, threads(g.rows));
    }
  }
}

/** Threads of the matvec for `rows` rows: 64 per block of 64 * ROWS rows. */
function matvecThreads(rows: number): number {
  return Math.ceil(rows / (64 * MATVEC_ROWS_PER_THREAD)) * 64;
}

/** Dispatch units of the default matmul tile for `rows` rows and m tokens: 64 per (row block, tile of TM tokens). */
function matmulThreads(rows: number, m: number): number {
  return tileThreads(DEFAULT_MATMUL_TILE, rows, m);
}

/**
 * x f32 [M, K] (row 0, or row Step.m - 1 with xRow 'last') → y f32 [N], with the variant given (default
 * rows-per-thread; a layer the variant cannot run, e.g. groups of 8 or 16 positions for split-K, falls back to
 * rows-per-thread: see GptqBound.variant). The variant can also be chosen per binding (the autotuner's pick).
 */
export class GptqMatvecKernel extends GptqLinearBase {
  constructor(ctx: GpuContext, private readonly opts: GptqLinearOptions & { xRow?: 'first' | 'last'; variant?: GptqMatvecVariant } = {}) {
    super(ctx, 'gptq-matvec', matvecCode);
  }

  bind(x: GPUBuffer, w: GpuGptq, y: GPUBuffer, step: GPUBuffer, variant: GptqMatvecVariant = this.opts.variant ?? ROWS_PER_THREAD): GptqBound {
    const rowMode = this.opts.xRow === 'last' ? 'last' : 'first';
    if (variant.kind === 'rows-per-thread-vec4' && variant.supports(this.ctx, w)) {
      // A workgroup of 64 threads per 64 * R rows: the split-K dispatch path with 64 * R rows per workgroup.
      const R = variant.rowsPerThread ?? 2;
      const pipeline = getPipelineWithConstants(this.ctx, 'gptq-matvec rows-vec4', rowsVec4Code, { R });
      return this.bindLinear(x, w, y, step, rowMode, 1, matvecThreads, !!this.opts.accumulate, { pipeline, rowsPerWorkgroup: 64 * R, usesGsum: true, name: variant.name });
    }
    if (variant.kind === 'split-k' && variant.supports(this.ctx, w)) {
      const R = variant.rowsPerWorkgroup ?? 4;
      const WG = splitKWorkgroupSize(w.rowWords);
      const pipeline = getPipelineWithConstants(this.ctx, `gptq-matvec ${variant.name}`, splitKSource(variant), { R, WG });
      return this.bindLinear(x, w, y, step, rowMode, 1, matvecThreads, !!this.opts.accumulate, { pipeline, rowsPerWorkgroup: R, usesGsum: !variant.f16, name: variant.name });
    }
    const b = this.bindLinear(x, w, y, step, rowMode, 1, matvecThreads, !!this.opts.accumulate);
    return { ...b, variant: ROWS_PER_THREAD.name };
  }

  encode(pass: GPUComputePassEncoder, bound: GptqBound, _m = 1): void {
    this.encodeLinear(pass, bound, 1, matvecThreads);
  }
}

/** The bound of a matmul: which tile it runs (GptqBound.variant is the tile's name). */
export interface GptqMatmulBound extends GptqBound { tile: GptqMatmulTile }

/** A generated tile (src/gpu/kernels/gptq-matmul-tiles.ts): the shared bind logic with that tile's pipeline. */
class TiledGptqMatmul extends GptqLinearBase {
  constructor(ctx: GpuContext, readonly tile: GptqMatmulTile) {
    super(ctx, `gptq-matmul ${tile.name}`, gptqMatmulTileSource(tile));
  }

  bindTile(x: GPUBuffer, w: GpuGptq, y: GPUBuffer, step: GPUBuffer, maxM: number, accumulate: boolean): GptqMatmulBound {
    const b = this.bindLinear(x, w, y, step, 'all', maxM, (rows) => tileThreads(this.tile, rows, maxM), accumulate);
    return { ...b, variant: this.tile.name, tile: this.tile };
  }

  encodeTile(pass: GPUComputePassEncoder, bound: GptqBound, m: number): void {
    this.encodeLinear(pass, bound, m, (rows) => tileThreads(this.tile, rows, m));
  }
}

/**
 * x f32 [M, K] → y f32 [M, N], M = Step.m <= maxM, with the tile given (default shaders/gptq-matmul.wgsl =
 * DEFAULT_MATMUL_TILE); a layer the tile cannot run falls back to the default (see
 * GptqMatmulBound.tile). The tile can also be chosen per binding (the autotuner's pick).
 */
export class GptqMatmulKernel extends GptqLinearBase {
  private readonly tiled = new Map<string, TiledGptqMatmul>();
  constructor(ctx: GpuContext, private readonly opts: GptqLinearOptions & { tile?: GptqMatmulTile } = {}) {
    super(ctx, 'gptq-matmul', matmulCode);
  }

  bind(x: GPUBuffer, w: GpuGptq, y: GPUBuffer, step: GPUBuffer, shape: { maxM: number }, tile: GptqMatmulTile = this.opts.tile ?? DEFAULT_MATMUL_TILE): GptqMatmulBound {
    if (tile.name !== DEFAULT_MATMUL_TILE.name && tileSupports(tile, w)) {
      let k = this.tiled.get(tile.name);
      if (!k) this.tiled.set(tile.name, (k = new TiledGptqMatmul(this.ctx, tile)));
      return k.bindTile(x, w, y, step, shape.maxM, !!this.opts.accumulate);
    }
    const b = this.bindLinear(x, w, y, step, 'all', shape.maxM, (rows) => matmulThreads(rows, shape.maxM), !!this.opts.accumulate);
    return { ...b, variant: DEFAULT_MATMUL_TILE.name, tile: DEFAULT_MATMUL_TILE };
  }

  encode(pass: GPUComputePassEncoder, bound: GptqBound, m: number): void {
    const tile = (bound as Partial<GptqMatmulBound>).tile;
    if (tile && tile.name !== DEFAULT_MATMUL_TILE.name) this.tiled.get(tile.name)!.encodeTile(pass, bound, m);
    else this.encodeLinear(pass, bound, m, (rows) => matmulThreads(rows, m));
  }
}

/** Every source a matmul tile is built from (the autotuner's cache key hashes it). */
export function matmulSources(): string {
  return [matmulCode, ...GPTQ_MATMUL_TILES.filter((t) => t.name !== DEFAULT_MATMUL_TILE.name).map(gptqMatmulTileSource)].join('\n');
}
