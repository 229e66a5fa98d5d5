// DocumentLibrary: the one API the UI and the CLI call. It chunks pages, indexes them lexically (BM25) and,
// when an embedding model is available, densely; persists everything under the document's content hash;
// and answers searches in hybrid mode (RRF of BM25 and cosine lists) or lexical mode, saying which and why.
//
// Persistence layout (KeyValueStore keys; <id> = sha256 of the PDF bytes, see content-hash.ts):
//   doc:<id>:meta     StoredMeta
//   doc:<id>:chunks   Chunk[]
//   doc:<id>:vectors  StoredVectors   (absent for lexical-only documents)
// meta is written last, so a document whose meta exists is complete; remove() deletes every doc:<id>: key.
// Stored vectors record the model and embedding profile that made them; vectors of a model that is no longer
// the default, or of another profile (e.g. before the E5 prefixes), are not loaded: the document is searched
// lexically, says why, and reembedStale() embeds its stored chunks again once the current model is available.

import type { Chunk, ModeInfo, PageText, SearchResponse, SearchResult } from './types';
import { chunkPage, DEFAULT_CHUNKING, type ChunkOptions } from './chunker';
import { estimatedWordPieceCounter, type TokenCounter } from './token-counter';
import { LexicalRanker } from './lexical-ranker';
import { conversationQueryText, conversationTerms, historyWeights, type ConversationTurn } from './conversation-query';
import { followUpSignal } from './follow-up-signal';
import { topicContinues, withTopicPrior, type TopicPrior } from './topic-prior';
import type { LexicalHit } from './bm25';
import { DenseIndex } from './dense-index';
import { reciprocalRankFusion } from './fusion';
import { EMBED_BATCH, EMBEDDING_MODELS, embeddingModelFor, NoEmbedderProvider, type Embedder, type EmbedderProvider } from './embedder';
import { embeddingProfile, legacyProfileKey, profileKey } from './embedding-profile';
import { isConfident, lexicalThreshold } from './confidence';
import { DEFAULT_LEXICAL, type LexicalConfig } from './lexical-config';
import type { KeyValueStore } from './store';
import { AppError, throwIfAborted } from '../shared/errors';
import { isQuotaError } from '../store/backend';
import type { ProgressCallback } from '../shared/progress';

export interface StoredMeta {
  docId: string;
  name: string;
  pageCount: number;
  chunkCount: number;
  chunking: ChunkOptions & { counter: string };
  /** Model the document's vectors come from; null = not embedded (lexical only). */
  embeddingModel: string | null;
  /** Why the document has no vectors (when embeddingModel is null). */
  lexicalOnlyReason?: string;
  /** Pages still being recognised (OCR) when this index was written: it holds the document's text pages only. */
  pendingPages?: number[];
  addedAt: number;
}

export interface StoredVectors {
  modelId: string;
  /** profileKey of the embedding profile used (absent in vectors stored before profiles: legacyProfileKey). */
  profile?: string;
  dim: number;
  /** [chunkCount × dim] row-major. */
  data: Float32Array;
}

export interface AddOptions {
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /**
   * Replace the document's index if it has one (its pages changed: OCR added some). Chunks that are the same as
   * before keep their vectors; only new ones are embedded. The old index stays searchable until the new one is
   * in place.
   */
  replace?: boolean;
  /** Pages still to be recognised (OCR): the index is partial (isPartial) until it is replaced without them. */
  pendingPages?: number[];
  /**
   * Called once the document is searchable by keywords, before the embedding model is asked for and its vectors
   * are computed: its chunks are stored and in the keyword index, its vectors (if a model is at hand) follow.
   * Without it, the document enters both indexes at once, at the end. Either way a cancel or a failure leaves
   * nothing of it.
   */
  onKeywordIndexed?: () => void;
}

/** Why a document found by keywords only has no vectors yet (the reason while its vectors are computed). */
export const VECTORS_PENDING_REASON = 'its vectors are still being computed';

export interface AddOutcome {
  docId: string;
  /** True when the document was already indexed (same content hash): nothing was chunked or embedded. */
  reused: boolean;
  chunkCount: number;
  embeddingModel: string | null;
  lexicalOnlyReason?: string;
}

export interface LibraryOptions {
  store: KeyValueStore;
  embedders?: EmbedderProvider;
  chunking?: ChunkOptions;
  tokenCounter?: TokenCounter;
  /** Lexical retrieval settings (default DEFAULT_LEXICAL; the evaluation varies them). */
  lexical?: LexicalConfig;
}

