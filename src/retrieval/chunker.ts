// Cuts each page into overlapping passages measured in embedding-model tokens. Chunks never cross a page
// (every answer cites one page) and carry character offsets: chunk.text === page.text.slice(start, end).
//
// Defaults (chunkTokens 256, overlapTokens 64) were chosen with `npm run eval:retrieval -- --sweep`:
// over the fixture questions, lexical recall@1 / MRR were 66.7% / 0.750 at 128/32, 66.7% / 0.769 at 192/48
// and 76.9% / 0.819 at 256/64 (table in docs/RETRIEVAL.md). Dense retrieval could not be measured on the
// development machine (no model download). A 256-token chunk plus [CLS]/[SEP] fits the tokenizer's
// 512-token limit that transformers.js truncates at (all-MiniLM-L6-v2 was trained on ≤ 256), so it is
// embedded whole. Re-run the sweep with a cached model before changing these.

import type { Chunk, PageText } from './types';
import { isSentenceEnd, textUnits } from './text-units';
import { estimatedWordPieceCounter, type TokenCounter } from './token-counter';
import { AppError } from '../shared/errors';

export interface ChunkOptions {
  /** Largest chunk, in model tokens (special tokens [CLS]/[SEP] not included). */
  chunkTokens: number;
  /** Tokens repeated from the end of one chunk at the start of the next. */
  overlapTokens: number;
}

export const DEFAULT_CHUNKING: ChunkOptions = { chunkTokens: 256, overlapTokens: 64 };

/** A cut at a sentence end is preferred when it keeps at least this share of the chunk budget. */
const SENTENCE_CUT_MIN_FILL = 0.6;

export function chunkPage(
  docId: string,
  page: PageText,
  opts: ChunkOptions = DEFAULT_CHUNKING,
  counter: TokenCounter = estimatedWordPieceCounter,
): Chunk[] {
  const { chunkTokens, overlapTokens } = opts;
  if (!(chunkTokens >= 8) || !(overlapTokens >= 0) || overlapTokens >= chunkTokens / 2) {
    throw new AppError('BAD_ARGUMENT', `Chunk size must be ≥ 8 tokens and overlap less than half of it (got ${chunkTokens}/${overlapTokens}).`);
  }
  const text = page.text;
  const units = textUnits(text);
  if (units.length === 0) return [];
  const cost = units.map((u) => counter.count(text.slice(u.start, u.end), u.kind));

  const chunks: Chunk[] = [];
  let first = 0;
  while (first < units.length) {
    // Grow the window [first, last] while it fits the budget (a single over-long unit still forms a chunk).
    let used = 0;
    let last = first;
    let lastSentenceEnd = -1;
    for (let i = first; i < units.length; i++) {
      if (i > first && used + cost[i] > chunkTokens) break;
      used += cost[i];
      last = i;
      const u = units[i];
      if (u.kind === 'punct' && isSentenceEnd(text[u.start]) && used >= chunkTokens * SENTENCE_CUT_MIN_FILL) {
        lastSentenceEnd = i;
      }
    }
    const reachedEnd = last === units.length - 1;
    if (!reachedEnd && lastSentenceEnd >= 0) last = lastSentenceEnd;

    const start = units[first].start;
    const end = units[last].end;
    chunks.push({ docId, page: page.page, label: page.label, start, end, text: text.slice(start, end) });
    if (reachedEnd) break;

    // Next window starts so that about `overlapTokens` of this one's tail are repeated, and always advances.
    let next = last + 1;
    let overlap = 0;
    while (next - 1 > first && overlap + cost[next - 1] <= overlapTokens) {
      next--;
      overlap += cost[next];
    }
    first = next;
  }
  return chunks;
}

export function chunkPages(
  docId: string,
  pages: readonly PageText[],
  opts: ChunkOptions = DEFAULT_CHUNKING,
  counter: TokenCounter = estimatedWordPieceCounter,
): Chunk[] {
  return pages.flatMap((p) => chunkPage(docId, p, opts, counter));
}
