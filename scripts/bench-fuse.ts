// Fused vs unfused forward, interleaved in one run on the same random weights (`bash scripts/with-gpu-env.sh node
// --import ./scripts/node20-polyfills.mjs --import tsx --import ./scripts/raw-loader.mjs scripts/bench-fuse.ts
// [--model synthetic:NAME] [--layers N] [--vocab N] [--prompt-tokens N] [--gen-tokens N] [--rounds N] [--f32]`;
// --layers / --vocab shrink the shape's depth and vocabulary, for more rounds in the same time):
//   unfused: LlamaGpu fuse: false on weights loaded with fuse: false (one kernel per op: 23 dispatches per layer);
//   fused:   the default (stacked q/k/v and gate/up, folded norms and SwiGLU, RoPE + KV store: 11 per layer).
// Both decode pipelined (two steps in flight, as the engine does) with rows-per-thread matvecs (no tuning, so the
// only difference is the fusion). Rounds alternate A, B, A, B so drift cancels; prints per-round decode and
// prefill tok/s, the medians' ratios, the dispatches per token, and checks both decode the same greedy tokens.
import { acquireGpu } from '../src/gpu/context';
import { nodeGpu } from '../src/gpu/node-gpu';
import { LlamaGpu } from '../src/model/llama-gpu';
import { makeSyntheticWeights, syntheticConfig } from '../src/model/synthetic';
import { median, round } from './bench-stats';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : dflt);
const model = opt('model', 'synthetic:tinyllama-1.1b');
const promptTokens = Number(opt('prompt-tokens', '16'));
const genTokens = Number(opt('gen-tokens', '16'));
const rounds = Number(opt('rounds', '4'));

const ctx = await acquireGpu(nodeGpu(), { preferF16: !argv.includes('--f32') });
const base = syntheticConfig(model.replace(/^synthetic:/, ''));
const cfg = { ...base, numLayers: Number(opt('layers', String(base.numLayers))), vocabSize: Number(opt('vocab', String(base.vocabSize))) };
const maxSeq = Math.min(cfg.maxPositionEmbeddings, promptTokens + genTokens + 8);
const engines = {
  unfused: (() => { const w = makeSyntheticWeights(ctx, cfg, 1, undefined, { fuse: false }); return { w, llama: LlamaGpu.create(ctx, cfg, w, { maxSeq, fuse: false }) }; })(),
  fused: (() => { const w = makeSyntheticWeights(ctx, cfg, 1); return { w, llama: LlamaGpu.create(ctx, cfg, w, { maxSeq }) }; })(),
};
const sampler = { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, seed: 1 };
const prompt = Array.from({ length: promptTokens }, (_, i) => (i * 7919 + 3) % cfg.vocabSize);

async function timed(kind: keyof typeof engines): Promise<{ decode: number; prefill: number; ids: number[] }> {
  const { llama } = engines[kind];
  const t0 = performance.now();
  const first = await llama.prefill(prompt, sampler);
  const t1 = performance.now();
  const steps: Promise<number>[] = [];
  for (let i = 0; i < genTokens; i++) {
    steps.push(llama.decodeNext(promptTokens + i, sampler, i + 1));
    if (i >= 2) await steps[i - 2];
  }
  const ids = [first, ...(await Promise.all(steps))];
  const t2 = performance.now();
  return { decode: genTokens / ((t2 - t1) / 1000), prefill: promptTokens / ((t1 - t0) / 1000), ids };
}

await timed('unfused'); // warm-up: pipeline compilation
await timed('fused');
const res = { unfused: { decode: [] as number[], prefill: [] as number[] }, fused: { decode: [] as number[], prefill: [] as number[] } };
for (let r = 0; r < rounds; r++) {
  const a = await timed('unfused');
  const b = await timed('fused');
  if (a.ids.join() !== b.ids.join()) throw new Error(`round ${r + 1}: fused and unfused decoded different tokens (${a.ids} vs ${b.ids})`);
  res.unfused.decode.push(a.decode); res.unfused.prefill.push(a.prefill);
  res.fused.decode.push(b.decode); res.fused.prefill.push(b.prefill);
  process.stderr.write(`round ${r + 1}: decode unfused ${a.decode.toFixed(2)} / fused ${b.decode.toFixed(2)} tok/s, prefill ${a.prefill.toFixed(1)} / ${b.prefill.toFixed(1)} tok/s\n`);
}
process.stdout.write(JSON.stringify({
  adapter: ctx.adapterName, model, layers: cfg.numLayers, vocab: cfg.vocabSize, f16: ctx.f16, prompt_tokens: promptTokens, gen_tokens: genTokens, rounds,
  dispatches_per_token: { unfused: engines.unfused.llama.dispatchesPerToken(), fused: engines.fused.llama.dispatchesPerToken() },
  decode_tok_s: { unfused: res.unfused.decode.map((x) => round(x)), fused: res.fused.decode.map((x) => round(x)) },
  prefill_tok_s: { unfused: res.unfused.prefill.map((x) => round(x)), fused: res.fused.prefill.map((x) => round(x)) },
  decode_median_ratio: round(median(res.fused.decode) / median(res.unfused.decode), 3),
  prefill_median_ratio: round(median(res.fused.prefill) / median(res.unfused.prefill), 3),
}) + '\n');
for (const e of Object.values(engines)) { e.llama.destroy(); e.w.destroy(); }
ctx.device.destroy();
