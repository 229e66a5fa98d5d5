// Quantizes every decoder linear of an fp32 Llama to 4-bit, either by round-to-nearest or by GPTQ with
// calibration activations collected layer by layer and "true sequential" within a layer (as AutoGPTQ):
// q/k/v from the attention input, o from the attention output computed with quantized q/k/v, gate/up from
// the MLP input, down from silu(gate)·up with quantized gate/up; the next layer sees this layer's quantized
// output.
import type { LlamaConfig } from '../config';
import { LINEAR_NAMES, type LinearKey } from '../checkpoint';
import { attend, KvCache, linear, rmsnorm, silu, type LinearF32, type LlamaWeightsF32 } from '../reference';
import { applyRope, ropeAttentionFactor, ropeInvFreq } from '../rope';
import { dequantizeQuantized, HessianAccumulator, quantizeGptq, quantizeRtn, type QuantizedLinear, type QuantSettings } from './gptq';

export type QuantizedLayer = Record<LinearKey, QuantizedLinear>;

export interface QuantizeModelOptions extends QuantSettings {
  method: 'rtn' | 'gptq';
  /** Token sequences for GPTQ calibration (each starts at position 0). */
  calibration?: number[][];
  onProgress?: (layer: number, of: number) => void;
}

/** y [T, N] = x [T, K] · Wᵀ for every row. */
function linearRows(x: Float32Array, T: number, l: LinearF32): Float32Array {
  const out = new Float32Array(T * l.N);
  for (let t = 0; t < T; t++) linear(out.subarray(t * l.N, (t + 1) * l.N), x.subarray(t * l.K, (t + 1) * l.K), l);
  return out;
}

function normRows(x: Float32Array, T: number, w: Float32Array, eps: number): Float32Array {
  const D = w.length;
  const out = new Float32Array(T * D);
  for (let t = 0; t < T; t++) rmsnorm(out.subarray(t * D, (t + 1) * D), x.subarray(t * D, (t + 1) * D), w, eps);
  return out;
}

/** Causal attention output [T, heads*headDim] of one sequence given its q/k/v rows (RoPE applied here). */
function attentionRows(q: Float32Array, k: Float32Array, v: Float32Array, T: number, cfg: LlamaConfig, invFreq: Float32Array): Float32Array {
  const qDim = cfg.numHeads * cfg.headDim;
  const kvDim = cfg.numKvHeads * cfg.headDim;
  const cache = new KvCache(1, kvDim);
  cache.ensure(T);
  const out = new Float32Array(T * qDim);
  for (let t = 0; t < T; t++) {
    const qt = q.slice(t * qDim, (t + 1) * qDim);
    const kt = k.slice(t * kvDim, (t + 1) * kvDim);
    applyRope(qt, cfg.numHeads, cfg.headDim, t, invFreq, ropeAttentionFactor(cfg));
    applyRope(kt, cfg.numKvHeads, cfg.headDim, t, invFreq, ropeAttentionFactor(cfg));
    cache.keys[0].set(kt, t * kvDim);
    cache.values[0].set(v.subarray(t * kvDim, (t + 1) * kvDim), t * kvDim);
    attend(out.subarray(t * qDim, (t + 1) * qDim), qt, cache.keys[0], cache.values[0], t, cfg);
  }
  return out;
}

function quantizeOne(l: LinearF32, s: QuantizeModelOptions, H: HessianAccumulator | null): { result: QuantizedLinear; dequant: LinearF32 } {
  const q = s.method === 'gptq' && H ? quantizeGptq(l.w, l.N, l.K, H.finish(), s) : quantizeRtn(l.w, l.N, l.K, s);
  const result: QuantizedLinear = l.bias ? { ...q, bias: l.bias } : q;
  return { result, dequant: { w: dequantizeQuantized(result), N: l.N, K: l.K, ...(l.bias ? { bias: l.bias } : {}) } };
}

