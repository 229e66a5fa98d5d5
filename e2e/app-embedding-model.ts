// A stand-in sentence-embedding model for the app's end-to-end tests, written as a real Hugging Face /
// transformers.js model folder (config.json, tokenizer.json, tokenizer_config.json, onnx/model_quantized.onnx)
// so the browser embedder runs its real path — hub download, transformers.js cache, onnxruntime-web wasm
// from the app's /ort/, mean pooling — without the real MiniLM models, which this machine cannot download.
//
// The "model" is a bag of word vectors: one ONNX Gather of a [vocab, DIM] float table by input_ids, exposed as
// last_hidden_state [batch, seq, DIM]. Words of one concept share a direction (synonyms embed alike), unknown
// words get a tiny common vector, so a paraphrase with no word in common with a passage still lands near it.
import { BERT_SPECIAL_TOKENS, DataType, floatTensor, node, onnxModel, valueInfo, writeBertModelFolder } from '../scripts/onnx-model-writer';

/** Words that mean the same thing share a vector: a query with the synonyms finds the passage densely. */
export const CONCEPTS: string[][] = [
  ['beautiful', 'lovely', 'gorgeous'],
  ['ugly', 'hideous', 'unsightly'],
  ['namespaces', 'namespace', 'scopes'],
];
const DIM = CONCEPTS.length + 1; // last dimension: the [UNK] direction

/** The ONNX model: last_hidden_state = Gather(word_vectors, input_ids). */
const bagOfWordVectors = (table: Float32Array, vocab: number): Uint8Array =>
  onnxModel({
    name: 'bag_of_word_vectors',
    nodes: [node('Gather', ['word_vectors', 'input_ids'], ['last_hidden_state'])],
    initializers: [floatTensor('word_vectors', [vocab, DIM], table)],
    inputs: [valueInfo('input_ids', DataType.INT64, ['batch', 'seq'])],
    outputs: [valueInfo('last_hidden_state', DataType.FLOAT, ['batch', 'seq', DIM])],
    opset: 13,
  });

/** Writes the model folder; serve it under the embedding model ids the app asks for. */
export function writeStandInEmbeddingModel(dir: string): void {
  const words = CONCEPTS.flat();
  const vocab = [...BERT_SPECIAL_TOKENS, ...words];
  const table = new Float32Array(vocab.length * DIM);
  table[vocab.indexOf('[UNK]') * DIM + DIM - 1] = 0.005;
  CONCEPTS.forEach((group, c) => group.forEach((w) => (table[vocab.indexOf(w) * DIM + c] = 1)));
  writeBertModelFolder(dir, { vocab, hiddenSize: DIM, onnx: bagOfWordVectors(table, vocab.length) });
}
