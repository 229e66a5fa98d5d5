// Shared by the GPU tests: one device per test file (Dawn in Node; see scripts/with-gpu-env.sh).
import { acquireGpu, type GpuContext } from '../../src/gpu/context';
import { nodeGpu } from '../../src/gpu/node-gpu';

export async function testGpu(opts: { preferF16?: boolean } = {}): Promise<GpuContext> {
  return acquireGpu(nodeGpu(), opts);
}

/** Deterministic uniform random floats in [-scale, scale). */
export function randomFloats(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}
