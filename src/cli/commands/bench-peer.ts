// `bench --model synthetic:NAME|DIR --peer llama.cpp [--peer-backend vulkan|cpu] [--prompt-tokens N] [--gen-tokens N]
//        [--peer-runs N] [--check-tokens N] [--peer-threads N (1)] [--peer-gguf FILE] [--precision f16|f32] [--no-tune] [--tune-cache FILE]`
// The same-adapter race against llama.cpp (issue 8 item 6). The synthetic model (src/model/synthetic.ts) is made
// with GPTQ group 32 (symmetric, zero 8, no act-order) instead of 128, which is exactly llama.cpp's Q4_0: the
// GGUF gets the very same 4-bit codes and f16 scales (embedding / lm_head F16, norms F32), no requantisation;
// `weights` in the output says so. A GPTQ model directory (dense llama, 4-bit) is exported layer by layer: g32
// symmetric layers bit for bit, others (other group sizes, asymmetric zeros, act-order) requantised to Q4_0 with
// llama.cpp's reference rule, and `weights` counts them and names why (then the engines' weights differ). llama.cpp runs
// through node-llama-cpp on its Vulkan backend (on this machine: lavapipe, made visible with
// GGML_VK_VISIBLE_DEVICES=0; run under scripts/with-gpu-env.sh so both engines see the same ICD), or --peer-backend
// cpu. First the next-token log-probabilities of both engines are compared on a short sequence; then, after a
// warm-up of each, prefill and decode are timed in interleaved runs (ours, theirs, ours, theirs, …). Our decode is
// the engine's pipelined decode (decodeNext, 2 steps in flight). Prints one JSON line.
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileTuneCache } from '../../gpu/autotune-cache-node';
import { acquireGpu } from '../../gpu/context';
import type { PackedGptq } from '../../gpu/gptq-repack';
import { nodeGpu } from '../../gpu/node-gpu';
import { writeQ4LlamaGguf, placeholderVocab, type Q4LlamaWeights, type Q4WriteReport } from '../../model/convert/gguf-q4-llama';
import type { LlamaConfig } from '../../model/config';
import { openCheckpoint, type Checkpoint } from '../../model/checkpoint';
import { checkpointQ4Weights } from '../../model/convert/checkpoint-q4';
import { nodeDirFiles } from '../../model/node-files';
import { logSoftmax } from '../../model/log-softmax';
import { uploadLlamaWeights, type GpuLlamaWeights } from '../../model/weights-gpu';
import { LlamaGpu } from '../../model/llama-gpu';
import { LlamaCppPeer, type PeerBackend, type PeerTiming } from '../../model/peer-llamacpp';
import { makeSyntheticWeights, syntheticConfig, type SyntheticHostTensor } from '../../model/synthetic';
import { tuneLlamaWeights } from '../../model/tune-weights';
import { AppError } from '../../shared/errors';
import type { CliArgs } from '../args';
import { removeOnExit } from '../interrupt';

/**
 * Default bound on max |Δ log p| between the engines. The Q4_0 weights are identical; what differs is the
 * arithmetic: llama.cpp keeps an F16 KV cache and, for Q4_0 dot products, rounds the activations to 8 bits
 * (Q8_0 on its CPU backend, Q8_1 in ggml-vulkan's integer-dot path), and our f16 path rounds too. Measured on
 * synthetic:tiny-test: 0.045 against the CPU backend (the same with our f32 path: it is llama.cpp's Q8 rounding),
 * 0.017 against Vulkan on lavapipe. A wrong layout (nibble order, scale, row order) gives errors of order 1.
 */
export const PEER_LOGPROB_TOLERANCE = 0.1;