export interface SearchOptions {
  topK?: number;
  docIds?: readonly string[];
  /**
   * 'auto' (default): hybrid when vectors and their model are available, else lexical. 'lexical' and
   * 'dense' force one list (the evaluation compares them); 'dense' fails with MISSING_FILE when no model can run.
   */
  retriever?: 'auto' | 'lexical' | 'dense';
  /**
   * Earlier turns of the conversation, oldest first. Retrieval for a follow-up question also uses these
   * (at lower weight than the question itself), so "and how do I undo that?" finds the page the earlier
   * question was about.
   */
  history?: readonly ConversationTurn[];
  /**
   * More queries for the same need, e.g. a model's rewrite of the question (query-rewrite.ts). By default
   * (extraQueryFusion 'terms') their words join the question's BM25 query at extraQueryWeight; with 'rrf'
   * each is ranked on its own words and fused with the question's ranking by weighted RRF. Coverage
   * ("confident") still measures the question's own terms.
   */
  extraQueries?: readonly string[];
}

export type { ConversationTurn } from './conversation-query';

interface LoadedDoc {
  meta: StoredMeta;
  chunks: Chunk[];
}

const metaKey = (id: string) => `doc:${id}:meta`;
const chunksKey = (id: string) => `doc:${id}:chunks`;
const vectorsKey = (id: string) => `doc:${id}:vectors`;
const docPrefix = (id: string) => `doc:${id}:`;

/** How many candidates each ranked list contributes to the fusion. */
const CANDIDATES = 50;

export class DocumentLibrary {
  private readonly store: KeyValueStore;
  private readonly embedders: EmbedderProvider;
  private readonly chunking: ChunkOptions;
  private readonly counter: TokenCounter;
  private readonly docs = new Map<string, LoadedDoc>();
  private readonly lexical: LexicalRanker;
  private readonly lexicalConfig: LexicalConfig;
  private readonly dense = new DenseIndex();
  /** Documents whose stored vectors were not loaded (another model or profile): reembedStale() redoes them. */
  private readonly stale = new Set<string>();
  private reembedding: Promise<number> | null = null;
  /** remove() calls per document: an add() that sees the count change while it runs gives up (no ghost document). */
  private readonly removals = new Map<string, number>();

  constructor(opts: LibraryOptions) {
    this.store = opts.store;
    this.embedders = opts.embedders ?? new NoEmbedderProvider();
    this.chunking = opts.chunking ?? DEFAULT_CHUNKING;
    this.counter = opts.tokenCounter ?? estimatedWordPieceCounter;
    this.lexicalConfig = opts.lexical ?? DEFAULT_LEXICAL;
    this.lexical = new LexicalRanker(this.lexicalConfig);
  }

  /** Opens a library and indexes every complete document found in the store (no re-chunking, no re-embedding). */
  static async open(opts: LibraryOptions): Promise<DocumentLibrary> {
    const lib = new DocumentLibrary(opts);
    for (const key of await lib.store.keys()) {
      const m = /^doc:(.+):meta$/.exec(key);
      if (m) await lib.loadStored(m[1]);
    }
    return lib;
  }

  /**
   * Reads a document's index from the store again (another tab indexed it while this library was open), in
   * place of what this library held for it. Returns false, changing nothing, when the store has no complete index.
   */
  async load(docId: string): Promise<boolean> {
    return this.loadStored(docId);
  }

  private async loadStored(docId: string): Promise<boolean> {
    const meta = await this.store.get<StoredMeta>(metaKey(docId));
    const chunks = await this.store.get<Chunk[]>(chunksKey(docId));
    if (!meta || !chunks) return false;
    const vectors = meta.embeddingModel ? await this.store.get<StoredVectors>(vectorsKey(docId)) : undefined;
    const stale = vectors && staleVectorsReason(vectors);
    this.dropFromIndexes(docId);
    if (stale) this.stale.add(meta.docId);
    this.commit(stale ? { ...meta, embeddingModel: null, lexicalOnlyReason: stale } : meta, chunks, stale ? undefined : vectors);
    return true;
  }

  /**
   * Deletes the stored index of every document that `hasRecord` says no longer exists (an index written by
   * one tab after another tab removed the document). `lock` runs the deletion under the document's lock, or
   * not at all when it cannot be had now (another tab may be adding that document this moment); `hasRecord`
   * is asked again under the lock. Returns the ids whose index was deleted.
   */
  async removeOrphans(opts: { hasRecord: (docId: string) => Promise<boolean>; lock?: (docId: string, work: () => Promise<void>) => Promise<void> }): Promise<string[]> {
    const ids = new Set<string>();
    for (const k of await this.store.keys()) {
      const m = /^doc:([^:]+):/.exec(k);
      if (m) ids.add(m[1]);
    }
    const lock = opts.lock ?? ((_id: string, work: () => Promise<void>) => work());
    const removed: string[] = [];
    for (const id of ids) {
      if (await opts.hasRecord(id)) continue;
      await lock(id, async () => {
        if (await opts.hasRecord(id)) return;
        await this.remove(id);
        removed.push(id);
      });
    }
    return removed;
  }

  has(docId: string): boolean {
    return this.docs.has(docId);
  }

