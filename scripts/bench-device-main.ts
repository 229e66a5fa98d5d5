// Entry of scripts/bench-device.sh (bundled into bench-device.mjs by build-bench-device.mjs so that it runs with
// a bare Node binary and no node_modules): on this machine's GPU it measures the read roofline, the linear
// kernels against it (every GPTQ matvec and dense matvec variant, every prefill matmul tile), `bench` (autotuner first, then prefill/decode tok/s, per-kernel
// profile where timestamp queries exist) on synthetic Llama shapes, and the same-adapter race against llama.cpp
// (bench --peer llama.cpp, in a child process: scripts/bench-device-peer.ts), and writes ONE JSON file. It
// rewrites that file after every stage, so a run cut short still leaves what it measured.
//   --shapes tinyllama-1.1b,llama-3.2-1b:1500:4,…   name[:prompt tokens[:generated tokens]] (default 64:16)
//   --out FILE            (default bench-device.json; its folder is made). Written at the start (an older file there is
//                         replaced), after every stage and on a failure: `status` running | done | failed | stopped;
//                         a failure that ends the run (no GPU adapter, …) is `error` {stage, code, message}, also
//                         said on stderr, exit status 1 (2: --out cannot be written; 128 + n: stopped by signal n)
//   --budget-s N          stop starting stages after N seconds (default 420)
//   --stop-s N            no stage's child process runs past N seconds (default 465; bench-device.sh kills the
//                         whole run at 470)
//   --roofline-mib N      bytes the roofline reads (default 256)
//   --kernel-mib N        bytes per kernel-bench measurement (default 128; 0 skips the kernel bench)
//   --kernel-shapes small the roofline test's small shapes instead of the Llama ones
//   --kernel-budget-s N   the kernel bench calibrates no further case after N s (default 90) or once the run's
//                         budget is spent (skipped cases are listed); it times every GPTQ matvec variant, every
//                         dense (lm_head) matvec variant and every prefill matmul tile, as `npm run bench:kernels`
//   --tune-cache FILE     (default: autotune.json beside --out; the races use autotune-peer.json there)
//   --tune-min-layer-bytes N, --tune-budget-ms N   passed to the autotuner
//   --peer-shapes a:128:32,b,…   the llama.cpp races (default tinyllama-1.1b:128:32,llama-2-7b:128:32; "" none).
//                         A race runs right after the bench of its shape (else after all benches), and only when
//                         at least --peer-min-s (default 60) of the budget is left.
//   --peer-backend vulkan|cpu  llama.cpp's backend (default vulkan: the same adapter)
//   --peer-timeout-s N    one race's time limit (default 200); --peer-runs N (3), --check-tokens N (8)
//   --peer-no-tune        the races run our untuned kernels (bench --peer --no-tune)
//   --peer-child …        (internal) run `bench --peer llama.cpp` with the flags that follow and exit
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { constants } from 'node:os';
import { acquireGpu } from '../src/gpu/context';
import { LLAMA_SHAPES, runKernelBench } from '../src/gpu/kernel-bench';
import { denseMatvecVariants } from '../src/gpu/kernels/dense-linear';
import { gptqMatvecVariants } from '../src/gpu/kernels/gptq-linear';
import { GPTQ_MATMUL_TILES } from '../src/gpu/kernels/gptq-matmul-tiles';
import { nodeGpu } from '../src/gpu/node-gpu';
import { measureRoofline } from '../src/gpu/roofline';
import { parseArgs } from '../src/cli/args';
import { AppError } from '../src/shared/errors';
import { runBench } from '../src/cli/commands/bench';
import { parsePeerSpec, runPeerRace, type PeerRaceEntry } from './bench-device-peer';

