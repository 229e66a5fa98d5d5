// Kernel micro-benchmark (`npm run bench:kernels [-- --only NAME] [--f32] [--json] [--rounds N] [--mib N]`):
// the linear kernels at real Llama shapes, every GPTQ matvec variant this adapter has (f16-arithmetic ones
// included), every dense matvec variant (lm_head) and every prefill matmul tile, each case's weights in enough distinct copies to exceed the caches, timed in rounds interleaved
// with the read roofline (src/gpu/kernel-bench.ts, src/gpu/roofline.ts).
//   GPTQ matvec 4096×4096 and 2048→5632 / 5632→2048 (TinyLlama gate/up and down), group 128: GB/s of weights + x
//   dense lm_head matvec 32000×2048 f16:                              GB/s of weights + x
//   GPTQ prefill matmul 2048→5632, M = 64 tokens:                      GFLOP/s (2·M·N·K per run)
// Fractions are of the read roofline (the same ratio holds on any adapter; docs/PERFORMANCE.md).
import { acquireGpu } from '../src/gpu/context';
import { runKernelBench } from '../src/gpu/kernel-bench';
import { denseMatvecVariants } from '../src/gpu/kernels/dense-linear';
import { gptqMatvecVariants } from '../src/gpu/kernels/gptq-linear';
import { GPTQ_MATMUL_TILES } from '../src/gpu/kernels/gptq-matmul-tiles';
import { nodeGpu } from '../src/gpu/node-gpu';

const argv = process.argv.slice(2);
const arg = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const json = argv.includes('--json');

async function main(): Promise<void> {
  const ctx = await acquireGpu(nodeGpu(), { preferF16: !argv.includes('--f32') });
  const mib = Number(arg('--mib') ?? 128);
  const { roofline, rows } = await runKernelBench(ctx, {
    only: arg('--only') ?? null,
    rounds: Number(arg('--rounds') ?? 3),
    minBytes: mib * 2 ** 20,
    matvecVariants: gptqMatvecVariants(ctx, { f16Arithmetic: true }),
    denseVariants: denseMatvecVariants(ctx),
    matmulTiles: GPTQ_MATMUL_TILES,
  });
  if (json) {
    process.stdout.write(JSON.stringify({ adapter: ctx.adapterName, f16: ctx.f16, subgroups: ctx.subgroups, read_roofline_gbps: roofline.gbps, roofline, rows }) + '\n');
  } else {
    console.log(`adapter: ${ctx.adapterName} (f16 ${ctx.f16}, subgroups ${ctx.subgroups}); read roofline ${roofline.gbps.toFixed(2)} GB/s (${roofline.best}, ${roofline.clock} clock, ${(roofline.bytes / 2 ** 20).toFixed(0)} MiB)`);
    console.log('kernel                       variant                  shape              copies       ms      GB/s  of roofline   GFLOP/s');
    for (const r of rows) {
      console.log(`${r.kernel.padEnd(28)} ${r.variant.padEnd(24)} ${r.shape.padEnd(18)} ${String(r.copies).padStart(6)} ${r.ms.toFixed(3).padStart(8)} ${r.gbps.toFixed(2).padStart(9)} ${(r.roofline_fraction * 100).toFixed(1).padStart(10)} % ${r.gflops !== undefined ? r.gflops.toFixed(2).padStart(9) : ''}`);
    }
  }
  ctx.device.destroy();
}

await main();