  /**
   * Whether the document's index holds only part of it: its text pages, written while its other pages were being
   * recognised, or its keyword index, written before its vectors (onKeywordIndexed). Found in the store at start-up
   * (the tab that wrote it closed), the work has to be done again.
   */
  /** Pages still being recognised when the document's index was written (isPartial), none when it is whole. */
  pendingPages(docId: string): readonly number[] {
    return this.docs.get(docId)?.meta.pendingPages ?? [];
  }

  isPartial(docId: string): boolean {
    const meta = this.docs.get(docId)?.meta;
    return (meta?.pendingPages?.length ?? 0) > 0 || meta?.lexicalOnlyReason === VECTORS_PENDING_REASON;
  }

  documents(): StoredMeta[] {
    return [...this.docs.values()].map((d) => ({ ...d.meta }));
  }

  /**
   * Indexes a document's pages under `docId` (its content hash). A document already present is not touched
   * (reused: true) — call has(docId) first to skip extraction as well. Cancelling via `signal` rejects with
   * ABORTED and leaves neither the store nor the indexes changed; so does a remove(docId) while it runs (the
   * user removed the document while it was being indexed: it must not come back).
   */
  async add(docId: string, name: string, pages: readonly PageText[], opts: AddOptions = {}): Promise<AddOutcome> {
    const { signal, onProgress } = opts;
    const existing = this.docs.get(docId);
    if (existing && !opts.replace) {
      return { docId, reused: true, chunkCount: existing.chunks.length, embeddingModel: existing.meta.embeddingModel, lexicalOnlyReason: existing.meta.lexicalOnlyReason };
    }
    throwIfAborted(signal);
    const removed = this.removedSince(docId);
    const stopIfRemoved = () => {
      if (removed()) throw new AppError('ABORTED', `"${name}" was removed while it was being indexed.`);
    };

    const chunks: Chunk[] = [];
    for (let i = 0; i < pages.length; i++) {
      chunks.push(...chunkPage(docId, pages[i], this.chunking, this.counter));
      if (i % 25 === 24 || i === pages.length - 1) {
        onProgress?.({ phase: 'chunk', loaded: i + 1, total: pages.length, file: name });
        throwIfAborted(signal);
        await yieldToEventLoop();
        throwIfAborted(signal);
      }
    }

    const modelId = embeddingModelFor(pages.map((p) => p.text).join('\n'));
    const metaWith = (embeddingModel: string | null, reason: string | undefined): StoredMeta => ({
      docId,
      name,
      pageCount: pages.length,
      chunkCount: chunks.length,
      chunking: { ...this.chunking, counter: this.counter.name },
      embeddingModel,
      ...(reason ? { lexicalOnlyReason: reason } : {}),
      ...(opts.pendingPages?.length ? { pendingPages: [...opts.pendingPages] } : {}),
      addedAt: existing?.meta.addedAt ?? Date.now(),
    });
    // The vectors of the index this one replaces: rows of unchanged chunks are kept.
    const before = existing && existing.meta.embeddingModel === modelId ? await this.store.get<StoredVectors>(vectorsKey(docId)) : undefined;
    const keywordFirst = opts.onKeywordIndexed !== undefined && chunks.length > 0;
    if (keywordFirst) {
      // Searchable by keywords now, before the embedding model is loaded (maybe downloaded) and the vectors are
      // computed: chunks and a meta without vectors are stored (a reload meanwhile finds a partial index, and the
      // work is done again), and the chunks go into the keyword index.
      const interim = metaWith(null, VECTORS_PENDING_REASON);
      stopIfRemoved();
      await this.writeIndex(name, interim, chunks, undefined, existing !== undefined);
      this.stale.delete(docId);
      this.dropFromIndexes(docId);
      this.commit(interim, chunks);
      opts.onKeywordIndexed!();
    }
    let meta: StoredMeta;
    let vectors: StoredVectors | undefined;
    try {
      const got = chunks.length > 0 ? await this.embedders.get(modelId) : { embedder: null, reason: 'the document has no text' };
      throwIfAborted(signal);
      let embedFailure: string | undefined;
      if (got.embedder) {
        try {
          vectors = before && before.profile === profileKey(got.embedder.profile) && before.data.length === existing!.chunks.length * before.dim
            ? await embedNewChunks(got.embedder, modelId, chunks, existing!.chunks, before, name, opts)
            : await embedChunks(got.embedder, modelId, chunks, name, opts);
        } catch (e) {
          // The embedder failed (its worker died or got stuck, the model threw): the document is kept, searched by
          // keywords, saying why; embedLexicalOnly() gives it vectors later. A cancel or a removal is still that.
          if (signal?.aborted || removed()) throw e;
          embedFailure = `embedding failed: ${AppError.from(e).message}`;
        }
      }
      meta = metaWith(vectors ? modelId : null, got.embedder ? embedFailure : got.reason);
      throwIfAborted(signal);
      stopIfRemoved();
      // After the interim index, the vectors (if any) and then the meta that says they are there: the store never
      // pairs chunks with vectors that are not theirs.
      await this.writeIndex(name, meta, chunks, vectors, !keywordFirst && existing !== undefined, { chunksStored: keywordFirst });
    } catch (e) {
      if (keywordFirst) {
        this.dropFromIndexes(docId);
        await this.deleteKeys(docId).catch(() => undefined);
      }
      throw e;
    }
    const committed = this.docs.get(docId);
    if (keywordFirst && committed?.chunks === chunks) {
      // Its chunks are in the keyword index already: only the meta and the vectors are new.
      this.attach(committed, meta, vectors);
    } else {
      this.stale.delete(docId);
      this.dropFromIndexes(docId);
      this.commit(meta, chunks, vectors);
    }
    onProgress?.({ phase: 'index', loaded: chunks.length, total: chunks.length, file: name });
    return { docId, reused: false, chunkCount: chunks.length, embeddingModel: meta.embeddingModel, ...(meta.lexicalOnlyReason ? { lexicalOnlyReason: meta.lexicalOnlyReason } : {}) };
  }

