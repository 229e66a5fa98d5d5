// The pieces shared by the hand-written test embedding models (scripts/make-tiny-embedder.ts,
// e2e/app-embedding-model.ts): a protobuf encoder for just what ONNX needs, the ONNX messages, and a writer
// for a Hugging Face / transformers.js BERT-style model folder:
//
//   <dir>/config.json              model_type "bert" (transformers.js' BertModel → last_hidden_state)
//   <dir>/tokenizer.json           a BERT WordPiece tokenizer (BertNormalizer, BertPreTokenizer, [CLS] … [SEP])
//   <dir>/tokenizer_config.json
//   <dir>/onnx/<file>.onnx         the graph
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// ---------------------------------------------------------------------------------------------------------
// Protobuf wire format (just what ONNX needs): varints (wire type 0), length-delimited fields (wire type 2).
// Bytes are collected as arrays of chunks and joined once, so a large table is copied only twice.

export type Bytes = Uint8Array[];

function varint(value: number | bigint): Uint8Array {
  let v = BigInt(value);
  if (v < 0n) v += 1n << 64n; // negative int64: two's complement, 10 bytes
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Uint8Array.from(out);
}

const tag = (field: number, wireType: 0 | 2) => varint((field << 3) | wireType);
const size = (msg: Bytes) => msg.reduce((n, c) => n + c.length, 0);
const intField = (field: number, v: number | bigint): Bytes => [tag(field, 0), varint(v)];
const msgField = (field: number, msg: Bytes): Bytes => [tag(field, 2), varint(size(msg)), ...msg];
const bytesField = (field: number, b: Uint8Array): Bytes => [tag(field, 2), varint(b.length), b];
const strField = (field: number, s: string): Bytes => bytesField(field, new TextEncoder().encode(s));
/** `repeated int64` written packed (proto3 default). */
const packedInts = (field: number, vs: number[]): Bytes => bytesField(field, concat(vs.map((v) => varint(v))));

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// ONNX messages (field numbers from onnx/onnx.proto3).

export const DataType = { FLOAT: 1, INT8: 3, INT64: 7 } as const;
const AttrType = { INT: 2 } as const;

/** TensorProto: dims=1, data_type=2, name=8, raw_data=9 (little-endian). */
function tensor(name: string, dataType: number, dims: number[], raw: Uint8Array): Bytes {
  return [...packedInts(1, dims), ...intField(2, dataType), ...strField(8, name), ...bytesField(9, raw)];
}
const raw = (data: Float32Array | Int8Array | BigInt64Array) => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
export const floatTensor = (name: string, dims: number[], data: Float32Array) => tensor(name, DataType.FLOAT, dims, raw(data));
export const int8Tensor = (name: string, dims: number[], data: Int8Array) => tensor(name, DataType.INT8, dims, raw(data));
export const int64Tensor = (name: string, dims: number[], data: BigInt64Array) => tensor(name, DataType.INT64, dims, raw(data));

/** AttributeProto with an int: name=1, i=3, type=20. */
export const intAttr = (name: string, v: number): Bytes => [...strField(1, name), ...intField(3, v), ...intField(20, AttrType.INT)];

/** NodeProto: input=1, output=2, name=3, op_type=4, attribute=5. */
export function node(opType: string, inputs: string[], outputs: string[], attrs: Bytes[] = []): Bytes {
  return [
    ...inputs.flatMap((i) => strField(1, i)),
    ...outputs.flatMap((o) => strField(2, o)),
    ...strField(3, `${opType}_${outputs[0]}`),
    ...strField(4, opType),
    ...attrs.flatMap((a) => msgField(5, a)),
  ];
}