/**
 * Quantizes all linears. `weights` is not modified; returns the quantized layers and a copy of the weights
 * with every linear replaced by its dequantized version (what a loader of the written checkpoint computes).
 */
export function quantizeModel(weights: LlamaWeightsF32, cfg: LlamaConfig, opts: QuantizeModelOptions): { layers: QuantizedLayer[]; dequantized: LlamaWeightsF32 } {
  const invFreq = ropeInvFreq(cfg);
  const D = cfg.hiddenSize;
  const seqs = opts.method === 'gptq' ? (opts.calibration ?? []) : [];
  if (opts.method === 'gptq' && seqs.length === 0) throw new Error('GPTQ needs calibration sequences');
  let hidden = seqs.map((seq) => {
    const x = new Float32Array(seq.length * D);
    seq.forEach((tok, t) => x.set(weights.embed.subarray(tok * D, (tok + 1) * D), t * D));
    return x;
  });
  const layersOut: QuantizedLayer[] = [];
  const dqLayers = weights.layers.map((lw) => ({ ...lw }));
  for (let li = 0; li < weights.layers.length; li++) {
    const lw = dqLayers[li];
    const res = {} as QuantizedLayer;
    const take = (key: LinearKey, H: HessianAccumulator | null) => {
      const { result, dequant } = quantizeOne(lw[key], opts, H);
      res[key] = result;
      lw[key] = dequant;
    };
    if (opts.method === 'rtn') {
      for (const [key] of LINEAR_NAMES) take(key, null);
    } else {
      // 1. q, k, v from the attention input.
      const n1 = hidden.map((x, s) => normRows(x, seqs[s].length, lw.attnNorm, cfg.rmsNormEps));
      const hAttn = new HessianAccumulator(D);
      n1.forEach((n, s) => hAttn.add(n, seqs[s].length));
      for (const key of ['q', 'k', 'v'] as const) take(key, hAttn);
      // 2. o from the attention output with quantized q/k/v.
      const att = n1.map((n, s) => {
        const T = seqs[s].length;
        return attentionRows(linearRows(n, T, lw.q), linearRows(n, T, lw.k), linearRows(n, T, lw.v), T, cfg, invFreq);
      });
      const hO = new HessianAccumulator(lw.o.K);
      att.forEach((a, s) => hO.add(a, seqs[s].length));
      take('o', hO);
      const h = hidden.map((x, s) => {
        const o = linearRows(att[s], seqs[s].length, lw.o);
        const r = new Float32Array(x.length);
        for (let i = 0; i < r.length; i++) r[i] = x[i] + o[i];
        return r;
      });
      // 3. gate, up from the MLP input.
      const n2 = h.map((x, s) => normRows(x, seqs[s].length, lw.mlpNorm, cfg.rmsNormEps));
      const hMlp = new HessianAccumulator(D);
      n2.forEach((n, s) => hMlp.add(n, seqs[s].length));
      take('gate', hMlp);
      take('up', hMlp);
      // 4. down from silu(gate)·up with quantized gate/up.
      const act = n2.map((n, s) => {
        const T = seqs[s].length;
        const g = linearRows(n, T, lw.gate);
        const u = linearRows(n, T, lw.up);
        for (let i = 0; i < g.length; i++) g[i] = silu(g[i]) * u[i];
        return g;
      });
      const hDown = new HessianAccumulator(lw.down.K);
      act.forEach((a, s) => hDown.add(a, seqs[s].length));
      take('down', hDown);
      // 5. This layer's quantized output feeds the next layer.
      hidden = h.map((x, s) => {
        const d = linearRows(act[s], seqs[s].length, lw.down);
        for (let i = 0; i < x.length; i++) x[i] += d[i];
        return x;
      });
    }
    layersOut.push(res);
    opts.onProgress?.(li + 1, weights.layers.length);
  }
  return { layers: layersOut, dequantized: { ...weights, layers: dqLayers } };
}
