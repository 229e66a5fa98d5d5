// A stand-in sentence-embedding model for the app's end-to-end tests, written as a real Hugging Face /
// transformers.js model folder (config.json, tokenizer.json, tokenizer_config.json, onnx/model_quantized.onnx)
// so the browser embedder runs its real path — hub download, transformers.js cache, onnxruntime-web wasm
// from the app's /ort/, mean pooling — without the real MiniLM models, which this machine cannot download.
//
// The "model" is a bag of word vectors: one ONNX Gather of a [vocab, DIM] float table by input_ids, exposed as
// last_hidden_state [batch, seq, DIM]. Words of one concept share a direction (synonyms embed alike), unknown
// words get a tiny common vector, so a paraphrase with no word in common with a passage still lands near it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Words that mean the same thing share a vector: a query with the synonyms finds the passage densely. */
export const CONCEPTS: string[][] = [
  ['beautiful', 'lovely', 'gorgeous'],
  ['ugly', 'hideous', 'unsightly'],
  ['namespaces', 'namespace', 'scopes'],
];
const DIM = CONCEPTS.length + 1; // last dimension: the [UNK] direction
const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

// --- protobuf (proto3 wire format) -------------------------------------------------------------------------
const varint = (n: number): number[] => {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
};
const key = (field: number, wire: number) => varint((field << 3) | wire);
const vField = (field: number, n: number) => [...key(field, 0), ...varint(n)];
const bField = (field: number, bytes: number[] | Uint8Array) => [...key(field, 2), ...varint(bytes.length), ...bytes];
const sField = (field: number, s: string) => bField(field, [...new TextEncoder().encode(s)]);

const FLOAT = 1;
const INT64 = 7;
/** TypeProto.tensor_type with a shape whose dims are named (dim_param) or fixed (dim_value). */
const tensorType = (elemType: number, dims: (string | number)[]) =>
  bField(1, [...vField(1, elemType), ...bField(2, dims.flatMap((d) => bField(1, typeof d === 'string' ? sField(2, d) : vField(1, d))))]);
const valueInfo = (name: string, elemType: number, dims: (string | number)[]) => [...sField(1, name), ...bField(2, tensorType(elemType, dims))];

/** The ONNX ModelProto: last_hidden_state = Gather(table, input_ids). */
function onnxModel(table: Float32Array, vocab: number): Uint8Array {
  const tensor = [...vField(1, vocab), ...vField(1, DIM), ...vField(2, FLOAT), ...sField(8, 'word_vectors'), ...bField(9, new Uint8Array(table.buffer))];
  const node = [...sField(1, 'word_vectors'), ...sField(1, 'input_ids'), ...sField(2, 'last_hidden_state'), ...sField(3, 'lookup'), ...sField(4, 'Gather')];
  const graph = [
    ...bField(1, node),
    ...sField(2, 'bag_of_word_vectors'),
    ...bField(5, tensor),
    ...bField(11, valueInfo('input_ids', INT64, ['batch', 'seq'])),
    ...bField(12, valueInfo('last_hidden_state', FLOAT, ['batch', 'seq', DIM])),
  ];
  return new Uint8Array([...vField(1, 8), ...sField(2, 'pdfchat-e2e'), ...bField(7, graph), ...bField(8, [...sField(1, ''), ...vField(2, 13)])]);
}

/** Writes the model folder; serve it under the embedding model ids the app asks for. */
export function writeStandInEmbeddingModel(dir: string): void {
  const words = CONCEPTS.flat();
  const vocab = [...SPECIAL, ...words];
  const table = new Float32Array(vocab.length * DIM);
  table[vocab.indexOf('[UNK]') * DIM + DIM - 1] = 0.005;
  CONCEPTS.forEach((group, c) => group.forEach((w) => (table[vocab.indexOf(w) * DIM + c] = 1)));

  mkdirSync(join(dir, 'onnx'), { recursive: true });
  writeFileSync(join(dir, 'onnx', 'model_quantized.onnx'), onnxModel(table, vocab.length));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert', architectures: ['BertModel'], hidden_size: DIM, num_attention_heads: 1, num_hidden_layers: 1, vocab_size: vocab.length, max_position_embeddings: 512 }));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: 512, cls_token: '[CLS]', sep_token: '[SEP]', unk_token: '[UNK]', pad_token: '[PAD]', mask_token: '[MASK]' }));
  const id = (t: string) => vocab.indexOf(t);
  writeFileSync(
    join(dir, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: SPECIAL.map((content) => ({ id: id(content), content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
      normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
        pair: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
        special_tokens: { '[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] } },
      },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(vocab.map((w, i) => [w, i])) },
    }),
  );
}
