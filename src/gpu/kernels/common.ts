// Helpers shared by the kernel wrappers: 1-D grids that stay under maxComputeWorkgroupsPerDimension, and
// the f16 specialisation of shader text.
import type { GpuContext } from '../context';

/** A cached compute pipeline specialised with override constants (the cache key includes them). */
export function getPipelineWithConstants(ctx: GpuContext, key: string, code: string, constants: Record<string, number>, entryPoint = 'main'): GPUComputePipeline {
  const full = `${key}#${JSON.stringify(constants)}`;
  let p = ctx.pipelines.get(full);
  if (!p) {
    const module = ctx.device.createShaderModule({ label: key, code });
    p = ctx.device.createComputePipeline({ label: full, layout: 'auto', compute: { module, entryPoint, constants } });
    ctx.pipelines.set(full, p);
  }
  return p;
}

/**
 * A 1-D launch of `wgSize`-thread workgroups folded into (x, y) so that x never exceeds the per-dimension
 * limit. The width `x` is fixed at bind time (from the largest thread count the binding allows), so the
 * shader's linear index gid.x + gid.y * stride stays valid for every smaller dispatch.
 */
export interface Grid {
  x: number;
  wgSize: number;
  /** Threads per grid row: pass it to the shader as its `stride` uniform. */
  stride: number;
}

export function linearGrid(ctx: GpuContext, maxThreads: number, wgSize: number): Grid {
  const maxWg = Math.max(1, Math.ceil(maxThreads / wgSize));
  const x = Math.min(maxWg, ctx.limits.maxComputeWorkgroupsPerDimension);
  return { x, wgSize, stride: x * wgSize };
}

/** Dispatches enough workgroups for `threads` threads on a grid made by linearGrid. */
export function dispatchLinear(pass: GPUComputePassEncoder, grid: Grid, threads: number): void {
  const wg = Math.ceil(threads / grid.wgSize);
  if (wg <= 0) return;
  pass.dispatchWorkgroups(Math.min(wg, grid.x), Math.ceil(wg / grid.x));
}

/** Workgroup-per-item launches (one workgroup per row): (x, y) with a fixed x width. */
export function dispatchWorkgroups(pass: GPUComputePassEncoder, gridX: number, workgroups: number): void {
  if (workgroups <= 0) return;
  pass.dispatchWorkgroups(Math.min(workgroups, gridX), Math.ceil(workgroups / gridX));
}

/**
 * Shaders with an f16 variant declare `alias kv_t = f32;` (or another alias marked `// f16-variant`).
 * The f16 variant prepends `enable f16;` and turns every line marked `// f16-variant` from f32 into f16.
 */
export function f16Variant(code: string): string {
  const lines = code.split('\n').map((l) => (l.includes('// f16-variant') ? l.replace(/\bf32\b/g, 'f16') : l));
  return 'enable f16;\n' + lines.join('\n');
}

/** Packs mixed u32 / f32 values into a uniform-buffer word array (f32 given as {f: x}). */
export function uniformWords(values: (number | { f: number })[]): Uint32Array<ArrayBuffer> {
  const n = Math.max(4, Math.ceil(values.length / 4) * 4);
  const buf = new ArrayBuffer(n * 4);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  values.forEach((v, i) => {
    if (typeof v === 'number') u[i] = v >>> 0;
    else f[i] = v.f;
  });
  return u;
}

/** Size of a binding in bytes, rounded up to 4 and at least 4. */
export function bindSize(bytes: number): number {
  return Math.max(4, Math.ceil(bytes / 4) * 4);
}
