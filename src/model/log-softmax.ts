// log p = logit − logsumexp(logits), in f64 (the engines' logits are f32): how next-token log-probabilities are
// compared with llama.cpp's (`bench --peer`, the agreement tests).
export function logSoftmax(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(logits, (v) => v - lse);
}
