// Writes a complete Hugging Face model directory with random weights (any shape, GQA, tied or untied,
// llama3 rope scaling, sharding, f32/f16/bf16, or 4-bit GPTQ v1/v2 with act-order), for engine tests.
// Usage as a script:
//   node --import tsx scripts/make-random-llama.ts OUT_DIR '{"hidden":64,"intermediate":176,"layers":2,"heads":4,
//     "kvHeads":2,"vocab":512,"tied":false,"seed":1,"quant":{"groupSize":32,"actOrder":true,"format":"v1","sym":false}}'
import { fileURLToPath } from 'node:url';
import { packGptq } from '../src/model/gptq-pack';
import { quantizeRtn, type QuantSettings } from '../src/model/convert/gptq';
import { buildHfModelFiles, type FloatDtype } from '../src/model/convert/hf-writer';
import type { QuantizedLayer } from '../src/model/convert/quantize-model';
import { seededRandom } from '../src/shared/random';
import { buildSpmTokenizer, SPACE, SpmTokenType, type SpmVocab } from '../src/model/convert/spm-vocab';
import { writeModelDir } from '../src/model/convert/write-dir';
import { LINEAR_NAMES } from '../src/model/checkpoint';
import type { LayerWeightsF32, LinearF32, LlamaWeightsF32 } from '../src/model/reference';

export interface RandomLlamaOptions {
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim?: number;
  vocab: number;
  tied: boolean;
  ropeScaling?: 'llama3';
  shards?: number;
  quant?: { groupSize: number; actOrder: boolean; format: 'v1' | 'v2'; sym: boolean };
  seed: number;
  dtype?: FloatDtype;
  /** Where the GPTQ settings are written (default: both config.json and quantize_config.json). */
  quantConfigIn?: 'config' | 'quantize_config' | 'both';
  maxPositionEmbeddings?: number;
  /** Give every linear a bias (HF attention_bias / mlp_bias; GPTQ layers store it as F16 .bias). */
  bias?: boolean;
}

/** A small SentencePiece-style vocabulary of exactly `size` pieces: specials, ▁ + printable ASCII, bytes, bigrams. */
export function syntheticVocab(size: number): SpmVocab {
  const pieces = ['<unk>', '<s>', '</s>'];
  const types: SpmTokenType[] = [SpmTokenType.Unknown, SpmTokenType.Control, SpmTokenType.Control];
  const seen = new Set(pieces);
  const add = (p: string, t: SpmTokenType) => {
    if (pieces.length < size && !seen.has(p)) pieces.push(p), types.push(t), seen.add(p);
  };
  add(SPACE, SpmTokenType.Normal);
  for (let c = 33; c < 127; c++) add(String.fromCharCode(c), SpmTokenType.Normal);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, SpmTokenType.Byte);
  const letters = 'etaoinshrdlucmfwypvbgk';
  outer: for (const a of [SPACE, ...letters]) {
    for (const b of letters) {
      if (pieces.length >= size) break outer;
      add(a + b, SpmTokenType.Normal);
    }
  }
  for (let i = 0; pieces.length < size; i++) add(`${SPACE}w${i}`, SpmTokenType.Normal);
  let score = 0;
  const scores = types.map((t) => (t === SpmTokenType.Normal ? score-- : 0));
  return { pieces, scores, types, unkId: 0, bosId: 1, eosId: 2 };
}

