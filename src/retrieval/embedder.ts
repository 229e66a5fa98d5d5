// The embedding side of hybrid search, independent of where the model runs (in-process in Node, a Web
// Worker in the browser). An Embedder turns questions and passages into sentence vectors the way its
// model's profile says (embedding-profile.ts: prefixes, pooling, normalisation, truncation); it has no
// "embed raw text" method, so no caller can forget a prefix.

import { cjkShare } from './lexical-terms';
import { MINILM_L6_PROFILE, MULTILINGUAL_E5_SMALL_PROFILE, passageText, queryText, type EmbeddingProfile } from './embedding-profile';

/** English documents: all-MiniLM-L6-v2 (384 dims, 23 MB quantised; see docs/RETRIEVAL.md for the choice). */
export const ENGLISH_EMBEDDING_MODEL = MINILM_L6_PROFILE.id;
/** Chinese/Japanese/Korean documents: multilingual-e5-small (384 dims, ~100 languages, 118 MB quantised). */
export const MULTILINGUAL_EMBEDDING_MODEL = MULTILINGUAL_E5_SMALL_PROFILE.id;
export const EMBEDDING_MODELS = [ENGLISH_EMBEDDING_MODEL, MULTILINGUAL_EMBEDDING_MODEL] as const;

/** A document whose letters are at least this share CJK is embedded with the multilingual model. */
export const CJK_DOCUMENT_SHARE = 0.2;

export function embeddingModelFor(text: string): string {
  return cjkShare(text) >= CJK_DOCUMENT_SHARE ? MULTILINGUAL_EMBEDDING_MODEL : ENGLISH_EMBEDDING_MODEL;
}

export interface Embedder {
  readonly modelId: string;
  /** How the model is called; its profileKey is stored with the vectors. */
  readonly profile: EmbeddingProfile;
  /** Questions (and the query of a conversation): the profile's query prefix is added here. */
  embedQueries(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
  /** Indexed passages (chunks): the profile's passage prefix is added here. */
  embedPassages(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

/** Vectors of texts exactly as given (already prefixed), pooled and normalised per the profile. */
export type RawEmbed = (texts: string[], signal?: AbortSignal) => Promise<Float32Array[]>;

/** The one place prefixes are added: an Embedder over a model call that pools and normalises per `profile`. */
export function profiledEmbedder(modelId: string, profile: EmbeddingProfile, raw: RawEmbed): Embedder {
  return {
    modelId,
    profile,
    embedQueries: (texts, signal) => raw(texts.map((t) => queryText(profile, t)), signal),
    embedPassages: (texts, signal) => raw(texts.map((t) => passageText(profile, t)), signal),
  };
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