  /**
   * Writes a document's index: chunks, vectors (or none), then its meta, which marks it complete. `replacing` an
   * index: the old meta goes first, so that the store never holds a complete-looking index whose chunks and vectors
   * come from two versions (a reload in between finds no index and reads the document again). `chunksStored`: the
   * chunks are written already (only vectors and meta follow). A refused write deletes every key of the document
   * (and drops it from this library's indexes): QUOTA_EXCEEDED when the storage is full. ABORTED when the document
   * was removed meanwhile.
   */
  private async writeIndex(name: string, meta: StoredMeta, chunks: Chunk[], vectors: StoredVectors | undefined, replacing: boolean, opts: { chunksStored?: boolean } = {}): Promise<void> {
    const docId = meta.docId;
    const removed = this.removedSince(docId);
    try {
      // Replacing: the old meta goes first, so that the store never holds a complete-looking index whose chunks
      // and vectors come from two versions (a reload in between finds no index and reads the document again).
      if (replacing) await this.store.del(metaKey(docId));
      if (!opts.chunksStored) await this.store.set(chunksKey(docId), chunks);
      if (vectors) await this.store.set(vectorsKey(docId), vectors);
      else if (replacing) await this.store.del(vectorsKey(docId));
      await this.store.set(metaKey(docId), meta);
    } catch (e) {
      this.dropFromIndexes(docId); // its stored index is gone: this library must not keep searching it
      await this.deleteKeys(docId);
      // Told by the error's name, not its text: Chromium's IndexedDB says "Encountered disk full while committing
      // transaction." on a full disk and nothing at all when the site's quota is used up.
      if (isQuotaError(e)) {
        throw new AppError('QUOTA_EXCEEDED', `Not enough browser storage to keep "${name}". Remove some documents or models (or free disk space) and try again.`);
      }
      throw AppError.from(e);
    }
    if (removed()) {
      // Removed during the writes: what they put back must not outlive it.
      this.dropFromIndexes(docId);
      await this.deleteKeys(docId);
      throw new AppError('ABORTED', `"${name}" was removed while it was being indexed.`);
    }
  }

  /**
   * Embeds again, from their stored chunks, the documents whose stored vectors came from another model or
   * profile, when the current model for each is available (else they stay lexical, saying why). Returns how
   * many were re-embedded. Concurrent calls share one run.
   */
  reembedStale(opts: AddOptions = {}): Promise<number> {
    this.reembedding ??= this.reembedStaleNow(opts).finally(() => (this.reembedding = null));
    return this.reembedding;
  }

  /**
   * Documents indexed without vectors (no embedding model was at hand then) get them now from their stored
   * chunks, where the model is available; the keyword index is untouched. Returns how many got vectors.
   */
  async embedLexicalOnly(opts: AddOptions = {}): Promise<number> {
    await this.reembedding?.catch(() => undefined);
    // (Not one whose vectors an add() is computing, here or in another tab: that add writes them.)
    for (const [docId, d] of this.docs) if (d.meta.embeddingModel === null && d.chunks.length > 0 && d.meta.lexicalOnlyReason !== VECTORS_PENDING_REASON) this.stale.add(docId);
    return this.reembedStale(opts);
  }

  private async reembedStaleNow(opts: AddOptions): Promise<number> {
    let done = 0;
    for (const docId of [...this.stale]) {
      const doc = this.docs.get(docId);
      if (!doc) {
        this.stale.delete(docId);
        continue;
      }
      const removedMeanwhile = this.removedSince(docId);
      const modelId = embeddingModelFor(doc.chunks.map((c) => c.text).join('\n'));
      const got = await this.embedders.get(modelId);
      throwIfAborted(opts.signal);
      if (!got.embedder) continue;
      let vectors: StoredVectors;
      try {
        vectors = await embedChunks(got.embedder, modelId, doc.chunks, doc.meta.name, opts);
      } catch (e) {
        // The embedder failed: this document stays keyword-only (as it was) and the next ones are tried.
        if (opts.signal?.aborted) throw e;
        continue;
      }
      // Removed while it was embedded, or indexed anew (its chunks are not these): nothing of it is written back.
      if (removedMeanwhile() || this.docs.get(docId) !== doc) continue;
      const meta: StoredMeta = { ...doc.meta, embeddingModel: modelId };
      delete meta.lexicalOnlyReason;
      await this.store.set(vectorsKey(docId), vectors);
      await this.store.set(metaKey(docId), meta);
      if (removedMeanwhile()) {
        // Removed during the writes: what they put back must not outlive it (unless it was added again since).
        if (!this.docs.has(docId)) await this.deleteKeys(docId);
        continue;
      }
      this.attach(doc, meta, vectors);
      done++;
    }
    return done;
  }

