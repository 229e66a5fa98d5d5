// Entry of scripts/bench-device.sh (bundled into .vendor/device/bench-device.mjs by build-bench-device.mjs so
// that it runs with a bare Node binary and no node_modules): on this machine's GPU it measures the read
// roofline, the linear kernels against it (every GPTQ matvec variant), and `bench` (autotuner first, then
// prefill/decode tok/s, per-kernel profile where timestamp queries exist) on synthetic Llama shapes, and writes
// ONE JSON file. It rewrites that file after every stage, so a run cut short still leaves what it measured.
//   --shapes tinyllama-1.1b,llama-3.2-1b:1500:4,…   name[:prompt tokens[:generated tokens]] (default 64:16)
//   --out FILE            (default bench-device.json)
//   --budget-s N          stop starting stages after N seconds (default 420)
//   --roofline-mib N      bytes the roofline reads (default 256)
//   --kernel-mib N        bytes per kernel-bench measurement (default 128; 0 skips the kernel bench)
//   --kernel-shapes small the roofline test's small shapes instead of the Llama ones
//   --tune-cache FILE     (default: autotune.json beside --out)
//   --tune-min-layer-bytes N, --tune-budget-ms N   passed to the autotuner
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { acquireGpu } from '../src/gpu/context';
import { LLAMA_SHAPES, runKernelBench } from '../src/gpu/kernel-bench';
import { gptqMatvecVariants } from '../src/gpu/kernels/gptq-linear';
import { nodeGpu } from '../src/gpu/node-gpu';
import { measureRoofline } from '../src/gpu/roofline';
import { parseArgs } from '../src/cli/args';
import { runBench } from '../src/cli/commands/bench';

const argv = process.argv.slice(2);
const arg = (name: string, fallback?: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const t0 = performance.now();
const elapsedS = () => (performance.now() - t0) / 1000;
const out = arg('--out', 'bench-device.json')!;
const budgetS = Number(arg('--budget-s', '420'));
const tuneCache = arg('--tune-cache', join(dirname(out), 'autotune.json'))!;
const shapes = arg('--shapes', 'tinyllama-1.1b,tinyllama-1.1b:1500:4,llama-3.2-1b,llama-2-7b')!.split(',').filter(Boolean);

const report: Record<string, unknown> & { stages: { stage: string; seconds: number; error?: string; skipped?: string }[]; models: unknown[] } = {
  started: new Date().toISOString(), node: process.version, platform: `${process.platform}-${process.arch}`,
  stages: [], models: [],
};
const save = () => writeFileSync(out, JSON.stringify({ ...report, elapsed_s: Math.round(elapsedS() * 10) / 10 }, null, 1) + '\n');

async function stage(name: string, fn: () => Promise<void>): Promise<void> {
  if (elapsedS() > budgetS) { report.stages.push({ stage: name, seconds: 0, skipped: `time budget of ${budgetS} s spent` }); save(); return; }
  const s0 = performance.now();
  try {
    await fn();
    report.stages.push({ stage: name, seconds: Math.round((performance.now() - s0) / 100) / 10 });
  } catch (e) {
    report.stages.push({ stage: name, seconds: Math.round((performance.now() - s0) / 100) / 10, error: e instanceof Error ? e.message : String(e) });
  }
  save();
  process.stderr.write(`[bench-device] ${name}: ${JSON.stringify(report.stages.at(-1))}\n`);
}

const ctx = await acquireGpu(nodeGpu());
report.adapter = { ...ctx.adapterInfo, name: ctx.adapterName };
report.features = { f16: ctx.f16, subgroups: ctx.subgroups, timestamp: ctx.device.features.has('timestamp-query') };
report.limits = { maxBufferSize: ctx.limits.maxBufferSize, maxStorageBufferBindingSize: ctx.limits.maxStorageBufferBindingSize, maxComputeInvocationsPerWorkgroup: ctx.limits.maxComputeInvocationsPerWorkgroup, maxComputeWorkgroupStorageSize: ctx.limits.maxComputeWorkgroupStorageSize };
save();

let roofline: Awaited<ReturnType<typeof measureRoofline>> | undefined;
await stage('roofline', async () => {
  roofline = await measureRoofline(ctx, { bytes: Number(arg('--roofline-mib', '256')) * 2 ** 20 });
  report.roofline = roofline;
});

const kernelMib = Number(arg('--kernel-mib', '128'));
if (kernelMib > 0) {
  await stage('kernels', async () => {
    const small = arg('--kernel-shapes') === 'small';
    const r = await runKernelBench(ctx, {
      shapes: small ? { gptqMatvec: [[1024, 1024]], lmHead: [512, 8192], gptqMatmul: { K: 512, N: 1024, M: 4 } } : LLAMA_SHAPES,
      minBytes: kernelMib * 2 ** 20, rounds: 2, matvecVariants: gptqMatvecVariants(ctx, { f16Arithmetic: true }),
    });
    report.kernels = { roofline_gbps: r.roofline.gbps, roofline_pattern: r.roofline.best, rows: r.rows };
  });
}

for (const spec of shapes) {
  const [name, prompt = '64', gen = '16'] = spec.split(':');
  await stage(`bench ${spec}`, async () => {
    const a = ['--model', `synthetic:${name}`, '--prompt-tokens', prompt, '--gen-tokens', gen, '--tune-cache', tuneCache];
    for (const k of ['--tune-min-layer-bytes', '--tune-budget-ms']) if (arg(k) !== undefined) a.push(k, arg(k)!);
    if (ctx.device.features.has('timestamp-query')) a.push('--profile');
    const r = await runBench(ctx, parseArgs(a), { roofline });
    report.models.push({ shape: name, prompt_tokens: Number(prompt), gen_tokens: Number(gen), ...r });
  });
}

save();
process.stderr.write(`[bench-device] wrote ${out} (${elapsedS().toFixed(0)} s)\n`);
ctx.device.destroy();
process.exit(0);