if (process.argv[2] === '--peer-child') {
  try {
    await (await import('../src/cli/commands/bench-peer')).run(parseArgs(process.argv.slice(3)));
    process.exit(0);
  } catch (e) {
    process.stderr.write(`bench --peer: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}

const argv = process.argv.slice(2);
const arg = (name: string, fallback?: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const t0 = performance.now();
const elapsedS = () => (performance.now() - t0) / 1000;
const out = arg('--out', 'bench-device.json')!;
const budgetS = Number(arg('--budget-s', '420'));
const tuneCache = arg('--tune-cache', join(dirname(out), 'autotune.json'))!;
const shapes = arg('--shapes', 'tinyllama-1.1b,tinyllama-1.1b:1500:4,llama-3.2-1b,llama-2-7b')!.split(',').filter(Boolean);
const stopS = Number(arg('--stop-s', '465'));
const peerSpecs = arg('--peer-shapes', 'tinyllama-1.1b:128:32,llama-2-7b:128:32')!.split(',').filter(Boolean).map(parsePeerSpec);
const peerMinS = Number(arg('--peer-min-s', '60'));

const report: Record<string, unknown> & { stages: { stage: string; seconds: number; error?: string; skipped?: string }[]; models: unknown[]; peer: PeerRaceEntry[] } = {
  started: new Date().toISOString(), node: process.version, platform: `${process.platform}-${process.arch}`,
  status: 'running', stages: [], models: [], peer: [],
};
const save = () => writeFileSync(out, JSON.stringify({ ...report, elapsed_s: Math.round(elapsedS() * 10) / 10 }, null, 1) + '\n');
/** What the run is doing now: the `stage` of a failure that ends it. */
let current = 'start';

// The output first: its folder made, and this run's file in place of an older one, before anything can fail.
try {
  if (!out) throw new Error('--out needs a file name');
  mkdirSync(dirname(resolve(out)), { recursive: true });
  save();
} catch (e) {
  process.stderr.write(`bench-device: cannot write --out ${out ?? ''}: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
}

/** Ends the run: the failure in the JSON (`status` failed, `error` {stage, code, message}), a line on stderr, exit 1. */
function fail(e: unknown, exitCode = 1, status = 'failed'): never {
  const err = AppError.from(e);
  report.status = status;
  report.error = { stage: current, code: err.code, message: err.message };
  let saved = '';
  try { save(); } catch (se) { saved = ` (and ${out} could not be written: ${se instanceof Error ? se.message : String(se)})`; }
  process.stderr.write(`bench-device: ${status === 'stopped' ? 'stopped' : 'failed'} at ${current} [${err.code}]: ${err.message}${saved || ` (in ${out})`}\n`);
  process.exit(exitCode);
}
process.on('uncaughtException', (e) => fail(e));
process.on('unhandledRejection', (e) => fail(e));
// bench-device.sh passes Ctrl-C / SIGTERM / SIGHUP on (and `timeout` sends SIGTERM at the limit): say so in the JSON.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => fail(new AppError('ABORTED', `stopped by ${sig} (Ctrl-C, a time limit or a hangup) during ${current}; the stages before it are complete`), 128 + constants.signals[sig], 'stopped'));
}

/** The NO_WEBGPU of acquireGpu, with what to check on a machine that should have a GPU. */
function noAdapter(e: unknown): AppError {
  const err = AppError.from(e);
  if (err.code !== 'NO_WEBGPU') return err;
  const icd = process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES;
  const missing = icd?.split(':').filter((f) => f && !existsSync(f)) ?? [];
  return new AppError('NO_WEBGPU', 'No GPU adapter: Dawn (Vulkan) found no device. Check the Vulkan driver and its ICD manifest: '
    + (icd ? `VK_ICD_FILENAMES is ${icd}${missing.length ? ` (${missing.join(', ')} does not exist)` : ''}; ` : 'VK_ICD_FILENAMES is not set, so the loader reads /usr/share/vulkan/icd.d and /etc/vulkan/icd.d; ')
    + 'NVIDIA: nvidia-smi works and libGLX_nvidia.so.0 is installed (bench-device.sh writes a manifest for it when none exists); `vulkaninfo --summary` lists the devices the loader sees.');
}

async function stage(name: string, fn: () => Promise<void>, minLeftS = 0): Promise<void> {
  if (elapsedS() > budgetS - minLeftS) {
    report.stages.push({ stage: name, seconds: 0, skipped: minLeftS ? `less than ${minLeftS} s of the ${budgetS} s budget left` : `time budget of ${budgetS} s spent` });
    save();
    return;
  }
  const s0 = performance.now();
  current = name;
  try {
    await fn();
    report.stages.push({ stage: name, seconds: Math.round((performance.now() - s0) / 100) / 10 });
  } catch (e) {
    report.stages.push({ stage: name, seconds: Math.round((performance.now() - s0) / 100) / 10, error: e instanceof Error ? e.message : String(e) });
  }
  save();
  process.stderr.write(`[bench-device] ${name}: ${JSON.stringify(report.stages.at(-1))}\n`);
}

current = 'gpu';
const ctx = await (async () => acquireGpu(nodeGpu()))().catch((e: unknown) => fail(noAdapter(e))); // nodeGpu throws where Dawn's addon cannot load
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
      denseVariants: denseMatvecVariants(ctx), matmulTiles: GPTQ_MATMUL_TILES,
      deadline: performance.now() + Math.min(Number(arg('--kernel-budget-s', '90')), budgetS - elapsedS()) * 1000,
    });
    report.kernels = { roofline_gbps: r.roofline.gbps, roofline_pattern: r.roofline.best, rounds: r.rounds, rows: r.rows, skipped: r.skipped };
  });
}