  /** Whether remove(docId) has been called since this call (work on the document started then must not write it back). */
  private removedSince(docId: string): () => boolean {
    const before = this.removals.get(docId) ?? 0;
    return () => (this.removals.get(docId) ?? 0) !== before;
  }

  /** Removes the document from the indexes and deletes all of its stored data. */
  async remove(docId: string): Promise<void> {
    this.forget(docId);
    await this.deleteKeys(docId);
  }

  /**
   * Drops the document from this library's indexes without touching the store (another tab removed it and
   * deletes its stored data); an add() or re-embedding of it under way here gives up.
   */
  forget(docId: string): void {
    this.removals.set(docId, (this.removals.get(docId) ?? 0) + 1);
    this.stale.delete(docId);
    this.dropFromIndexes(docId);
  }

  private dropFromIndexes(docId: string): void {
    this.docs.delete(docId);
    this.lexical.removeDocument(docId);
    this.dense.removeDocument(docId);
  }

  /** The mode a search over these documents would use, and why (without embedding anything). */
  async mode(docIds?: readonly string[]): Promise<ModeInfo> {
    const scope = this.scope(docIds);
    const models = this.dense.models(scope);
    if (models.length === 0) return { mode: 'lexical', reason: this.lexicalReason(scope) };
    const reasons: string[] = [];
    for (const m of models) {
      const got = await this.embedders.get(m);
      if (got.embedder) return { mode: 'hybrid', reason: this.hybridReason(scope, models) };
      reasons.push(got.reason);
    }
    return { mode: 'lexical', reason: reasons.join('; ') };
  }