export async function run(args: CliArgs): Promise<void> {
  const peer = args.require('peer');
  if (peer !== 'llama.cpp') throw new AppError('BAD_ARGUMENT', `Unknown --peer ${JSON.stringify(peer)}; the only peer is llama.cpp.`);
  const model = args.require('model');
  const backendArg = args.get('peer-backend') ?? 'vulkan';
  if (backendArg !== 'vulkan' && backendArg !== 'cpu') throw new AppError('BAD_ARGUMENT', `--peer-backend is vulkan or cpu, not ${JSON.stringify(backendArg)}.`);
  const backend: PeerBackend = backendArg;
  const promptTokens = args.number('prompt-tokens', 64);
  const genTokens = args.number('gen-tokens', 16);
  const runs = Math.max(1, args.number('peer-runs', 2));
  const checkTokens = args.number('check-tokens', 12);
  const tolerance = args.number('peer-tolerance', PEER_LOGPROB_TOLERANCE);
  const synthetic = model.startsWith('synthetic:');
  let cfg: LlamaConfig;
  let shapeChange: string | null = null;
  let ck: Checkpoint | null = null;
  if (synthetic) {
    const base = syntheticConfig(model.slice('synthetic:'.length));
    // Group 32: GPTQ g32 sym (zero 8) is llama.cpp's Q4_0 bit for bit. Q4_0 needs whole blocks of 32 along K, so an
    // intermediate size that is not a multiple of 32 (tiny-test's 688) is rounded up, and the output says so.
    const intermediate = Math.ceil(base.intermediateSize / 32) * 32;
    cfg = { ...base, intermediateSize: intermediate, quant: { ...base.quant!, groupSize: 32 } };
    if (intermediate !== base.intermediateSize) shapeChange = `intermediate size ${base.intermediateSize} -> ${intermediate} (Q4_0 blocks of 32)`;
  } else {
    ck = await openCheckpoint(nodeDirFiles(model));
    cfg = ck.config;
  }
  if (cfg.hiddenSize % 32 || (cfg.numHeads * cfg.headDim) % 32 || cfg.intermediateSize % 32) {
    throw new AppError('UNSUPPORTED_MODEL', `${model}: hidden, attention and FFN sizes must be multiples of 32 for Q4_0 (llama.cpp's blocks).`);
  }
  const maxSeq = Math.min(cfg.maxPositionEmbeddings, Math.max(promptTokens + genTokens + 8, checkTokens));

  const ctx = await acquireGpu(nodeGpu(), { preferF16: args.get('precision') !== 'f32' });
  const keepGguf = args.get('peer-gguf');
  const tmp = keepGguf ? null : mkdtempSync(join(tmpdir(), 'pdfchat-peer-'));
  // Ctrl-C during the (minutes-long) first llama.cpp run must not leave the GGUF behind: removed on any exit.
  const forget = tmp ? removeOnExit(tmp) : () => undefined;
  const ggufPath = keepGguf ?? join(tmp!, 'model-q4_0.gguf');
  let theirs: LlamaCppPeer | null = null;
  let llama: LlamaGpu | null = null;
  let weights: GpuLlamaWeights | null = null;
  // Progress on stderr: on a CPU Vulkan driver llama.cpp's first run compiles its shaders for minutes.
  const t00 = performance.now();
  const step = (what: string) => process.stderr.write(`bench --peer [${((performance.now() - t00) / 1000).toFixed(0)} s] ${what}\n`);
  try {
    step(`weights and ${ggufPath}`);
    let written: Q4WriteReport;
    if (ck) {
      written = writeGgufFile(ggufPath, cfg, await checkpointQ4Weights(ck));
      weights = await uploadLlamaWeights(ctx, ck);
    } else {
      const host: SyntheticHostTensor[] = [];
      weights = makeSyntheticWeights(ctx, cfg, 1, (t) => host.push(t));
      written = writeGgufFile(ggufPath, cfg, syntheticQ4Weights(cfg, host));
    }
    const w = weights;
    const maxBatch = Math.min(64, maxSeq);
    const choices = args.has('no-tune') ? null : await tuneLlamaWeights(ctx, w, { cache: fileTuneCache(args.get('tune-cache') ?? undefined), budgetMs: args.number('tune-budget-ms', 4000), maxBatch });
    llama = LlamaGpu.create(ctx, cfg, w, { maxSeq, maxBatch, ...choices?.kernelChoices() });
    step(`llama.cpp (${backend}) loading`);
    theirs = await LlamaCppPeer.open(ggufPath, { backend, contextSize: maxSeq + 16, batchSize: Math.max(promptTokens, checkTokens), threads: args.number('peer-threads', 1) });

    // Agreement: full next-token log-probabilities at every position of a short sequence.
    step(`log-probabilities of ${checkTokens} positions in both engines`);
    const check = Array.from({ length: checkTokens }, (_, i) => (i * 104729 + 11) % cfg.vocabSize);
    const oursLp = (await llama.logitsAll(check)).map(logSoftmax);
    const theirsLp = await theirs.logProbs(check, cfg.vocabSize);
    const agreement = compareLogProbs(oursLp, theirsLp, tolerance);
    if (!agreement.ok) process.stderr.write(`bench --peer: next-token log-probabilities differ by up to ${agreement.max_abs_dlogp} (tolerance ${tolerance})${written.requantisedLayers ? ' — expected: some layers were requantised, the weights differ' : ''}\n`);

    const sampler = { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, seed: 1 };
    const prompt = Array.from({ length: promptTokens }, (_, i) => (i * 7919 + 3) % cfg.vocabSize);
    const ours = async (): Promise<PeerTiming> => {
      const t0 = performance.now();
      await llama!.prefill(prompt, sampler);
      const t1 = performance.now();
      const inFlight: Promise<number>[] = [];
      for (let i = 0; i < genTokens; i++) {
        inFlight.push(llama!.decodeNext(promptTokens + i, sampler, i + 1));
        if (inFlight.length > 2) await inFlight.shift();
      }
      await Promise.all(inFlight);
      const t2 = performance.now();
      return { prefillTokS: promptTokens / ((t1 - t0) / 1000), decodeTokS: genTokens / ((t2 - t1) / 1000) };
    };
    // Warm-up of both (pipeline / shader compilation), untimed.
    step('warm-up');
    const w0 = performance.now();
    await ours();
    const w1 = performance.now();
    await theirs.time(prompt, Math.min(genTokens, 4));
    const w2 = performance.now();
    const pairs: { ours: PeerTiming; theirs: PeerTiming }[] = [];
    step(`${runs} interleaved runs`);
    for (let r = 0; r < runs; r++) pairs.push({ ours: await ours(), theirs: await theirs.time(prompt, genTokens) });

    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const geomean = (xs: number[]) => Math.exp(mean(xs.map(Math.log)));
    const out = {
      adapter: ctx.adapterName,
      f16: ctx.f16,
      model,
      peer: 'llama.cpp',
      peer_backend: backend,
      peer_device: theirs.device,
      weights: weightsNote(written, synthetic ? 'synthetic GPTQ, group 32 (not the synthetic default 128), symmetric zero 8, no act-order' : `${model}: GPTQ 4-bit, group ${cfg.quant?.groupSize}, ${cfg.quant?.sym ? 'symmetric' : 'asymmetric'}${cfg.quant?.descAct ? ', act-order' : ''}`),
      ...(shapeChange ? { shape_change: shapeChange } : {}),
      prompt_tokens: promptTokens,
      gen_tokens: genTokens,
      agreement,
      warmup_s: { ours: round((w1 - w0) / 1000), peer: round((w2 - w1) / 1000) },
      runs: pairs.map((p) => ({
        ours_prefill_tok_s: round(p.ours.prefillTokS), ours_decode_tok_s: round(p.ours.decodeTokS),
        peer_prefill_tok_s: round(p.theirs.prefillTokS), peer_decode_tok_s: round(p.theirs.decodeTokS),
      })),
      ours_prefill_tok_s: round(mean(pairs.map((p) => p.ours.prefillTokS))),
      ours_decode_tok_s: round(mean(pairs.map((p) => p.ours.decodeTokS))),
      peer_prefill_tok_s: round(mean(pairs.map((p) => p.theirs.prefillTokS))),
      peer_decode_tok_s: round(mean(pairs.map((p) => p.theirs.decodeTokS))),
      // Ours / theirs, the geometric mean of the ratios of runs taken back to back.
      prefill_ratio: round(geomean(pairs.map((p) => p.ours.prefillTokS / p.theirs.prefillTokS)), 3),
      decode_ratio: round(geomean(pairs.map((p) => p.ours.decodeTokS / p.theirs.decodeTokS)), 3),
      autotune: choices?.report ? { ms: round(choices.report.ms, 0), cache: choices.report.cache } : null,
    };
    process.stdout.write(JSON.stringify(out) + '\n');
  } finally {
    await theirs?.dispose();
    llama?.destroy();
    weights?.destroy();
    ctx.device.destroy();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    forget();
  }
}

