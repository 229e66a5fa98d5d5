// `bench --model DIR|synthetic:NAME [--prompt-tokens N] [--gen-tokens N] [--precision f16|f32] [--profile]
//        [--no-tune] [--tune-cache FILE] [--tune-budget-ms N] [--lockstep] [--no-fuse] [--roofline-mib N]`  (decode is pipelined as in the engine; --lockstep waits for each id)
// Prints one JSON line {adapter, f16, prefill_tok_s, decode_tok_s, weight_bytes_per_token, read_roofline_gbps,
// read_roofline_pattern, read_roofline_bytes, decode_roofline_fraction, dispatches_per_token, fused, autotune}. --no-fuse runs one
// kernel per op (no stacked q/k/v or gate/up, no folded norms; src/model/llama-gpu.ts). Before timing, the GPTQ matvec autotuner
// (src/gpu/autotune.ts) picks a variant per layer shape, cached in a JSON file beside the Node model cache
// (src/gpu/autotune-cache-node.ts, or --tune-cache FILE); `autotune` says what it chose, whether from the cache,
// and how long it took. --no-tune keeps the default kernels (rows-per-thread matvec, tm8 rt8 wg32 tf matmul tile, one-row-per-thread dense matvec). With --profile it also decodes a few tokens with every kernel in its own
// timestamped pass and adds `decode_profile` [{kernel, ms, share, dispatches}] per token (largest first), and
// prints the same table to stderr: where a decode token's GPU time goes. The roofline is a read-only shader measured in the same run on the same adapter
// (docs/PERFORMANCE.md): decode speed is reported as the fraction of that bandwidth it achieves. It reads a 256 MiB
// buffer (larger than any adapter's caches); --roofline-mib N reads N MiB instead (quicker, for a smoke run; a
// buffer that fits a cache reads faster than memory, so the fraction is then not a bound).
import { acquireGpu, type GpuContext } from '../../gpu/context';
import { nodeGpu } from '../../gpu/node-gpu';
import { GpuProfiler, type ProfileRow } from '../../gpu/profiler';
import { measureRoofline, type RooflineResult } from '../../gpu/roofline';
import { fileTuneCache } from '../../gpu/autotune-cache-node';
import { tuneLlamaWeights } from '../../model/tune-weights';
import { AppError } from '../../shared/errors';
import { openCheckpoint } from '../../model/checkpoint';
import { LlamaGpu } from '../../model/llama-gpu';
import { nodeDirFiles } from '../../model/node-files';
import { decodeBytesPerToken, makeSyntheticWeights, syntheticConfig } from '../../model/synthetic';
import { uploadLlamaWeights } from '../../model/weights-gpu';
import { makeSyntheticMoeWeights, moeExpertBytesPerToken, SYNTHETIC_MOE_SHAPES } from '../../model/moe-synthetic';
import { checkArgs, type CliArgs, type CommandSpec, type FlagSpec } from '../args';

const COMMON_FLAGS: Record<string, FlagSpec> = {
  model: { kind: 'string', required: true },
  'prompt-tokens': { kind: 'integer', min: 1 },
  'gen-tokens': { kind: 'integer', min: 1 },
  precision: { kind: 'string', choices: ['auto', 'f16', 'f32'] },
  'no-tune': { kind: 'boolean' },
  'tune-cache': { kind: 'string' },
  'tune-budget-ms': { kind: 'number', min: 0 },
};

export const BENCH_SPEC: CommandSpec = {
  command: 'bench',
  flags: {
    ...COMMON_FLAGS,
    profile: { kind: 'boolean' },
    lockstep: { kind: 'boolean' },
    'no-fuse': { kind: 'boolean' },
    'tune-min-layer-bytes': { kind: 'integer', min: 0 },
    'roofline-mib': { kind: 'integer', min: 1 },
  },
};

/** The flags bench-peer.ts reads (its header lists them). */
export const BENCH_PEER_SPEC: CommandSpec = {
  command: 'bench --peer',
  flags: {
    ...COMMON_FLAGS,
    peer: { kind: 'string', required: true, choices: ['llama.cpp'] },
    'peer-backend': { kind: 'string', choices: ['vulkan', 'cpu'] },
    'peer-runs': { kind: 'integer', min: 1 },
    'check-tokens': { kind: 'integer', min: 1 },
    'peer-threads': { kind: 'integer', min: 1 },
    'peer-tolerance': { kind: 'number', min: 0, exclusiveMin: true },
    'peer-gguf': { kind: 'string' },
  },
};

