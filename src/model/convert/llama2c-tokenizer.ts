// llama2.c tokenizer.bin (e.g. tok512.bin) → SentencePiece-style vocabulary.
// Format: int32 max_token_length, then per token: float32 score, int32 byte length, UTF-8 bytes.
// llama2.c's exporter wrote "▁" as " " and BOS/EOS as "\n<s>\n" / "\n</s>\n"; ids 0/1/2 are <unk>/<s>/</s>.
import { AppError } from '../../shared/errors';
import { foreignFileMessage } from './file-kind';
import { SPACE, SpmTokenType, type SpmVocab } from './spm-vocab';

export function readLlama2cTokenizer(bytes: Uint8Array, vocabSize: number): SpmVocab {
  const foreign = foreignFileMessage(bytes, 'tokenizer');
  if (foreign) throw new AppError('TOKENIZER_ERROR', foreign);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dec = new TextDecoder('utf-8', { fatal: false });
  const pieces: string[] = [];
  const scores: number[] = [];
  const types: SpmTokenType[] = [];
  let o = 4;
  for (let i = 0; i < vocabSize; i++) {
    if (o + 8 > bytes.byteLength) throw new AppError('TRUNCATED_FILE', `Tokenizer file ends after ${i} of ${vocabSize} tokens; it does not match the model's vocabulary size. Pass the llama2.c tokenizer .bin made for this model as --tokenizer.`);
    const score = dv.getFloat32(o, true);
    const len = dv.getInt32(o + 4, true);
    if (len < 0 || o + 8 + len > bytes.byteLength) throw new AppError('TRUNCATED_FILE', `Tokenizer file is truncated at token ${i}. Check that --tokenizer is the llama2.c tokenizer .bin (e.g. tok512.bin) made for this model.`);
    const text = dec.decode(bytes.subarray(o + 8, o + 8 + len));
    o += 8 + len;
    let piece: string;
    let type: SpmTokenType;
    if (i === 0) [piece, type] = ['<unk>', SpmTokenType.Unknown];
    else if (i === 1) [piece, type] = ['<s>', SpmTokenType.Control];
    else if (i === 2) [piece, type] = ['</s>', SpmTokenType.Control];
    else if (/^<0x[0-9A-F]{2}>$/.test(text)) [piece, type] = [text, SpmTokenType.Byte];
    else [piece, type] = [text.replaceAll(' ', SPACE), SpmTokenType.Normal];
    pieces.push(piece);
    scores.push(score);
    types.push(type);
  }
  if (o < bytes.byteLength) throw new AppError('TOKENIZER_ERROR', extraBytesMessage(bytes, dv, o, vocabSize));
  return { pieces, scores, types, unkId: 0, bosId: 1, eosId: 2 };
}

/**
 * Bytes after the model's vocab_size tokens: a tokenizer made for a bigger vocabulary (llama2's 32000-token
 * tokenizer.bin with stories260K's 512), whose first tokens would decode the model's ids into the wrong text.
 */
function extraBytesMessage(bytes: Uint8Array, dv: DataView, start: number, vocabSize: number): string {
  // Count the whole tokens that follow (cheap: 8 bytes of header each), as long as they parse as tokens.
  let o = start;
  let extra = 0;
  while (o + 8 <= bytes.byteLength) {
    const len = dv.getInt32(o + 4, true);
    if (len < 0 || o + 8 + len > bytes.byteLength) break;
    o += 8 + len;
    extra++;
  }
  const what =
    o === bytes.byteLength && extra > 0
      ? `has ${vocabSize + extra} tokens, more than the model's vocabulary of ${vocabSize}`
      : `goes on for ${bytes.byteLength - start} bytes after the model's vocabulary of ${vocabSize} tokens (it is made for a bigger vocabulary, or is not a llama2.c tokenizer)`;
  return `The tokenizer file ${what}, so it is not this model's tokenizer and would turn the model's token ids into the wrong text. Pass the tokenizer the model was trained with as --tokenizer (stories260K.bin: tok512.bin; the stories15M/42M/110M models: llama2.c's tokenizer.bin).`;
}
