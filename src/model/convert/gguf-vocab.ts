// A GGUF "llama" (SentencePiece) vocabulary → SpmVocab.
import { AppError } from '../../shared/errors';
import { readGgufMetadata } from './gguf';
import type { SpmTokenType, SpmVocab } from './spm-vocab';

export function spmVocabFromGguf(bytes: Uint8Array): SpmVocab {
  const kv = readGgufMetadata(bytes);
  if (kv.get('tokenizer.ggml.model') !== 'llama') {
    throw new AppError('TOKENIZER_ERROR', `GGUF tokenizer model is ${JSON.stringify(kv.get('tokenizer.ggml.model'))}; only "llama" (SentencePiece) vocabularies are supported here.`);
  }
  const pieces = kv.get('tokenizer.ggml.tokens') as string[];
  const scores = (kv.get('tokenizer.ggml.scores') as number[] | undefined) ?? pieces.map(() => 0);
  const types = (kv.get('tokenizer.ggml.token_type') as number[] | undefined) ?? pieces.map(() => 1);
  const num = (k: string, d: number) => (typeof kv.get(k) === 'number' ? (kv.get(k) as number) : d);
  return {
    pieces,
    scores,
    types: types as SpmTokenType[],
    unkId: num('tokenizer.ggml.unknown_token_id', 0),
    bosId: num('tokenizer.ggml.bos_token_id', 1),
    eosId: num('tokenizer.ggml.eos_token_id', 2),
  };
}
