// Achievable read bandwidth of this adapter (docs/PERFORMANCE.md): a read-only shader over a large buffer,
// each element read once. Timed on the wall clock around submit + onSubmittedWorkDone, best of several runs
// (each run reads the buffer `passes` times in one submit so the submit overhead is amortised).
import { createBuffer, STORAGE, type GpuContext } from './context';
import { ReadBandwidthKernel } from './kernels/read-bandwidth';

export async function measureReadBandwidth(ctx: GpuContext, bytes: number, runs = 5, passes = 4): Promise<number> {
  const size = Math.floor(bytes / 16) * 16;
  const src = createBuffer(ctx, size, STORAGE, 'roofline.src'); // u32 [size/4], contents irrelevant (zeros)
  const kernel = new ReadBandwidthKernel(ctx);
  const bound = kernel.bind(src, size);
  const once = async () => {
    const enc = ctx.device.createCommandEncoder();
    for (let i = 0; i < passes; i++) {
      const pass = enc.beginComputePass();
      kernel.encode(pass, bound);
      pass.end();
    }
    const t0 = performance.now();
    ctx.device.queue.submit([enc.finish()]);
    await ctx.device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };
  await once(); // warm-up: pipeline compilation, first touch
  let best = Infinity;
  for (let r = 0; r < runs; r++) best = Math.min(best, await once());
  src.destroy();
  bound.partials.destroy();
  return (size * passes) / (best / 1000) / 1e9;
}
