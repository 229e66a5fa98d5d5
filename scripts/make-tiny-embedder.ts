// Writes a tiny but real transformers.js feature-extraction model folder, so the dense/hybrid retrieval
// path (src/retrieval/transformers-embedder.ts → transformers.js → onnxruntime) can run end to end on a
// machine that cannot download all-MiniLM-L6-v2:
//
//   <dir>/config.json              model_type "bert" (transformers.js' BertModel → last_hidden_state)
//   <dir>/tokenizer.json           a BERT WordPiece tokenizer (BertNormalizer, BertPreTokenizer, [CLS] … [SEP])
//   <dir>/tokenizer_config.json
//   <dir>/onnx/model_quantized.onnx  the file the embedder asks for (dtype 'q8'); an int8 table + DequantizeLinear
//
// THIS IS A TEST MODEL, NOT A SEMANTIC ONE. Its "meaning" is surface form only:
//   - The vocabulary is every 1-3 letter string a-z (word-initial and "##" continuation), every 1-3 digit
//     string, ASCII punctuation and the CJK Unified Ideographs, so greedy WordPiece cuts any lower-case word
//     into consecutive letter trigrams: "recording" → rec ##ord ##ing, "recorded" → rec ##ord ##ed.
//   - A piece's vector is the sum of pseudo-random ±1 vectors hashed from its features (the exact piece and
//     its bare letters, so "ing" and "##ing" are half alike), unit length; stop-word pieces are damped.
//   - The graph: Gather(int8 table, input_ids) → DequantizeLinear → + Gather(token type table) → MatMul
//     (a random orthogonal D×D matrix) → Tanh → × attention_mask → last_hidden_state [batch, seq, D].
// Mean pooling (done by transformers.js) therefore gives a hashed bag of letter trigrams: texts that share
// word stems land near each other, synonyms with no letters in common do not. Good enough to show that the
// dense list is real and ranks a re-worded passage above unrelated text; says nothing about MiniLM's quality.
//
// Usage:
//   node --import tsx scripts/make-tiny-embedder.ts --out DIR            one model folder
//   node --import tsx scripts/make-tiny-embedder.ts --cache DIR          DIR/<id>/… for both embedding model
//                                                                        ids of src/retrieval/embedder.ts
// (then `PDFCHAT_MODEL_CACHE=DIR npm run --silent cli -- ask …` runs hybrid, see docs/RETRIEVAL.md).
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BERT_SPECIAL_TOKENS, DataType, floatTensor, int64Tensor, int8Tensor, intAttr, node, onnxModel, valueInfo, writeBertModelFolder } from './onnx-model-writer';
import { seededRandom } from '../src/shared/random';

export const TINY_EMBEDDER_NAME = 'pdfchat-tiny-trigram-embedder';
/** Key in config.json that marks this test model (scripts/eval-retrieval.ts warns when it sees it). */
export const TEST_MODEL_MARKER = 'pdfchat_test_model';
/** Hidden size of the test model. */
export const TINY_EMBEDDER_DIM = 128;

// ---------------------------------------------------------------------------------------------------------
// Vocabulary and vectors.