  async search(query: string, opts: SearchOptions = {}): Promise<SearchResponse> {
    const topK = opts.topK ?? 5;
    if (!(topK >= 1)) throw new AppError('BAD_ARGUMENT', `top-k must be at least 1 (got ${topK}).`);
    const scope = this.scope(opts.docIds);
    const retriever = opts.retriever ?? 'auto';
    const history = opts.history ?? [];
    const followUp = history.length > 0 && followUpSignal(query, this.lexical.terms(query)).followUp;
    const weighted = conversationTerms(query, history, this.lexical.terms, historyWeights(followUp, this.lexicalConfig), (t) => this.lexical.chunks.idf(t));
    const prior = followUp ? this.topicPrior(query, history[history.length - 1], scope) : { pages: [], topicChanged: false };
    // extraQueryFusion 'terms': an extra query's words join the question's at extraQueryWeight (coverage, i.e.
    // "confident", still counts the question's own terms only).
    const searchTerms = new Map(weighted);
    if (this.lexicalConfig.extraQueryFusion === 'terms' && retriever !== 'dense') {
      for (const q of opts.extraQueries ?? []) for (const t of this.lexical.terms(q)) searchTerms.set(t, Math.max(searchTerms.get(t) ?? 0, this.lexicalConfig.extraQueryWeight));
    }
    let lexHits = retriever === 'dense' ? [] : this.lexicalHits(searchTerms, prior, Math.max(CANDIDATES, topK), scope);
    const key = (docId: string, chunk: number) => `${docId}\u0000${chunk}`;
    const extras = retriever === 'dense' ? [] : (opts.extraQueries ?? []).map((q) => q.trim()).filter((q) => q !== '');
    const fuseTerms = this.lexicalConfig.extraQueryFusion === 'terms';
    let extraLists = fuseTerms ? [] : extras.map((q) => this.lexical.search(this.lexical.queryTerms(q), Math.max(CANDIDATES, topK), scope).map((h) => key(h.docId, h.chunk)));

    let denseLists: string[][] = [];
    const cosine = new Map<string, number>();
    /** Per model: the cosine that makes a hit confident (its embedder's profile; null = cosine never does). */
    const cosineFloors = new Map<string, number | null>();
    const failures: string[] = [];
    const models = retriever === 'lexical' ? [] : this.dense.models(scope);
    for (const modelId of models) {
      const got = await this.embedders.get(modelId);
      if (!got.embedder) {
        failures.push(got.reason);
        continue;
      }
      const profile = profileKey(got.embedder.profile);
      cosineFloors.set(modelId, got.embedder.profile.confidentCosine);
      let qv: Float32Array;
      try {
        [qv] = await got.embedder.embedQueries([conversationQueryText(query, history)]);
      } catch (e) {
        // The embedder failed (its worker died or got stuck): the question is answered by keywords, saying why.
        failures.push(`embedding the question failed: ${AppError.from(e).message}`);
        continue;
      }
      // Only vectors made with this embedder's profile are compared with its query vector.
      const hits = this.dense.search(modelId, profile, qv, Math.max(CANDIDATES, topK), scope);
      const other = this.dense.otherProfile(modelId, profile, scope).length;
      if (other > 0) failures.push(`${other} document(s) have ${modelId} vectors from another embedding profile than the loaded model's and are searched lexically only`);
      if (hits.length === 0) continue;
      // Like the lexical list: one entry per page (its best chunk), so RRF fuses two rankings of pages.
      denseLists.push((this.lexicalConfig.onePerPage ? this.bestPerPage(hits) : hits).map((h) => key(h.docId, h.chunk)));
      for (const h of hits) cosine.set(key(h.docId, h.chunk), h.score);
    }

    // A document removed while the query was being embedded (by the user, or by another tab): its hits go, rather
    // than being looked up in a library that no longer has it.
    if (models.length > 0) {
      const present = (k: string) => this.docs.has(k.slice(0, k.indexOf('\u0000')));
      lexHits = lexHits.filter((h) => this.docs.has(h.docId));
      denseLists = denseLists.map((l) => l.filter(present));
      extraLists = extraLists.map((l) => l.filter(present));
      for (const k of [...cosine.keys()]) if (!present(k)) cosine.delete(k);
    }

    /** Best cosine of any chunk of the page among the dense candidates (the page is what is ranked). */
    const pageCosine = (docId: string, page: number): number | undefined => {
      let best: number | undefined;
      for (const [k, v] of cosine) {
        const [d, c] = k.split('\u0000');
        if (d === docId && this.docs.get(d)!.chunks[Number(c)].page === page && (best === undefined || v > best)) best = v;
      }
      return best;
    };

    let ranked: { docId: string; chunk: number; score: number }[];
    let mode: ModeInfo;
    if (retriever === 'dense') {
      if (denseLists.length === 0) {
        throw new AppError('MISSING_FILE', `Dense search needs an embedding model: ${failures.join('; ') || 'no document has vectors'}.`);
      }
      ranked = [...cosine].sort((a, b) => b[1] - a[1]).map(([k, score]) => {
        const [docId, chunk] = k.split('\u0000');
        return { docId, chunk: Number(chunk), score };
      });
      mode = { mode: 'dense', reason: `cosine over ${models.join(' + ')} vectors only, as requested` };
    } else if (denseLists.length > 0 || extraLists.length > 0) {
      const lists = [lexHits.map((h) => key(h.docId, h.chunk)), ...denseLists, ...extraLists];
      const weights = [1, ...denseLists.map(() => 1), ...extraLists.map(() => this.lexicalConfig.extraQueryWeight)];
      ranked = this.lexicalConfig.onePerPage ? this.fusePages(lists, weights) : reciprocalRankFusion(lists, undefined, weights).map((f) => {
        const [docId, chunk] = f.key.split('\u0000');
        return { docId, chunk: Number(chunk), score: f.score };
      });
      const withExtras = extraLists.length > 0 ? `; ${extraLists.length} rewritten ${extraLists.length === 1 ? 'query' : 'queries'} fused by reciprocal rank` : '';
      if (denseLists.length > 0) {
        mode = { mode: 'hybrid', reason: this.hybridReason(scope, models) + withExtras };
      } else {
        const why = retriever === 'lexical' ? 'BM25 only, as requested' : failures.length > 0 ? `BM25 only: ${failures.join('; ')}` : this.lexicalReason(scope);
        mode = { mode: 'lexical', reason: why + withExtras };
      }
    } else {
      ranked = lexHits.slice(0, topK);
      const why = retriever === 'lexical' ? 'BM25 only, as requested' : failures.length > 0 ? `BM25 only: ${failures.join('; ')}` : this.lexicalReason(scope);
      mode = { mode: 'lexical', reason: why };
    }
    if (fuseTerms && extras.length > 0) mode = { ...mode, reason: `${mode.reason}; ${extras.length === 1 ? 'the rewritten query\'s' : 'rewritten queries\''} words added at weight ${this.lexicalConfig.extraQueryWeight}` };

    if (this.lexicalConfig.onePerPage) ranked = this.bestPerPage(ranked);
    const threshold = lexicalThreshold(query);
    const results: SearchResult[] = ranked.slice(0, topK).map(({ docId, chunk, score }) => {
      const doc = this.docs.get(docId)!;
      const c = doc.chunks[chunk];
      const coverage = this.lexical.coverage(weighted, docId, chunk);
      return {
        docId,
        file: doc.meta.name,
        page: c.page,
        label: c.label,
        score,
        confident: isConfident(coverage, this.lexicalConfig.onePerPage ? pageCosine(docId, c.page) : cosine.get(key(docId, chunk)), threshold, cosineFloors.get(this.dense.modelOf(docId) ?? '') ?? null),
        text: c.text,
        start: c.start,
        end: c.end,
      };
    });
    return { results, mode: mode.mode, reason: mode.reason };
  }

