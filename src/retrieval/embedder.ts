// The embedding side of hybrid search, independent of where the model runs (in-process in Node, a Web
// Worker in the browser). An Embedder turns passages into mean-pooled, L2-normalised sentence vectors.

import { cjkShare } from './lexical-terms';

/** English documents (all-MiniLM-L6-v2: 384 dims, bert-base-uncased WordPiece, trained at 128 tokens). */
export const ENGLISH_EMBEDDING_MODEL = 'Xenova/all-MiniLM-L6-v2';
/** Chinese/Japanese/Korean documents (multilingual MiniLM, 384 dims, 50+ languages incl. zh). */
export const MULTILINGUAL_EMBEDDING_MODEL = 'Xenova/paraphrase-multilingual-MiniLM-L12-v2';
export const EMBEDDING_MODELS = [ENGLISH_EMBEDDING_MODEL, MULTILINGUAL_EMBEDDING_MODEL] as const;

/** A document whose letters are at least this share CJK is embedded with the multilingual model. */
export const CJK_DOCUMENT_SHARE = 0.2;

export function embeddingModelFor(text: string): string {
  return cjkShare(text) >= CJK_DOCUMENT_SHARE ? MULTILINGUAL_EMBEDDING_MODEL : ENGLISH_EMBEDDING_MODEL;
}

export interface Embedder {
  readonly modelId: string;
  /** One vector per text, each of the model's dimension, L2-normalised. */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

/** Hands out embedders for model ids, or says why a model cannot be used (not cached, offline, …). */
export interface EmbedderProvider {
  get(modelId: string): Promise<{ embedder: Embedder } | { embedder: null; reason: string }>;
}

/** For lexical-only setups: never has a model. */
export class NoEmbedderProvider implements EmbedderProvider {
  constructor(private readonly reason = 'no embedding model is configured') {}
  async get(): Promise<{ embedder: null; reason: string }> {
    return { embedder: null, reason: this.reason };
  }
}

/** Texts per model call: small enough to report progress and honour cancellation often. */
export const EMBED_BATCH = 16;
