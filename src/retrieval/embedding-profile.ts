// How each embedding model must be called: the text prefixes it was trained with, its pooling, whether its
// vectors are L2-normalised, and where its tokenizer truncates. Every embedding in the app goes through
// an Embedder (embedder.ts) built on one of these profiles, so indexing and questions cannot disagree —
// E5 models, for instance, were trained with "query: " before questions and "passage: " before passages
// and retrieve noticeably worse without them (intfloat/multilingual-e5-small model card).
//
// Stored vectors record the profile they were made with (profileKey); a library opened with another
// profile for the same model id does not mix them with new query vectors (library.ts).
// Why these models and not others: docs/RETRIEVAL.md, "Embedding models: published figures".

import { DENSE_CONFIDENT } from './confidence';

export interface EmbeddingProfile {
  /** Hub model id (the repo transformers.js downloads). */
  id: string;
  /** Published vector size of the real model (the stand-in test model has its own; vectors record theirs). */
  dims: number;
  pooling: 'mean' | 'cls';
  /** L2-normalise each vector (cosine = dot product). */
  normalize: boolean;
  /** Put before a question (or a conversation's query) before it is embedded. */
  queryPrefix: string;
  /** Put before every indexed passage (chunk) before it is embedded. */
  passagePrefix: string;
  /** Longest input in tokens, prefix and special tokens included; longer inputs are truncated. */
  maxTokens: number;
  /** Bytes the browser downloads once: onnx/model_quantized.onnx + tokenizer.json (+ small JSON files). */
  downloadBytes: number;
  /**
   * Cosine at or above which a dense hit counts as "confident" (confidence.ts); null: cosine never makes a hit
   * confident, only lexical coverage does. Not part of profileKey (it does not change the vectors).
   */
  confidentCosine: number | null;
}

/** English documents: 6 layers, 22.7 M parameters, bert-base-uncased WordPiece. */
export const MINILM_L6_PROFILE: EmbeddingProfile = {
  id: 'Xenova/all-MiniLM-L6-v2',
  dims: 384,
  pooling: 'mean',
  normalize: true,
  queryPrefix: '',
  passagePrefix: '',
  // transformers.js truncates at the tokenizer's model_max_length (512), as the app always did; stored
  // vectors from before profiles existed therefore match this profile and stay valid.
  maxTokens: 512,
  downloadBytes: 22_900_000 + 712_000,
  confidentCosine: DENSE_CONFIDENT, // a common MiniLM relevance floor, not measured here
};

/** Chinese/Japanese/Korean (and other non-English) documents: 12 layers, 118 M parameters, XLM-R vocabulary. */
export const MULTILINGUAL_E5_SMALL_PROFILE: EmbeddingProfile = {
  id: 'Xenova/multilingual-e5-small',
  dims: 384,
  pooling: 'mean',
  normalize: true,
  queryPrefix: 'query: ',
  passagePrefix: 'passage: ',
  maxTokens: 512,
  downloadBytes: 118_000_000 + 17_100_000,
  // E5 was trained with InfoNCE at temperature 0.01: cosines of unrelated texts sit at 0.7–1.0 (model card
  // FAQ 3), so a fixed floor would make everything "confident". Until a floor is measured on this set with
  // the real model, only lexical coverage decides (unanswerable questions stay "not found").
  confidentCosine: null,
};

/** The multilingual default before multilingual-e5-small: known so that its stored vectors are recognised as another model's. */
export const PARAPHRASE_MULTILINGUAL_PROFILE: EmbeddingProfile = {
  id: 'Xenova/paraphrase-multilingual-MiniLM-L12-v2',
  dims: 384,
  pooling: 'mean',
  normalize: true,
  queryPrefix: '',
  passagePrefix: '',
  maxTokens: 512,
  downloadBytes: 0, // no longer downloaded
  confidentCosine: DENSE_CONFIDENT,
};

export const KNOWN_PROFILES: readonly EmbeddingProfile[] = [MINILM_L6_PROFILE, MULTILINGUAL_E5_SMALL_PROFILE, PARAPHRASE_MULTILINGUAL_PROFILE];

/** What a model the app does not know gets: plain mean-pooled, normalised sentence vectors, no prefixes. */
function plainProfile(id: string): EmbeddingProfile {
  return { id, dims: 0, pooling: 'mean', normalize: true, queryPrefix: '', passagePrefix: '', maxTokens: 512, downloadBytes: 0, confidentCosine: DENSE_CONFIDENT };
}

/**
 * The profile of a model id. A local folder named after a known model (…/multilingual-e5-small, as
 * `eval:retrieval --model-dir DIR` passes it) gets that model's profile; any other id the plain one.
 */
export function embeddingProfile(modelId: string): EmbeddingProfile {
  const exact = KNOWN_PROFILES.find((p) => p.id === modelId);
  if (exact) return exact;
  const name = modelId.split('/').pop();
  return KNOWN_PROFILES.find((p) => p.id.split('/').pop() === name) ?? plainProfile(modelId);
}

/** Everything that changes the vectors, in one string; stored with the vectors and compared when they are loaded. */
export function profileKey(p: EmbeddingProfile): string {
  return JSON.stringify([p.id, p.pooling, p.normalize, p.queryPrefix, p.passagePrefix, p.maxTokens]);
}

/** Vectors stored before profiles existed were computed this way (mean pooling, normalised, no prefix, 512 tokens). */
export function legacyProfileKey(modelId: string): string {
  return profileKey(plainProfile(modelId));
}

export const queryText = (p: EmbeddingProfile, question: string): string => p.queryPrefix + question;
export const passageText = (p: EmbeddingProfile, passage: string): string => p.passagePrefix + passage;
