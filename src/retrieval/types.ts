// Shapes shared by the retrieval modules (chunker, indexes, library, CLI, UI).

/** One extracted page as the retrieval side receives it (ligature/control-free text from src/pdf). */
export interface PageText {
  /** 1-based physical page number. */
  page: number;
  /** Printed page label (e.g. "iv"); equals String(page) when the PDF has no labels. */
  label: string;
  text: string;
}

/** A passage of one page. `text === pageText.slice(start, end)` always holds. */
export interface Chunk {
  docId: string;
  page: number;
  label: string;
  /** Character offsets (UTF-16 code units) into the page text, end exclusive. */
  start: number;
  end: number;
  text: string;
}

/** 'dense' appears only when a caller forces dense-only search (the evaluation does). */
export type SearchMode = 'lexical' | 'hybrid' | 'dense';

/** Which search mode is in effect and why (the UI and the CLI show `reason`). */
export interface ModeInfo {
  mode: SearchMode;
  reason: string;
}

export interface SearchResult {
  docId: string;
  /** The document's display name (file name). */
  file: string;
  page: number;
  label: string;
  /** Ranking score: BM25 in lexical mode, reciprocal-rank-fusion score in hybrid mode. */
  score: number;
  /**
   * Whether this passage plausibly answers the query (see confidence.ts): false means "no confident hit",
   * which the chat layer should say rather than answer from an unrelated passage.
   */
  confident: boolean;
  text: string;
  start: number;
  end: number;
}

export interface SearchResponse {
  results: SearchResult[];
  mode: SearchMode;
  reason: string;
}