function syntheticQ4Weights(cfg: LlamaConfig, host: SyntheticHostTensor[]): Q4LlamaWeights {
  const byName = new Map(host.map((t) => [t.name, t]));
  const gptq = (name: string): PackedGptq => {
    const t = byName.get(name);
    if (!t || !('gptq' in t)) throw new AppError('INTERNAL', `synthetic weights have no GPTQ tensor ${name}.`);
    return t.gptq;
  };
  const f16 = (name: string): Uint16Array | null => {
    const t = byName.get(name);
    return t && 'f16' in t ? t.f16 : null;
  };
  // The synthetic model's norms are all ones (src/model/synthetic.ts).
  const ones = new Float32Array(cfg.hiddenSize).fill(1);
  return {
    embedding: f16('embedding')!,
    lmHead: cfg.tieWordEmbeddings ? null : f16('lmHead'),
    attnNorm: Array.from({ length: cfg.numLayers }, () => ones),
    ffnNorm: Array.from({ length: cfg.numLayers }, () => ones),
    finalNorm: ones,
    layers: Array.from({ length: cfg.numLayers }, (_, l) => {
      const p = (n: string) => gptq(`layers.${l}.${n}`);
      return { q: p('q'), k: p('k'), v: p('v'), o: p('o'), gate: p('gate'), up: p('up'), down: p('down') };
    }),
  };
}

