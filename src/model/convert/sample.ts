// Text sampled from a model itself (seeded), used as GPTQ calibration data and as held-out evaluation text,
// and perplexity of a model on token sequences.
import { seededRandom } from '../../shared/random';
import { ReferenceLlama } from '../reference';

function sampleFrom(logits: Float32Array, temperature: number, rand: () => number): number {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  const p = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += p[i] = Math.exp((logits[i] - max) / temperature);
  let r = rand() * sum;
  for (let i = 0; i < p.length; i++) {
    r -= p[i];
    if (r <= 0) return i;
  }
  return p.length - 1;
}

/**
 * `count` sequences of `length` tokens, each BOS followed by tokens sampled at `temperature` from the model
 * (stories continue past an end-of-text token, as a new story would).
 */
export function sampleSequences(model: ReferenceLlama, opts: { count: number; length: number; seed: number; temperature?: number }): number[][] {
  const rand = seededRandom(opts.seed);
  const out: number[][] = [];
  for (let s = 0; s < opts.count; s++) {
    model.reset();
    const seq = [model.config.bosTokenId];
    while (seq.length < opts.length) {
      const logits = model.forward(seq[seq.length - 1], seq.length - 1);
      seq.push(sampleFrom(logits, opts.temperature ?? 1, rand));
    }
    out.push(seq);
  }
  model.reset();
  return out;
}

/** exp(mean negative log-likelihood) of every next token in the sequences. */
export function perplexity(model: ReferenceLlama, sequences: number[][]): number {
  let nll = 0;
  let n = 0;
  for (const seq of sequences) {
    const logits = model.logitsFor(seq.slice(0, -1));
    for (let t = 0; t < logits.length; t++) {
      const l = logits[t];
      let max = -Infinity;
      for (const v of l) if (v > max) max = v;
      let sum = 0;
      for (const v of l) sum += Math.exp(v - max);
      nll += max + Math.log(sum) - l[seq[t + 1]];
      n++;
    }
  }
  return Math.exp(nll / n);
}