  /**
   * Reciprocal rank fusion of page rankings: each list (one chunk per page, best first) ranks pages; a page's
   * fused score is the RRF sum over the lists it appears in, and it is shown by the chunk of the list that ranks
   * it highest (the lexical list on a tie). Fusing chunk keys instead would split a page that the two lists
   * reach through different chunks into two weak entries.
   */
  private fusePages(lists: string[][], weights?: readonly number[]): { docId: string; chunk: number; score: number }[] {
    const pageKey = (k: string) => {
      const [docId, chunk] = k.split('\u0000');
      return `${docId}\u0000${this.docs.get(docId)!.chunks[Number(chunk)].page}`;
    };
    const shownBy = new Map<string, { chunkKey: string; rank: number; primary: boolean }>();
    lists.forEach((list, l) => {
      // A list weighted below 1 (an extra query) shows a page only when no full-weight list has it: the
      // passage shown (and its "confident" coverage) stays the one the question's own words found.
      const primary = (weights?.[l] ?? 1) >= 1;
      list.forEach((k, rank) => {
        const p = pageKey(k);
        const seen = shownBy.get(p);
        if (!seen || (primary && !seen.primary) || (primary === seen.primary && rank < seen.rank)) shownBy.set(p, { chunkKey: k, rank, primary });
      });
    });
    return reciprocalRankFusion(lists.map((l) => l.map(pageKey)), undefined, weights).map((f) => {
      const [docId, chunk] = shownBy.get(f.key)!.chunkKey.split('\u0000');
      return { docId, chunk: Number(chunk), score: f.score };
    });
  }

  /**
   * The lexical candidates: BM25 over the (conversation-weighted) terms, with a follow-up's topic prior
   * (topic-prior.ts). When the gate judged the question a change of topic, the rankings without and with the
   * prior are fused by reciprocal rank (the prior's at followUpGateFusion; 0 = the prior is dropped), so that
   * the pages the question's own words find stay on top and the previous turn's pages still get a place.
   */
  private lexicalHits(terms: Map<string, number>, prior: TopicPrior, n: number, scope?: ReadonlySet<string>): LexicalHit[] {
    const pageOf = (h: LexicalHit) => this.docs.get(h.docId)!.chunks[h.chunk].page;
    if (prior.pages.length === 0) return this.lexical.search(terms, n, scope);
    const all = this.lexical.search(terms, Number.MAX_SAFE_INTEGER, scope);
    const withPrior = withTopicPrior(all, prior.pages, pageOf, this.lexicalConfig).slice(0, n);
    if (!prior.topicChanged) return withPrior;
    const key = (h: LexicalHit) => `${h.docId}\u0000${h.chunk}`;
    return this.fusePages([all.slice(0, n).map(key), withPrior.map(key)], [1, this.lexicalConfig.followUpGateFusion]).slice(0, n);
  }

  /**
   * The previous turn's pages that a follow-up's topic prior favours (topic-prior.ts): none when the prior is
   * off; with followUpPriorGate, `topicChanged` when the question's own words confidently point somewhere else
   * (then the prior only joins by fusion, followUpGateFusion, or not at all).
   */
  private topicPrior(query: string, previous: ConversationTurn, scope?: ReadonlySet<string>): TopicPrior {
    const { followUpPagePrior, followUpPriorPages, followUpPriorGate, followUpGateFusion } = this.lexicalConfig;
    const pages = followUpPagePrior > 0 ? (previous.pages ?? []).slice(0, followUpPriorPages) : [];
    if (pages.length === 0 || !followUpPriorGate) return { pages, topicChanged: false };
    const own = this.lexical.queryTerms(query);
    const [top] = this.lexical.search(own, 1, scope);
    const ownTop = top && { docId: top.docId, page: this.docs.get(top.docId)!.chunks[top.chunk].page, confident: this.lexical.coverage(own, top.docId, top.chunk) >= lexicalThreshold(query) };
    if (topicContinues(ownTop, pages)) return { pages, topicChanged: false };
    return followUpGateFusion > 0 ? { pages, topicChanged: true } : { pages: [], topicChanged: true };
  }