/** ValueInfoProto { name=1, type=2: TypeProto { tensor_type=1: { elem_type=1, shape=2: { dim=1: {dim_value=1 | dim_param=2} } } } }. */
export function valueInfo(name: string, elemType: number, dims: (string | number)[]): Bytes {
  const shape = dims.flatMap((d) => msgField(1, typeof d === 'string' ? strField(2, d) : intField(1, d)));
  const tensorType = [...intField(1, elemType), ...msgField(2, shape)];
  return [...strField(1, name), ...msgField(2, msgField(1, tensorType))];
}

export interface OnnxGraph {
  /** Graph name; also the model's producer_name. */
  name: string;
  nodes: Bytes[];
  initializers: Bytes[];
  inputs: Bytes[];
  outputs: Bytes[];
  /** Version of the default ("ai.onnx") opset. */
  opset: number;
}

/**
 * ModelProto: ir_version=1, producer_name=2, graph=7, opset_import=8 ({domain=1, version=2}), around a
 * GraphProto: node=1, name=2, initializer=5, input=11, output=12.
 */
export function onnxModel(g: OnnxGraph): Uint8Array {
  const graph: Bytes = [
    ...g.nodes.flatMap((n) => msgField(1, n)),
    ...strField(2, g.name),
    ...g.initializers.flatMap((t) => msgField(5, t)),
    ...g.inputs.flatMap((v) => msgField(11, v)),
    ...g.outputs.flatMap((v) => msgField(12, v)),
  ];
  return concat([...intField(1, 8), ...strField(2, g.name), ...msgField(7, graph), ...msgField(8, [...strField(1, ''), ...intField(2, g.opset)])]);
}

// ---------------------------------------------------------------------------------------------------------
// The BERT-style model folder.

/** BERT's special tokens; a vocabulary starts with them ([PAD] = 0). */
export const BERT_SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

export interface BertModelFolder {
  /** The WordPiece vocabulary (index = token id), starting with BERT_SPECIAL_TOKENS. */
  vocab: string[];
  hiddenSize: number;
  onnx: Uint8Array;
  /** The graph's file name under onnx/ (the embedder asks for model_quantized.onnx: dtype 'q8'). */
  onnxFile?: string;
  /** More config.json keys, written first. */
  config?: Record<string, unknown>;
}

function tokenizerJson(vocab: string[]): unknown {
  const ids = new Map(vocab.map((t, i) => [t, i]));
  const id = (t: string) => ids.get(t)!;
  const special = BERT_SPECIAL_TOKENS.map((content) => ({ id: id(content), content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  return {
    version: '1.0',
    truncation: { direction: 'Right', max_length: 512, strategy: 'LongestFirst', stride: 0 },
    padding: null,
    added_tokens: special,
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }])),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(ids),
    },
  };
}

/** Writes the model folder `dir` (created if needed); returns the files written, relative to `dir`. */
export function writeBertModelFolder(dir: string, m: BertModelFolder): string[] {
  const missing = BERT_SPECIAL_TOKENS.filter((t) => !m.vocab.includes(t));
  if (missing.length > 0) throw new Error(`the vocabulary lacks ${missing.join(', ')}`);
  const onnxPath = `onnx/${m.onnxFile ?? 'model_quantized.onnx'}`;
  const files = {
    'config.json': JSON.stringify({
      ...m.config,
      model_type: 'bert',
      architectures: ['BertModel'],
      hidden_size: m.hiddenSize,
      num_attention_heads: 1,
      num_hidden_layers: 1,
      vocab_size: m.vocab.length,
      max_position_embeddings: 512,
      pad_token_id: 0,
    }, null, 2),
    'tokenizer_config.json': JSON.stringify({
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      model_max_length: 512,
      cls_token: '[CLS]',
      sep_token: '[SEP]',
      unk_token: '[UNK]',
      pad_token: '[PAD]',
      mask_token: '[MASK]',
    }, null, 2),
    'tokenizer.json': JSON.stringify(tokenizerJson(m.vocab)),
  };
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, onnxPath), m.onnx);
  return [...Object.keys(files), onnxPath];
}