const SPECIAL = BERT_SPECIAL_TOKENS;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const PUNCTUATION = [...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'];
const CJK_FIRST = 0x4e00;
const CJK_LAST = 0x9fff;

/** Pieces that are (or begin) very common words carry little meaning: their vectors are damped. */
const STOP_PIECES = new Set(
  ('a an and are as at be by can do for had has he her his how i if in is it its me my no not of on or our she so the '
    + 'to up was we who why you all any but did has may one our out own use').split(' '),
);

/** Every string of length 1..maxLen over `alphabet`. */
function strings(alphabet: string, maxLen: number): string[] {
  const out: string[] = [];
  let level = [''];
  for (let len = 1; len <= maxLen; len++) {
    level = level.flatMap((p) => [...alphabet].map((c) => p + c));
    out.push(...level);
  }
  return out;
}

export function tinyVocabulary(): string[] {
  const letters = strings(LETTERS, 3);
  const digits = strings(DIGITS, 3);
  const cjk: string[] = [];
  for (let cp = CJK_FIRST; cp <= CJK_LAST; cp++) cjk.push(String.fromCodePoint(cp));
  return [
    ...SPECIAL,
    ...PUNCTUATION,
    ...letters,
    ...letters.map((s) => '##' + s),
    ...digits,
    ...digits.map((s) => '##' + s),
    ...cjk,
  ];
}

/** FNV-1a, 32 bit. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Adds the ±1 vector hashed from `feature` (times `weight`) to `out`. */
function addHashed(out: Float32Array, feature: string, weight: number): void {
  const rnd = seededRandom(fnv1a(feature));
  for (let i = 0; i < out.length; i++) out[i] += rnd() < 0.5 ? -weight : weight;
}

/** The vector of one vocabulary entry, before quantisation: unit length × its weight (0 for padding). */
function pieceVector(token: string, dim: number): Float32Array {
  const v = new Float32Array(dim);
  let weight = 1;
  if (token === '[PAD]') return v;
  if (SPECIAL.includes(token as (typeof SPECIAL)[number])) {
    addHashed(v, `special:${token}`, 1);
    weight = token === '[UNK]' ? 0.3 : 0.1;
  } else if (PUNCTUATION.includes(token)) {
    addHashed(v, `punct:${token}`, 1);
    weight = 0.1;
  } else {
    const bare = token.startsWith('##') ? token.slice(2) : token;
    addHashed(v, `piece:${token}`, 1); // position-aware: "ing" ≠ "##ing" …
    addHashed(v, `letters:${bare}`, 1); // … but they share their letters
    if (!token.startsWith('##') && STOP_PIECES.has(bare)) weight = 0.25;
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  const s = weight / Math.sqrt(norm);
  for (let i = 0; i < dim; i++) v[i] *= s;
  return v;
}

/** A random orthogonal matrix (Gram-Schmidt on seeded Gaussian columns), row-major [dim, dim]. */
function orthogonal(dim: number, seed: number): Float32Array {
  const rnd = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const cols: Float64Array[] = [];
  for (let c = 0; c < dim; c++) {
    const v = Float64Array.from({ length: dim }, gauss);
    for (const u of cols) {
      let d = 0;
      for (let i = 0; i < dim; i++) d += u[i] * v[i];
      for (let i = 0; i < dim; i++) v[i] -= d * u[i];
    }
    let n = 0;
    for (const x of v) n += x * x;
    n = Math.sqrt(n);
    for (let i = 0; i < dim; i++) v[i] /= n;
    cols.push(v);
  }
  const m = new Float32Array(dim * dim);
  for (let r = 0; r < dim; r++) for (let c = 0; c < dim; c++) m[r * dim + c] = cols[c][r];
  return m;
}

// ---------------------------------------------------------------------------------------------------------
// The ONNX graph.

export interface TinyEmbedderInfo {
  dir: string;
  vocabSize: number;
  dim: number;
  files: string[];
}

/**
 * Gain before Tanh: a piece vector has unit length, so its entries are about 1/sqrt(D); × GAIN keeps Tanh
 * in its near-linear range (|x| ≲ 0.3) while still bending large values.
 */
const GAIN = 2;

function onnxGraph(vocab: string[], dim: number): Uint8Array {
  // word_table: [V, D] int8, dequantised with one scale (zero point 0).
  const table = new Float32Array(vocab.length * dim);
  vocab.forEach((t, i) => table.set(pieceVector(t, dim), i * dim));
  let maxAbs = 0;
  for (const x of table) maxAbs = Math.max(maxAbs, Math.abs(x));
  const scale = maxAbs / 127;
  const q = new Int8Array(table.length);
  for (let i = 0; i < table.length; i++) q[i] = Math.round(table[i] / scale);

  // token_type_table: [2, D] float, small (BERT adds a segment embedding; single sentences use row 0).
  const types = new Float32Array(2 * dim);
  for (let r = 0; r < 2; r++) {
    const v = new Float32Array(dim);
    addHashed(v, `token_type:${r}`, 0.02 / Math.sqrt(dim));
    types.set(v, r * dim);
  }
  // projection: [D, D] float = GAIN × orthogonal.
  const proj = orthogonal(dim, 20240601).map((x) => x * GAIN);

  const nodes = [
    node('Gather', ['word_table_int8', 'input_ids'], ['word_int8']), //              [b, s, D] int8
    node('DequantizeLinear', ['word_int8', 'word_scale', 'word_zero_point'], ['word_vec']), // [b, s, D] f32
    node('Gather', ['token_type_table', 'token_type_ids'], ['type_vec']), //          [b, s, D]
    node('Add', ['word_vec', 'type_vec'], ['embeddings']), //                           [b, s, D]
    node('MatMul', ['embeddings', 'projection'], ['projected']), //                    [b, s, D]
    node('Tanh', ['projected'], ['activated']), //                                     [b, s, D]
    node('Cast', ['attention_mask'], ['mask_f32'], [intAttr('to', DataType.FLOAT)]), // [b, s]
    node('Unsqueeze', ['mask_f32', 'last_axis'], ['mask_3d']), //                      [b, s, 1]
    node('Mul', ['activated', 'mask_3d'], ['last_hidden_state']), //                    [b, s, D]
  ];
  const initializers = [
    int8Tensor('word_table_int8', [vocab.length, dim], q),
    floatTensor('word_scale', [], Float32Array.of(scale)),
    int8Tensor('word_zero_point', [], Int8Array.of(0)),
    floatTensor('token_type_table', [2, dim], types),
    floatTensor('projection', [dim, dim], proj),
    int64Tensor('last_axis', [1], BigInt64Array.of(2n)),
  ];
  return onnxModel({
    name: TINY_EMBEDDER_NAME,
    nodes,
    initializers,
    inputs: ['input_ids', 'attention_mask', 'token_type_ids'].map((name) => valueInfo(name, DataType.INT64, ['batch_size', 'sequence_length'])),
    outputs: [valueInfo('last_hidden_state', DataType.FLOAT, ['batch_size', 'sequence_length', dim])],
    opset: 14,
  });
}

/** Writes the model folder `dir` (created if needed). Deterministic: the same bytes every time. */
export function writeTinyEmbedder(dir: string, dim = TINY_EMBEDDER_DIM): TinyEmbedderInfo {
  const vocab = tinyVocabulary();
  const files = writeBertModelFolder(dir, {
    vocab,
    hiddenSize: dim,
    onnx: onnxGraph(vocab, dim),
    config: {
      [TEST_MODEL_MARKER]: `${TINY_EMBEDDER_NAME}: hashed letter trigrams written by scripts/make-tiny-embedder.ts; a pipeline check, not a semantic model`,
      intermediate_size: dim,
      type_vocab_size: 2,
    },
  });
  return { dir, vocabSize: vocab.length, dim, files };
}

/** Writes the model once and copies it under `cacheDir/<id>/` for each model id (the Node model cache layout). */
export function installTinyEmbedder(cacheDir: string, modelIds: readonly string[]): TinyEmbedderInfo {
  const [first, ...rest] = modelIds;
  const info = writeTinyEmbedder(join(cacheDir, first));
  for (const id of rest) cpSync(join(cacheDir, first), join(cacheDir, id), { recursive: true });
  return info;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (n: string) => {
    const i = argv.indexOf(`--${n}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const out = arg('out');
  const cache = arg('cache');
  if (!out === !cache) {
    process.stderr.write('usage: node --import tsx scripts/make-tiny-embedder.ts (--out DIR | --cache DIR)\n');
    process.exit(2);
  }
  const t0 = performance.now();
  let info: TinyEmbedderInfo;
  if (cache) {
    const { EMBEDDING_MODELS } = await import('../src/retrieval/embedder');
    info = installTinyEmbedder(cache, EMBEDDING_MODELS);
    process.stdout.write(`installed the tiny TEST embedder as ${EMBEDDING_MODELS.join(' and ')} under ${cache}\n`);
  } else {
    info = writeTinyEmbedder(out!);
    process.stdout.write(`wrote the tiny TEST embedder to ${out}\n`);
  }
  process.stdout.write(
    `vocabulary ${info.vocabSize}, dim ${info.dim}, ${((performance.now() - t0) / 1000).toFixed(1)} s. ` +
      'Hashed letter trigrams: a pipeline check, not a semantic model.\n',
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    process.stderr.write(`make-tiny-embedder failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
