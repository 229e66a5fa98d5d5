// Counts tokens of the embedding model for a text unit (see text-units.ts), so chunk size and overlap
// are measured in the model's own tokens.
//
// - `tokenizerCounter` is exact: it asks the embedding model's tokenizer (transformers.js AutoTokenizer,
//   loaded from the local model cache) how many WordPiece tokens a unit becomes.
// - `estimatedWordPieceCounter` is used when no tokenizer is cached (lexical-only installs, tests). It
//   approximates bert-base-uncased WordPiece (the vocabulary of all-MiniLM-L6-v2): a CJK character or a
//   punctuation mark is one token, a short word is one token, a long or rare-looking word splits into
//   pieces of about four characters, a digit run into pieces of about three digits. On English prose this
//   lands within roughly 10-15% of the real count, which is well inside the margin the chunk size needs.

import type { TextUnit } from './text-units';

export interface TokenCounter {
  /** Stable name stored with the chunks: a change of counter means the chunks are rebuilt. */
  readonly name: string;
  count(unitText: string, kind: TextUnit['kind']): number;
}

export const estimatedWordPieceCounter: TokenCounter = {
  name: 'estimate:bert-wordpiece-v1',
  count(unitText, kind) {
    if (kind !== 'word') return 1;
    if (/^\p{N}+$/u.test(unitText)) return Math.max(1, Math.ceil(unitText.length / 3));
    if (unitText.length <= 7) return 1;
    return 1 + Math.ceil((unitText.length - 7) / 4);
  },
};

/** Minimal view of a transformers.js tokenizer: encode without special tokens. */
export interface EncodesText {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
}

export function tokenizerCounter(modelId: string, tokenizer: EncodesText): TokenCounter {
  const cache = new Map<string, number>();
  return {
    name: `tokenizer:${modelId}`,
    count(unitText) {
      let n = cache.get(unitText);
      if (n === undefined) {
        n = Math.max(1, tokenizer.encode(unitText, { add_special_tokens: false }).length);
        if (cache.size < 200_000) cache.set(unitText, n);
      }
      return n;
    },
  };
}