export function makeRandomLlamaFiles(o: RandomLlamaOptions): Map<string, Uint8Array> {
  const rand = seededRandom(o.seed);
  const headDim = o.headDim ?? o.hidden / o.heads;
  const uniform = (n: number, a: number) => {
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = (rand() * 2 - 1) * a;
    return x;
  };
  // Weights with std 1/sqrt(K) keep activations O(1) through the layers.
  // Biases come from their own stream so the weights are the same with and without them.
  const biasRand = seededRandom(o.seed ^ 0x5bd1e995);
  const bias = (n: number) => Float32Array.from({ length: n }, () => (biasRand() * 2 - 1) * 0.5);
  const lin = (N: number, K: number): LinearF32 => ({ w: uniform(N * K, Math.sqrt(3 / K)), N, K, ...(o.bias ? { bias: bias(N) } : {}) });
  const norm = (n: number) => {
    const x = uniform(n, 0.2);
    for (let i = 0; i < n; i++) x[i] += 1;
    return x;
  };
  const qDim = o.heads * headDim;
  const kvDim = o.kvHeads * headDim;
  const layers: LayerWeightsF32[] = [];
  for (let l = 0; l < o.layers; l++) {
    layers.push({
      attnNorm: norm(o.hidden),
      q: lin(qDim, o.hidden),
      k: lin(kvDim, o.hidden),
      v: lin(kvDim, o.hidden),
      o: lin(o.hidden, qDim),
      mlpNorm: norm(o.hidden),
      gate: lin(o.intermediate, o.hidden),
      up: lin(o.intermediate, o.hidden),
      down: lin(o.hidden, o.intermediate),
    });
  }
  const embed = uniform(o.vocab * o.hidden, 1);
  const weights: LlamaWeightsF32 = { embed, layers, finalNorm: norm(o.hidden), lmHead: o.tied ? embed : uniform(o.vocab * o.hidden, Math.sqrt(3 / o.hidden)) };

  let quantized: { layers: QuantizedLayer[]; settings: QuantSettings } | undefined;
  if (o.quant) {
    const settings: QuantSettings = { groupSize: o.quant.groupSize, sym: o.quant.sym, actOrder: o.quant.actOrder, format: o.quant.format };
    const qLayers = layers.map((lw) => {
      const res = {} as QuantizedLayer;
      for (const [key] of LINEAR_NAMES) {
        const l = lw[key];
        // act-order: groups follow a random column order, so g_idx is non-monotonic as in real act-order files.
        let order: number[] | undefined;
        if (o.quant!.actOrder) {
          order = Array.from({ length: l.K }, (_, k) => k);
          for (let i = order.length - 1; i > 0; i--) {
            const j = Math.floor(rand() * (i + 1));
            [order[i], order[j]] = [order[j], order[i]];
          }
        }
        res[key] = { ...quantizeRtn(l.w, l.N, l.K, settings, order), ...(l.bias ? { bias: l.bias } : {}) };
        packGptq(res[key]); // fail early on shapes the format cannot hold
      }
      return res;
    });
    quantized = { layers: qLayers, settings };
  }
  const vocab = syntheticVocab(o.vocab);
  const maxPos = o.maxPositionEmbeddings ?? 2048;
  const { tokenizerJson, tokenizerConfigJson } = buildSpmTokenizer(vocab, { addBos: true, modelMaxLength: maxPos });
  return buildHfModelFiles({
    weights,
    quantized,
    hiddenSize: o.hidden,
    intermediateSize: o.intermediate,
    numLayers: o.layers,
    numHeads: o.heads,
    numKvHeads: o.kvHeads,
    headDim,
    vocabSize: o.vocab,
    maxPositionEmbeddings: maxPos,
    rmsNormEps: 1e-5,
    ropeTheta: o.ropeScaling === 'llama3' ? 500000 : 10000,
    ropeScaling: o.ropeScaling === 'llama3' ? { factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } : null,
    tieWordEmbeddings: o.tied,
    bosTokenId: vocab.bosId,
    eosTokenIds: [vocab.eosId],
    dtype: o.dtype ?? 'f32',
    shards: o.shards ?? 1,
    tokenizerJson,
    tokenizerConfigJson,
    quantConfigIn: o.quantConfigIn,
  });
}

/** Writes the random model into `dir` (created if needed). */
export async function makeRandomLlama(dir: string, o: RandomLlamaOptions): Promise<void> {
  await writeModelDir(dir, makeRandomLlamaFiles(o));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [dir, json] = process.argv.slice(2);
  if (!dir) {
    process.stderr.write('usage: node --import tsx scripts/make-random-llama.ts OUT_DIR [JSON options]\n');
    process.exit(2);
  }
  const defaults: RandomLlamaOptions = { hidden: 64, intermediate: 176, layers: 2, heads: 4, kvHeads: 2, vocab: 512, tied: false, seed: 1 };
  await makeRandomLlama(dir, { ...defaults, ...(json ? JSON.parse(json) : {}) });
  process.stdout.write(JSON.stringify({ out: dir }) + '\n');
}
