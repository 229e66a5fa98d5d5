// Pipelined vs lock-step decode, interleaved in one run on one model (`npm run bench:pipeline [-- --model
// synthetic:NAME] [--prompt-tokens N] [--gen-tokens N] [--rounds N] [--depth D] [--f32]`):
//   lock-step: each step waits for the previous sampled id on the CPU and writes it back (the loop before
//              pipelining: ids, history and step uniform written, one submit, one map per token);
//   pipelined: the sampled id stays on the GPU and feeds the next step (step uniform written, one submit per
//              token); read-backs trail D steps behind, as in LlamaEngine (pipelineDepth).
// Rounds alternate A, B, A, B so drift cancels; prints per-round tok/s, the medians and the ratio, and what each
// token costs in GPU calls (dispatches, submits, queue writes, maps), counted by wrapping the WebGPU methods.
import { acquireGpu } from '../src/gpu/context';
import { nodeGpu } from '../src/gpu/node-gpu';
import { LlamaGpu } from '../src/model/llama-gpu';
import { makeSyntheticWeights, syntheticConfig } from '../src/model/synthetic';
import { median, round } from './bench-stats';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : dflt);
const model = opt('model', 'synthetic:tinyllama-1.1b');
const promptTokens = Number(opt('prompt-tokens', '64'));
const genTokens = Number(opt('gen-tokens', '16'));
const rounds = Number(opt('rounds', '4'));
const depth = Number(opt('depth', '2'));

const ctx = await acquireGpu(nodeGpu(), { preferF16: !argv.includes('--f32') });
const cfg = syntheticConfig(model.replace(/^synthetic:/, ''));
const weights = makeSyntheticWeights(ctx, cfg);
const llama = LlamaGpu.create(ctx, cfg, weights, { maxSeq: Math.min(cfg.maxPositionEmbeddings, promptTokens + genTokens + 8) });
const sampler = { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, seed: 1 };
const prompt = Array.from({ length: promptTokens }, (_, i) => (i * 7919 + 3) % cfg.vocabSize);

// GPU call counters (wrapping the prototypes' methods; the forward code is unchanged).
const calls = { dispatch: 0, submit: 0, write: 0, map: 0 };
{
  const enc = ctx.device.createCommandEncoder();
  const pass = enc.beginComputePass();
  const passProto = Object.getPrototypeOf(pass);
  pass.end();
  enc.finish();
  const wrap = (proto: Record<string, unknown>, name: string, key: keyof typeof calls) => {
    const f = proto[name] as (...a: unknown[]) => unknown;
    proto[name] = function (this: unknown, ...a: unknown[]) {
      calls[key]++;
      return f.apply(this, a);
    };
  };
  wrap(passProto, 'dispatchWorkgroups', 'dispatch');
  wrap(Object.getPrototypeOf(ctx.device.queue), 'submit', 'submit');
  wrap(Object.getPrototypeOf(ctx.device.queue), 'writeBuffer', 'write');
  const probe = ctx.device.createBuffer({ size: 16, usage: 0x01 | 0x08 });
  wrap(Object.getPrototypeOf(probe), 'mapAsync', 'map');
  probe.destroy();
}

async function lockStep(first: number): Promise<number> {
  let tok = first;
  let pos = promptTokens;
  for (let i = 0; i < genTokens; i++) tok = await llama.decode(tok, pos++, sampler, i + 1);
  return tok;
}

async function pipelined(): Promise<number> {
  const steps: Promise<number>[] = [];
  let pos = promptTokens;
  for (let i = 0; i < genTokens; i++) {
    steps.push(llama.decodeNext(pos++, sampler, i + 1));
    if (i >= depth) await steps[i - depth]; // the reader trails `depth` steps behind the GPU
  }
  const ids = await Promise.all(steps);
  return ids[ids.length - 1];
}

async function timed(kind: 'lock-step' | 'pipelined'): Promise<{ tokS: number; ids: number; per: typeof calls }> {
  const first = await llama.prefill(prompt, sampler);
  for (const k of Object.keys(calls) as (keyof typeof calls)[]) calls[k] = 0;
  const t0 = performance.now();
  const last = kind === 'lock-step' ? await lockStep(first) : await pipelined();
  const ms = performance.now() - t0;
  const per = { ...calls };
  for (const k of Object.keys(per) as (keyof typeof calls)[]) per[k] = per[k] / genTokens;
  return { tokS: genTokens / (ms / 1000), ids: last, per };
}

await timed('lock-step'); // warm-up: pipeline compilation
await timed('pipelined');
const a: number[] = [], b: number[] = [];
let perA = calls, perB = calls;
for (let r = 0; r < rounds; r++) {
  const x = await timed('lock-step');
  const y = await timed('pipelined');
  if (x.ids !== y.ids) throw new Error(`round ${r}: lock-step and pipelined decode ended on different tokens (${x.ids} vs ${y.ids})`);
  a.push(x.tokS);
  b.push(y.tokS);
  perA = x.per;
  perB = y.per;
  process.stderr.write(`round ${r + 1}: lock-step ${x.tokS.toFixed(2)} tok/s, pipelined ${y.tokS.toFixed(2)} tok/s\n`);
}
process.stdout.write(
  JSON.stringify({
    adapter: ctx.adapterName,
    model,
    f16: ctx.f16,
    gen_tokens: genTokens,
    depth,
    lockstep_decode_tok_s: a.map((x) => round(x)),
    pipelined_decode_tok_s: b.map((x) => round(x)),
    median_ratio: round(median(b) / median(a), 3),
    per_token_lockstep: perA,
    per_token_pipelined: perB,
  }) + '\n',
);
llama.destroy();
weights.destroy();