export async function run(given: CliArgs): Promise<void> {
  // Checked here, before anything is loaded: bench-peer.ts reads the checked args too.
  const peer = given.argv.some((a) => a === '--peer' || a.startsWith('--peer='));
  if (!peer) {
    const peerOnly = given.argv.map((a) => a.slice(2).split('=')[0]).find((n) => n in BENCH_PEER_SPEC.flags && !(n in BENCH_SPEC.flags));
    if (peerOnly) throw new AppError('BAD_ARGUMENT', `--${peerOnly} is a flag of the llama.cpp race; add --peer llama.cpp.`);
  }
  const args = checkArgs(given, peer ? BENCH_PEER_SPEC : BENCH_SPEC);
  if (peer) return (await import('./bench-peer')).run(args); // the llama.cpp race (bench-peer.ts)
  const ctx = await acquireGpu(nodeGpu(), { preferF16: args.get('precision') !== 'f32' });
  try {
    const out = await runBench(ctx, args);
    process.stdout.write(JSON.stringify(out) + '\n');
  } finally {
    ctx.device.destroy();
  }
}

/** The benchmark on an acquired context (also used by scripts/bench-device-main.ts); `roofline` skips measuring it again. */
export async function runBench(ctx: GpuContext, args: CliArgs, opts: { roofline?: RooflineResult } = {}): Promise<Record<string, unknown>> {
  const model = args.require('model');
  const promptTokens = args.number('prompt-tokens', 64);
  const genTokens = args.number('gen-tokens', 16);
  // Flags that cannot work are said before the weights upload and tuning, not after a long run.
  if (args.has('profile') && !ctx.device.features.has('timestamp-query')) {
    throw new AppError('BAD_ARGUMENT', `bench --profile needs the timestamp-query feature, which ${ctx.adapterName} does not offer. Run without --profile.`);
  }
  const synthetic = model.startsWith('synthetic:');
  const moeShape = synthetic ? SYNTHETIC_MOE_SHAPES[model.slice('synthetic:'.length)] : undefined; // src/model/moe-synthetic.ts
  const cfg = moeShape ?? (synthetic ? syntheticConfig(model.slice('synthetic:'.length)) : (await openCheckpoint(nodeDirFiles(model))).config);
  const fuse = !args.has('no-fuse');
  const weights = moeShape ? makeSyntheticMoeWeights(ctx, cfg, 1, { fuse }) : synthetic ? makeSyntheticWeights(ctx, cfg, 1, undefined, { fuse }) : await uploadLlamaWeights(ctx, await openCheckpoint(nodeDirFiles(model)), { fuse });
  // MoE: what a decode step reads (attention + router + the top-k chosen experts + shared expert), not all experts.
  const moeBytes = moeExpertBytesPerToken(weights, cfg);
  const bytesPerToken = decodeBytesPerToken(weights) + moeBytes;
  // (--profile decodes 3 tokens more.)
  const needed = promptTokens + genTokens + (args.has('profile') ? 3 : 0);
  if (needed > cfg.maxPositionEmbeddings) {
    throw new AppError('BAD_ARGUMENT', `--prompt-tokens ${promptTokens} + --gen-tokens ${genTokens}${args.has('profile') ? ' (+3 for --profile)' : ''} = ${needed} positions, but this model's context holds ${cfg.maxPositionEmbeddings}. Ask for fewer tokens.`);
  }
  const maxSeq = Math.min(cfg.maxPositionEmbeddings, needed + 8);
  const maxBatch = Math.min(64, maxSeq);
  const choices = args.has('no-tune') ? null : await tuneLlamaWeights(ctx, weights, {
    cache: fileTuneCache(args.get('tune-cache') ?? undefined),
    maxBatch,
    budgetMs: args.number('tune-budget-ms', 4000),
    ...(args.has('tune-min-layer-bytes') ? { minLayerBytes: args.number('tune-min-layer-bytes', 0) } : {}),
  });
  const tune = choices?.report ?? null;
  const llama = LlamaGpu.create(ctx, cfg, weights, {
    maxSeq,
    maxBatch,
    ...choices?.kernelChoices(),
    fuse,
  });
  const sampler = { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, seed: 1 };
  const prompt = Array.from({ length: promptTokens }, (_, i) => (i * 7919 + 3) % cfg.vocabSize);

  // Warm-up (pipeline compilation), then timed runs.
  let tok = await llama.prefill(prompt.slice(0, Math.min(8, promptTokens)), sampler);
  tok = await llama.decode(tok, Math.min(8, promptTokens), sampler, 1);
  const t0 = performance.now();
  tok = await llama.prefill(prompt, sampler);
  const t1 = performance.now();
  let pos = promptTokens;
  if (args.has('lockstep')) {
    for (let i = 0; i < genTokens; i++) tok = await llama.decode(tok, pos++, sampler, i + 1);
  } else {
    // As the engine decodes: each step fed on the GPU by the previous one's sampled id, two in flight.
    const inFlight: Promise<number>[] = [];
    for (let i = 0; i < genTokens; i++) {
      inFlight.push(llama.decodeNext(pos++, sampler, i + 1));
      if (inFlight.length > 2) await inFlight.shift();
    }
    if (inFlight.length > 0) tok = (await Promise.all(inFlight)).at(-1)!;
  }
  const t2 = performance.now();
  const prefillTokS = promptTokens / ((t1 - t0) / 1000);
  const decodeTokS = genTokens / ((t2 - t1) / 1000);
  let profile: { kernel: string; ms: number; share: number; dispatches: number }[] | undefined;
  if (args.has('profile')) {
    const prof = GpuProfiler.create(ctx, 1024);
    if (!prof) throw new AppError('BAD_ARGUMENT', `bench --profile needs the timestamp-query feature, which ${ctx.adapterName} does not offer. Run without --profile.`);
    const tokens = 3;
    const rows: ProfileRow[] = [];
    for (let i = 0; i < tokens; i++) {
      const r = await llama.decodeProfiled(tok, pos++, sampler, genTokens + i + 1, prof);
      tok = r.token;
      rows.push(...r.rows);
    }
    prof.destroy();
    profile = GpuProfiler.table(rows).map((r) => ({ kernel: r.label, ms: round(r.ms / tokens, 3), share: round(r.share, 4), dispatches: r.count / tokens }));
    const total = profile.reduce((s, r) => s + r.ms, 0);
    process.stderr.write(`decode token, GPU time per kernel (timestamp-query, ${tokens} tokens averaged; total ${total.toFixed(2)} ms):\n`);
    for (const r of profile) process.stderr.write(`  ${r.kernel.padEnd(44)} ${r.ms.toFixed(3).padStart(10)} ms ${(r.share * 100).toFixed(1).padStart(6)} %  ${String(r.dispatches).padStart(4)} passes\n`);
    process.stderr.write(tune ? `GPTQ matvec variant per layer shape (autotuner, ${tune.ms.toFixed(0)} ms, cache: ${tune.cache}):\n` : 'GPTQ matvec: rows-per-thread everywhere (--no-tune)\n');
    for (const d of tune?.decisions ?? []) process.stderr.write(`  ${d.shape.padEnd(24)} ${d.variant.padEnd(24)} ${d.skipped ? `not tuned (${d.skipped})` : d.fromCache ? 'cached (re-checked)' : d.complete ? 'tuned now' : 'tuned now (budget ran out)'}${d.staleChoice ? ` - cached ${d.staleChoice.variant} gave wrong output, set aside` : ''}\n`);
  }
  const roofline = opts.roofline ?? (await measureRoofline(ctx, args.has('roofline-mib') ? { bytes: args.number('roofline-mib', 256) * 2 ** 20 } : {}));
  const rooflineGbps = roofline.gbps;
  const out = {
    adapter: ctx.adapterName,
    f16: ctx.f16,
    decode_mode: args.has('lockstep') ? 'lockstep' : 'pipelined',
    prefill_tok_s: round(prefillTokS),
    decode_tok_s: round(decodeTokS),
    weight_bytes_per_token: bytesPerToken,
    ...(cfg.moe ? { moe: { experts: cfg.moe.numExperts, active: cfg.moe.topK, expert_bytes_per_token: moeBytes, weight_bytes_total: weights.bytes } } : {}),
    read_roofline_gbps: round(rooflineGbps),
    read_roofline_pattern: roofline.best,
    read_roofline_bytes: roofline.bytes,
    decode_roofline_fraction: round((decodeTokS * bytesPerToken) / (rooflineGbps * 1e9), 4),
    dispatches_per_token: llama.dispatchesPerToken(),
    fused: fuse,
    autotune: tune ? {
      ms: round(tune.ms, 0), cache: tune.cache, clock: tune.clock,
      decisions: tune.decisions.map((d) => ({ shape: d.shape, variant: d.variant, from_cache: d.fromCache, complete: d.complete, ...(d.skipped ? { skipped: d.skipped } : {}), ...(d.staleChoice ? { stale_choice: { variant: d.staleChoice.variant, rel_err: d.staleChoice.relErr } } : {}), ...(d.candidates ? { candidates: d.candidates.map((c) => ({ variant: c.variant, ms: c.ms === null ? null : round(c.ms, 4), rel_err: c.relErr, ...(c.rounds ? { rounds: c.rounds } : {}), ...(c.note ? { note: c.note } : {}) })) } : {}) })),
    } : null,
    ...(profile ? { decode_profile: profile } : {}),
  };
  llama.destroy();
  weights.destroy();
  return out;
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