// The llama.cpp race for one shape, in a child process with its own time limit (scripts/bench-device-peer.ts).
const peerBackend = arg('--peer-backend', 'vulkan')!;
// The races' GPTQ g32 models have shapes of their own: their tuner choices go to a file of their own.
const peerExtra = ['--peer-runs', arg('--peer-runs', '3')!, '--check-tokens', arg('--check-tokens', '8')!, '--tune-cache', join(dirname(out), 'autotune-peer.json')];
for (const k of ['--tune-budget-ms', '--peer-threads']) if (arg(k) !== undefined) peerExtra.push(k, arg(k)!);
if (argv.includes('--peer-no-tune')) peerExtra.push('--no-tune');
const race = (p: (typeof peerSpecs)[number]) => stage(`peer ${p.shape}:${p.promptTokens}:${p.genTokens}`, async () => {
  const entry = await runPeerRace({
    bundle: process.argv[1], spec: p, backend: peerBackend, extraArgs: peerExtra,
    timeoutS: Math.min(Number(arg('--peer-timeout-s', '200')), stopS - elapsedS()),
    onStderr: (t) => process.stderr.write(t),
  });
  report.peer.push(entry);
  if (entry.error) throw new Error(entry.error);
}, peerMinS);
const racesLeft = [...peerSpecs];

for (const spec of shapes) {
  const [name, prompt = '64', gen = '16'] = spec.split(':');
  await stage(`bench ${spec}`, async () => {
    const a = ['--model', `synthetic:${name}`, '--prompt-tokens', prompt, '--gen-tokens', gen, '--tune-cache', tuneCache];
    for (const k of ['--tune-min-layer-bytes', '--tune-budget-ms']) if (arg(k) !== undefined) a.push(k, arg(k)!);
    if (ctx.device.features.has('timestamp-query')) a.push('--profile');
    const r = await runBench(ctx, parseArgs(a), { roofline });
    report.models.push({ shape: name, prompt_tokens: Number(prompt), gen_tokens: Number(gen), ...r });
  });
  const i = racesLeft.findIndex((p) => p.shape === name);
  if (i >= 0) await race(racesLeft.splice(i, 1)[0]);
}
for (const p of racesLeft) await race(p);

current = 'end';
report.status = 'done';
save();
process.stderr.write(`[bench-device] wrote ${out} (${elapsedS().toFixed(0)} s)\n`);
ctx.device.destroy();
process.exit(0);