  /** Keeps the best-ranked chunk of each page (the list is already best first). */
  private bestPerPage<T extends { docId: string; chunk: number }>(ranked: T[]): T[] {
    const seen = new Set<string>();
    return ranked.filter((r) => {
      const key = `${r.docId}\u0000${this.docs.get(r.docId)!.chunks[r.chunk].page}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

    private scope(docIds?: readonly string[]): ReadonlySet<string> | undefined {
    return docIds ? new Set(docIds) : undefined;
  }

  private lexicalReason(scope?: ReadonlySet<string>): string {
    const reasons = new Set<string>();
    for (const [id, d] of this.docs) if (!scope || scope.has(id)) reasons.add(d.meta.lexicalOnlyReason ?? 'document indexed without vectors');
    return reasons.size > 0 ? `BM25 only: ${[...reasons].join('; ')}` : 'BM25 only: no documents';
  }

  private hybridReason(scope: ReadonlySet<string> | undefined, models: string[]): string {
    const inScope = [...this.docs.keys()].filter((id) => !scope || scope.has(id));
    const withoutVectors = inScope.filter((id) => !this.dense.has(id)).length;
    return (
      `BM25 + ${models.join(' + ')} vectors, fused by reciprocal rank` +
      (withoutVectors > 0 ? ` (${withoutVectors} of ${inScope.length} documents have no vectors and are found lexically only)` : '')
    );
  }

  /** A document already in the keyword index gets its final meta and, when there are any, its vectors. */
  private attach(doc: LoadedDoc, meta: StoredMeta, vectors?: StoredVectors): void {
    doc.meta = meta;
    this.stale.delete(meta.docId);
    if (vectors) this.dense.addDocument(meta.docId, vectors.modelId, vectors.profile ?? legacyProfileKey(vectors.modelId), vectors.dim, vectors.data);
  }

  private commit(meta: StoredMeta, chunks: Chunk[], vectors?: StoredVectors): void {
    this.docs.set(meta.docId, { meta, chunks });
    this.lexical.addDocument(meta.docId, chunks);
    if (vectors) this.dense.addDocument(meta.docId, vectors.modelId, vectors.profile ?? legacyProfileKey(vectors.modelId), vectors.dim, vectors.data);
  }

  private async deleteKeys(docId: string): Promise<void> {
    for (const k of await this.store.keys()) if (k.startsWith(docPrefix(docId))) await this.store.del(k);
  }
}

/** The chunks' passage vectors, in batches (progress, cancellation), tagged with the embedder's profile. */
async function embedChunks(embedder: Embedder, modelId: string, chunks: readonly Chunk[], name: string, { signal, onProgress }: AddOptions): Promise<StoredVectors> {
  const rows: Float32Array[] = [];
  for (let b = 0; b < chunks.length; b += EMBED_BATCH) {
    const batch = chunks.slice(b, b + EMBED_BATCH).map((c) => c.text);
    rows.push(...(await embedder.embedPassages(batch, signal)));
    throwIfAborted(signal);
    onProgress?.({ phase: 'embed', loaded: Math.min(b + EMBED_BATCH, chunks.length), total: chunks.length, file: name });
  }
  const dim = rows[0].length;
  const data = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => data.set(r, i * dim));
  return { modelId, profile: profileKey(embedder.profile), dim, data };
}

/**
 * Vectors for `chunks` when `previous` (with their vectors `before`, same model and profile) were embedded
 * already: a chunk identical to an earlier one (same page, offsets and text) keeps its row, the rest are embedded.
 */
async function embedNewChunks(embedder: Embedder, modelId: string, chunks: readonly Chunk[], previous: readonly Chunk[], before: StoredVectors, name: string, opts: AddOptions): Promise<StoredVectors> {
  const key = (c: Chunk) => `${c.page}\u0000${c.start}\u0000${c.end}\u0000${c.text}`;
  const rowOf = new Map(previous.map((c, i) => [key(c), i]));
  const fresh = chunks.filter((c) => !rowOf.has(key(c)));
  const embedded = fresh.length > 0 ? await embedChunks(embedder, modelId, fresh, name, opts) : null;
  const dim = before.dim;
  if (embedded && embedded.dim !== dim) return embedChunks(embedder, modelId, chunks, name, opts);
  const data = new Float32Array(chunks.length * dim);
  let next = 0;
  chunks.forEach((c, i) => {
    const row = rowOf.get(key(c));
    if (row !== undefined) data.set(before.data.subarray(row * dim, (row + 1) * dim), i * dim);
    else data.set(embedded!.data.subarray(next * dim, ++next * dim), i * dim);
  });
  return { modelId, profile: before.profile, dim, data };
}

/** Why stored vectors cannot be used with today's models, or undefined when they can. */
function staleVectorsReason(v: StoredVectors): string | undefined {
  if (!(EMBEDDING_MODELS as readonly string[]).includes(v.modelId)) {
    return `its vectors come from ${v.modelId}, which is no longer an embedding model of this app (now ${EMBEDDING_MODELS.join(', ')}); they are computed again when semantic search can use the current model`;
  }
  if ((v.profile ?? legacyProfileKey(v.modelId)) !== profileKey(embeddingProfile(v.modelId))) {
    return `its ${v.modelId} vectors were computed another way (embedding profile ${v.profile ?? 'without prefixes'}); they are computed again when semantic search can use the model`;
  }
  return undefined;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