function writeGgufFile(path: string, cfg: LlamaConfig, w: Q4LlamaWeights): Q4WriteReport {
  const fd = openSync(path, 'w');
  try {
    return writeQ4LlamaGguf(cfg, w, placeholderVocab(cfg.vocabSize), (b) => void writeSync(fd, b));
  } finally {
    closeSync(fd);
  }
}

function weightsNote(r: Q4WriteReport, source: string) {
  return {
    format: 'Q4_0',
    source,
    exact_layers: r.exactLayers,
    requantised_layers: r.requantisedLayers,
    ...(r.requantReasons.length ? { requantised_because: r.requantReasons } : {}),
    gguf_bytes: r.bytes,
    note: r.requantisedLayers ? 'some linears were requantised to Q4_0 (llama.cpp reference rule): the engines do not run identical weights' : 'every linear copied bit for bit (same 4-bit codes, same f16 scales); embedding/lm_head as stored (F16/F32), norms F32',
  };
}

/** max |Δ log p| over every token both engines give a probability above 1e-30 (f32 underflow), and argmax agreement. */
export function compareLogProbs(ours: Float64Array[], theirs: Float64Array[], tolerance: number) {
  let worst = 0;
  let compared = 0;
  let argmaxAgree = 0;
  ours.forEach((o, pos) => {
    const t = theirs[pos];
    let bo = 0, bt = 0;
    for (let i = 0; i < o.length; i++) {
      if (o[i] > o[bo]) bo = i;
      if (t[i] > t[bt]) bt = i;
      if (t[i] < -69 || !Number.isFinite(o[i])) continue;
      worst = Math.max(worst, Math.abs(o[i] - t[i]));
      compared++;
    }
    if (bo === bt) argmaxAgree++;
  });
  return { positions: ours.length, compared, max_abs_dlogp: Number(worst.toExponential(3)), argmax_agree: argmaxAgree, tolerance, ok: worst <= tolerance && compared > 0 };
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
