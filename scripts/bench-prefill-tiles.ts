// Prefill with the default matmul tile vs the autotuner's tiles, interleaved in one run on one model
// (`bash scripts/with-gpu-env.sh node --import ./scripts/node20-polyfills.mjs --import tsx --import
// ./scripts/raw-loader.mjs scripts/bench-prefill-tiles.ts [--model synthetic:NAME] [--prompt-tokens N]
// [--rounds N] [--tune-budget-ms MS] [--tune-cache FILE] [--f32] [--vs-tile NAME]`):
//   default: LlamaGpu with no tuned options (the prefill matmul is shaders/gptq-matmul.wgsl everywhere);
//   tuned:   the same weights with the tiles autotuneLinear picked (matmulTile only, so that only the prefill
//            matmul differs; the cache is the CLI's, ~/.cache/pdfchat/autotune.json, unless --tune-cache);
//            with --vs-tile NAME instead one tile for every layer (e.g. "tm4 rt8 wg64", the default until
//            2026-12-01), no tuning.
// Rounds alternate default, tuned, default, tuned so drift cancels; both prefills must sample the same first
// token. Prints per-round tok/s, the medians, the median of the per-round ratios (tuned / default) and the tile
// chosen per shape, as one JSON line.
import { autotuneLinear } from '../src/gpu/autotune';
import { fileTuneCache } from '../src/gpu/autotune-cache-node';
import { acquireGpu } from '../src/gpu/context';
import { ROWS_PER_THREAD } from '../src/gpu/kernels/gptq-linear';
import { parseTileName } from '../src/gpu/kernels/gptq-matmul-tiles';
import { nodeGpu } from '../src/gpu/node-gpu';
import { LlamaGpu } from '../src/model/llama-gpu';
import { makeSyntheticWeights, syntheticConfig } from '../src/model/synthetic';
import { gptqLayersOf } from '../src/model/tune-weights';
import { median, round } from './bench-stats';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : dflt);
const model = opt('model', 'synthetic:tinyllama-1.1b');
const promptTokens = Number(opt('prompt-tokens', '64'));
const rounds = Number(opt('rounds', '3'));

const ctx = await acquireGpu(nodeGpu(), { preferF16: !argv.includes('--f32') });
const cfg = syntheticConfig(model.replace(/^synthetic:/, ''));
const weights = makeSyntheticWeights(ctx, cfg);
const maxSeq = Math.min(cfg.maxPositionEmbeddings, promptTokens + 8);
const maxBatch = Math.min(64, maxSeq);
const vsTile = argv.includes('--vs-tile') ? parseTileName(opt('vs-tile', '')) : null;
if (argv.includes('--vs-tile') && !vsTile) throw new Error(`--vs-tile: no tile named "${opt('vs-tile', '')}"`);
const t0 = performance.now();
const choices = vsTile ? null : await autotuneLinear(ctx, gptqLayersOf(weights), {
  cache: fileTuneCache(argv.includes('--tune-cache') ? opt('tune-cache', '') : undefined),
  budgetMs: Number(opt('tune-budget-ms', '4000')), maxM: maxBatch, dense: [],
  variants: [ROWS_PER_THREAD], // only the matmul tiles matter here
});
const tuneMs = performance.now() - t0;
const plain = LlamaGpu.create(ctx, cfg, weights, { maxSeq, maxBatch });
const tuned = LlamaGpu.create(ctx, cfg, weights, { maxSeq, maxBatch, matmulTile: (w) => (vsTile ?? choices!.tileFor(w)) });
const sampler = { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, seed: 1 };
const prompt = Array.from({ length: promptTokens }, (_, i) => (i * 7919 + 3) % cfg.vocabSize);

async function timed(llama: LlamaGpu): Promise<{ tokS: number; id: number }> {
  const t = performance.now();
  const id = await llama.prefill(prompt, sampler);
  return { tokS: promptTokens / ((performance.now() - t) / 1000), id };
}

await timed(plain); // warm-up: pipeline compilation
await timed(tuned);
const a: number[] = [], b: number[] = [];
for (let r = 0; r < rounds; r++) {
  const x = await timed(plain);
  const y = await timed(tuned);
  if (x.id !== y.id) throw new Error(`round ${r}: default and tuned prefill sampled different tokens (${x.id} vs ${y.id})`);
  a.push(x.tokS);
  b.push(y.tokS);
  process.stderr.write(`round ${r + 1}: default ${x.tokS.toFixed(2)} tok/s, ${vsTile ? vsTile.name : 'tuned'} ${y.tokS.toFixed(2)} tok/s\n`);
}
process.stdout.write(
  JSON.stringify({
    adapter: ctx.adapterName,
    model,
    f16: ctx.f16,
    prompt_tokens: promptTokens,
    max_batch: maxBatch,
    tune_ms: round(tuneMs, 0),
    ...(vsTile ? { vs_tile: vsTile.name } : {}),
    tiles: (choices?.report?.decisions ?? []).filter((d) => d.kernel === 'gptq-matmul').map((d) => ({
      shape: d.shape, tile: d.variant, from_cache: d.fromCache, complete: d.complete,
      ...(d.candidates ? { candidates: d.candidates.map((c) => ({ tile: c.variant, ms: c.ms === null ? null : round(c.ms, 1), ...(c.note ? { note: c.note } : {}) })) } : {}),
    })),
    default_prefill_tok_s: a.map((x) => round(x)),
    tuned_prefill_tok_s: b.map((x) => round(x)),
    median_ratio: round(median(b) / median(a), 3),
    per_round_ratios: b.map((y, i) => round(y / a[i], 3)),
    median_per_round_ratio: round(median(b.map((y, i) => y / a[i])), 3),
  }) + '\n',
);
plain.destroy();
tuned.destroy();
weights.destroy();
