import { describe, expect, it } from 'vitest';
import { DocumentLibrary, VECTORS_PENDING_REASON, type StoredMeta, type StoredVectors } from '../../src/retrieval/library';
import { MemoryStore } from '../../src/retrieval/store';
import { contentHash } from '../../src/retrieval/content-hash';
import { ENGLISH_EMBEDDING_MODEL, MULTILINGUAL_EMBEDDING_MODEL, profiledEmbedder, type Embedder, type EmbedderProvider } from '../../src/retrieval/embedder';
import { embeddingProfile, profileKey, type EmbeddingProfile } from '../../src/retrieval/embedding-profile';
import type { PageText } from '../../src/retrieval/types';
import { AppError } from '../../src/shared/errors';

// No transformers.js model can be downloaded on the test machine, so the dense path is exercised with a
// small real embedder of our own: hashed character trigrams (a classic bag-of-n-grams vector). It is
// deterministic, cheap, and similar texts get similar vectors — enough to test the plumbing around it.
// It is wrapped like every embedder in the app (profiledEmbedder), so the model id's prefixes apply.
class TrigramEmbedder implements Embedder {
  calls = 0;
  texts = 0;
  /** Every text as the model saw it (prefix included). */
  readonly seen: string[] = [];
  readonly profile: EmbeddingProfile;
  readonly embedQueries: Embedder['embedQueries'];
  readonly embedPassages: Embedder['embedPassages'];
  constructor(readonly modelId: string, private readonly dim = 256) {
    const wrapped = profiledEmbedder(modelId, embeddingProfile(modelId), async (texts) => this.vectors(texts));
    this.profile = wrapped.profile;
    this.embedQueries = wrapped.embedQueries;
    this.embedPassages = wrapped.embedPassages;
  }
  private vectors(texts: string[]): Float32Array[] {
    this.calls++;
    this.texts += texts.length;
    this.seen.push(...texts);
    return texts.map((t) => {
      const v = new Float32Array(this.dim);
      const s = ` ${t.toLowerCase()} `;
      for (let i = 0; i + 3 <= s.length; i++) {
        let h = 2166136261;
        for (let j = i; j < i + 3; j++) h = Math.imul(h ^ s.charCodeAt(j), 16777619);
        v[(h >>> 0) % this.dim] += 1;
      }
      const n = Math.hypot(...v) || 1;
      return v.map((x) => x / n);
    });
  }
}
class OneModelProvider implements EmbedderProvider {
  constructor(readonly embedder: TrigramEmbedder | null) {}
  async get(modelId: string): Promise<{ embedder: Embedder } | { embedder: null; reason: string }> {
    return this.embedder && modelId === this.embedder.modelId ? { embedder: this.embedder } : { embedder: null, reason: `${modelId} is not cached` };
  }
}

const WORDS = ('system model data value process result method table figure section number time user page report analysis ' +
  'control design network memory state field level rate order group value point line form test case source type change').split(' ');

/** Deterministic filler prose (xorshift PRNG), ~`chars` characters per page, page n labelled like a book. */
function syntheticPages(count: number, chars = 2500): PageText[] {
  let x = 0x9e3779b9;
  const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 2 ** 32);
  const pages: PageText[] = [];
  for (let p = 1; p <= count; p++) {
    let text = '';
    while (text.length < chars) {
      const n = 6 + Math.floor(rnd() * 12);
      const sentence = Array.from({ length: n }, () => WORDS[Math.floor(rnd() * WORDS.length)]).join(' ');
      text += sentence[0].toUpperCase() + sentence.slice(1) + '. ';
    }
    pages.push({ page: p, label: p <= 4 ? ['i', 'ii', 'iii', 'iv'][p - 1] : String(p - 4), text });
  }
  return pages;
}

const zenPages: PageText[] = [
  { page: 1, label: '1', text: 'Beautiful is better than ugly. Explicit is better than implicit. Readability counts.' },
  { page: 2, label: '2', text: 'Errors should never pass silently. Unless explicitly silenced. Namespaces are one honking great idea.' },
];

/**
 * IndexedDB on a full disk or over the site's quota, as Chromium reports it: the transaction fails with a
 * DOMException named QuotaExceededError whose message says nothing about a quota ("Encountered disk full while
 * committing transaction." on a full disk; an empty message when the quota manager refuses). Node has no
 * IndexedDB, so the store throws exactly that once `room` writes have been taken.
 */
class FullStore extends MemoryStore {
  constructor(private readonly message: string, private room = 0) {
    super();
  }
  override async set(key: string, value: unknown): Promise<void> {
    if (this.room <= 0) throw new DOMException(this.message, 'QuotaExceededError');
    this.room--;
    await super.set(key, value);
  }
}

describe('DocumentLibrary', () => {
  it('a store that is full (Chromium\'s QuotaExceededError, whatever its message) → QUOTA_EXCEEDED naming the document and what to free; nothing is kept', async () => {
    for (const [message, room] of [['Encountered disk full while committing transaction.', 1], ['', 0]] as const) {
      const store = new FullStore(message, room);
      const lib = new DocumentLibrary({ store, embedders: new OneModelProvider(new TrigramEmbedder(ENGLISH_EMBEDDING_MODEL)) });
      let err: AppError | null = null;
      await lib.add('zen', 'zen.pdf', zenPages).catch((e: unknown) => void (err = AppError.from(e)));
      expect(err).toMatchObject({ code: 'QUOTA_EXCEEDED' });
      expect(err!.message).toContain('"zen.pdf"');
      expect(err!.message).toMatch(/Remove some documents or models/);
      expect(await store.keys()).toEqual([]);
      expect(lib.has('zen')).toBe(false);
    }
  });

  it('keys documents by content hash: the same bytes are never indexed twice, and delete removes every key', async () => {
    const bytes = new TextEncoder().encode('%PDF-1.4 pretend these are the bytes of zen.pdf');
    const id = await contentHash(bytes);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(id).toBe(await contentHash(new Uint8Array(bytes))); // same bytes, same key
    expect(id).not.toBe(await contentHash(new TextEncoder().encode('%PDF-1.4 other bytes')));

    const store = new MemoryStore();
    const embedder = new TrigramEmbedder(ENGLISH_EMBEDDING_MODEL);
    const lib = new DocumentLibrary({ store, embedders: new OneModelProvider(embedder) });
    const first = await lib.add(id, 'zen.pdf', zenPages);
    expect(first).toMatchObject({ reused: false, embeddingModel: ENGLISH_EMBEDDING_MODEL });
    const writes = store.writes;
    const embedded = embedder.texts;
    expect((await store.keys()).sort()).toEqual([`doc:${id}:chunks`, `doc:${id}:meta`, `doc:${id}:vectors`]);

    const again = await lib.add(id, 'copy of zen.pdf', zenPages);
    expect(again).toMatchObject({ reused: true, chunkCount: first.chunkCount });
    expect(store.writes).toBe(writes);
    expect(embedder.texts).toBe(embedded);

    // A new session over the same store: loads chunks and vectors, embeds nothing but the query.
    const reopened = await DocumentLibrary.open({ store, embedders: new OneModelProvider(embedder) });
    expect(reopened.has(id)).toBe(true);
    expect((await reopened.add(id, 'zen.pdf', zenPages)).reused).toBe(true);
    const res = await reopened.search('namespaces honking idea', { topK: 1 });
    expect(res.mode).toBe('hybrid');
    expect(res.results[0]).toMatchObject({ docId: id, file: 'zen.pdf', page: 2, label: '2', confident: true });
    expect(embedder.texts).toBe(embedded + 1);
    expect(store.writes).toBe(writes);

    await reopened.remove(id);
    expect(await store.keys()).toEqual([]);
    expect(reopened.has(id)).toBe(false);
    expect((await reopened.search('namespaces', { topK: 3 })).results).toEqual([]);
  });

  it('returns results with offsets into the page text and says lexical mode and why when no model is available', async () => {
    const lib = new DocumentLibrary({ store: new MemoryStore(), embedders: new OneModelProvider(null) });
    await lib.add('zen', 'zen.pdf', zenPages);
    const res = await lib.search('should mistakes be silent?', { topK: 2 });
    expect(res.mode).toBe('lexical');
    expect(res.reason).toContain('not cached');
    const top = res.results[0];
    expect(top).toMatchObject({ page: 2, file: 'zen.pdf' });
    expect(zenPages[1].text.slice(top.start, top.end)).toBe(top.text);
    expect((await lib.mode()).mode).toBe('lexical');
    // Nothing in the library is about this: no confident hit.
    const none = await lib.search('What is the boiling point of mercury?', { topK: 3 });
    expect(none.results.every((r) => !r.confident)).toBe(true);
  });

  it('fuses lexical and dense lists in hybrid mode and filters by document', async () => {
    const embedder = new TrigramEmbedder(ENGLISH_EMBEDDING_MODEL);
    const lib = new DocumentLibrary({ store: new MemoryStore(), embedders: new OneModelProvider(embedder) });
    await lib.add('zen', 'zen.pdf', zenPages);
    await lib.add('other', 'other.pdf', syntheticPages(3));
    const res = await lib.search('beautiful better than ugly', { topK: 3 });
    expect(res.mode).toBe('hybrid');
    expect(res.reason).toContain('reciprocal rank');
    expect(res.results[0]).toMatchObject({ docId: 'zen', page: 1 });
    // RRF scores: the top hit is first in both lists → 1/61 + 1/61.
    expect(res.results[0].score).toBeCloseTo(2 / 61, 12);
    const onlyOther = await lib.search('beautiful better than ugly', { topK: 3, docIds: ['other'] });
    expect(onlyOther.results.every((r) => r.docId === 'other')).toBe(true);
  });

  it('a document removed while a hybrid search embeds the query is left out of the results (it used to throw a TypeError)', async () => {
    const embedder = new TrigramEmbedder(ENGLISH_EMBEDDING_MODEL);
    // Queries wait while `held` is set, as behind a busy embedder worker; passages (indexing) never do.
    let held: Promise<void> | null = null;
    const provider: EmbedderProvider = {
      async get(modelId) {
        const got = await new OneModelProvider(embedder).get(modelId);
        if (!got.embedder) return got;
        const real = got.embedder;
        return { embedder: { modelId: real.modelId, profile: real.profile, embedPassages: real.embedPassages, embedQueries: async (q: string[]) => (await held, real.embedQueries(q)) } };
      },
    };
    const lib = new DocumentLibrary({ store: new MemoryStore(), embedders: provider });
    await lib.add('zen', 'zen.pdf', zenPages);
    await lib.add('other', 'other.pdf', [...zenPages.map((p) => ({ ...p, text: `${p.text} (a copy)` })), ...syntheticPages(2)]);
    let release!: () => void;
    held = new Promise<void>((r) => (release = r));
    const searching = lib.search('beautiful better than ugly', { topK: 5 });
    await new Promise((r) => setTimeout(r, 20));
    await lib.remove('other');
    release();
    const res = await searching;
    expect(res.mode).toBe('hybrid');
    expect(res.results.length).toBeGreaterThan(0);
    expect(res.results.every((r) => r.docId === 'zen')).toBe(true);
  });

  it('cancels indexing through an AbortSignal without leaving anything behind', async () => {
    for (const withModel of [false, true]) {
      const store = new MemoryStore();
      const embedder = new TrigramEmbedder(ENGLISH_EMBEDDING_MODEL);
      const lib = new DocumentLibrary({ store, embedders: new OneModelProvider(withModel ? embedder : null) });
      const ctrl = new AbortController();
      const phases: string[] = [];
      const p = lib.add('big', 'big.pdf', syntheticPages(120), {
        signal: ctrl.signal,
        onProgress: (pr) => {
          phases.push(pr.phase);
          if (pr.phase === (withModel ? 'embed' : 'chunk') && pr.loaded >= (withModel ? 32 : 50)) ctrl.abort();
        },
      });
      await expect(p).rejects.toSatisfy((e: unknown) => e instanceof AppError && e.code === 'ABORTED');
      expect(await store.keys()).toEqual([]);
      expect(lib.has('big')).toBe(false);
      if (withModel) expect(embedder.texts).toBeLessThan(100);
      else expect(phases).not.toContain('index');
    }
  });

  it('a document removed while it is being indexed does not come back (the add gives up with ABORTED, nothing stored)', async () => {
    for (const withModel of [false, true]) {
      const store = new MemoryStore();
      const lib = new DocumentLibrary({ store, embedders: new OneModelProvider(withModel ? new TrigramEmbedder(ENGLISH_EMBEDDING_MODEL) : null) });
      let removing: Promise<void> | null = null;
      // Removed as the user would: while the add is under way (its first progress report), not before it started.
      const adding = lib.add('doc', 'doc.pdf', syntheticPages(60), { onProgress: () => { removing ??= lib.remove('doc'); } });
      await expect(adding).rejects.toSatisfy((e: unknown) => e instanceof AppError && e.code === 'ABORTED' && /removed while it was being indexed/.test(e.message));
      await removing;
      expect(lib.has('doc')).toBe(false);
      expect(await store.keys()).toEqual([]);
      expect((await lib.search('control design network', { topK: 3 })).results).toEqual([]);
      // The same bytes added again later index normally.
      expect((await lib.add('doc', 'doc.pdf', syntheticPages(60))).reused).toBe(false);
      expect(lib.has('doc')).toBe(true);
    }
  });

  it('removeOrphans deletes the stored index of a document without a record (and drops it from search), keeps the others, and skips one whose lock is held', async () => {
    const store = new MemoryStore();
    const writer = new DocumentLibrary({ store });
    await writer.add('kept', 'kept.pdf', zenPages);
    await writer.add('orphan', 'orphan.pdf', [{ page: 1, label: '1', text: 'The lighthouse keeper writes down the wind speed every evening.' }]);
    await writer.add('busy', 'busy.pdf', [{ page: 1, label: '1', text: 'The harbour office opens at seven in the morning.' }]);
    const docKeys = async (id: string) => (await store.keys()).filter((k) => k.startsWith(`doc:${id}:`));
    // Opened as a tab's start-up does: the orphan's index is loaded and searchable until it is swept.
    const lib = await DocumentLibrary.open({ store });
    expect((await lib.search('lighthouse keeper wind speed', { topK: 3 })).results.map((r) => r.docId)).toContain('orphan');
    const records = new Set(['kept']);
    const asked: string[] = [];
    const removed = await lib.removeOrphans({
      hasRecord: async (id) => records.has(id),
      // 'busy' is locked by another tab (adding it right now): its deletion is not run.
      lock: async (id, work) => {
        asked.push(id);
        if (id !== 'busy') await work();
      },
    });
    expect(removed).toEqual(['orphan']);
    expect(asked.sort()).toEqual(['busy', 'orphan']);
    expect(await docKeys('orphan')).toEqual([]);
    expect(await docKeys('kept')).toHaveLength(2);
    expect(await docKeys('busy')).toHaveLength(2);
    expect(lib.has('orphan')).toBe(false);
    expect((await lib.search('lighthouse keeper wind speed', { topK: 3 })).results.map((r) => r.docId)).not.toContain('orphan');
    expect((await lib.search('beautiful better than ugly', { topK: 1 })).results[0].docId).toBe('kept');
    // The record asked again under the lock: a record written meanwhile (the document was being added) keeps its index.
    const again = await lib.removeOrphans({
      hasRecord: async (id) => records.has(id),
      lock: async (id, work) => {
        records.add(id);
        await work();
      },
    });
    expect(again).toEqual([]);
    expect(await docKeys('busy')).toHaveLength(2);
  });

  it('load() takes a document another tab indexed after this library was opened, in place of what it held', async () => {
    const store = new MemoryStore();
    const lib = await DocumentLibrary.open({ store });
    expect(await lib.load('zen')).toBe(false);
    expect(lib.has('zen')).toBe(false);
    const otherTab = await DocumentLibrary.open({ store });
    await otherTab.add('zen', 'zen.pdf', zenPages);
    expect(await lib.load('zen')).toBe(true);
    expect((await lib.search('namespaces honking great idea', { topK: 1 })).results[0]).toMatchObject({ docId: 'zen', page: 2 });
    // Loading again replaces (not doubles) its terms: the same scores as a library that loaded it once.
    const first = (await lib.search('explicit better implicit', { topK: 2 })).results.map((r) => r.score);
    expect(await lib.load('zen')).toBe(true);
    expect((await lib.search('explicit better implicit', { topK: 2 })).results.map((r) => r.score)).toEqual(first);
  });

  it('an index of the text pages only (OCR still to come) is partial, searched, and replaced by the whole document; unchanged chunks keep their vectors', async () => {
    const store = new MemoryStore();
    const embedder = new TrigramEmbedder(ENGLISH_EMBEDDING_MODEL);
    const lib = await DocumentLibrary.open({ store, embedders: new OneModelProvider(embedder) });
    const text = syntheticPages(6, 1200).filter((p) => p.page !== 3);
    const first = await lib.add('book', 'book.pdf', text, { replace: true, pendingPages: [3] });
    expect(first.reused).toBe(false);
    expect(lib.isPartial('book')).toBe(true);
    expect((await store.get<StoredMeta>('doc:book:meta'))?.pendingPages).toEqual([3]);
    // Searched meanwhile; a reload finds it partial too.
    const planted = text.find((p) => p.page === 5)!;
    const hit = await lib.search(planted.text.slice(0, 120), { topK: 1 });
    expect(hit.mode).toBe('hybrid');
    expect(hit.results[0].page).toBe(5);
    expect((await DocumentLibrary.open({ store })).isPartial('book')).toBe(true);
    const embeddedBefore = embedder.texts;
    const chunksBefore = (await store.get<unknown[]>('doc:book:chunks'))!.length;

    // Page 3 recognised: the whole document replaces the partial index; only page 3's chunks are embedded.
    const recognised = { page: 3, label: 'i', text: 'Recognised text: the quarterly flange inventory was reconciled by the night shift.' };
    const whole = [...text, recognised].sort((a, b) => a.page - b.page);
    const second = await lib.add('book', 'book.pdf', whole, { replace: true });
    expect(second.reused).toBe(false);
    expect(lib.isPartial('book')).toBe(false);
    expect(embedder.texts - embeddedBefore).toBe(1);
    const chunks = (await store.get<{ page: number }[]>('doc:book:chunks'))!;
    expect(chunks.length).toBe(chunksBefore + 1);
    const meta = (await store.get<StoredMeta>('doc:book:meta'))!;
    expect(meta.pendingPages).toBeUndefined();
    expect(meta.chunkCount).toBe(chunks.length);
    // The reused rows are the vectors a fresh embedding gives: a library that indexes the whole document anew agrees.
    const stored = (await store.get<StoredVectors>('doc:book:vectors'))!;
    const fresh = await DocumentLibrary.open({ store: new MemoryStore(), embedders: new OneModelProvider(new TrigramEmbedder(ENGLISH_EMBEDDING_MODEL)) });
    await fresh.add('book', 'book.pdf', whole);
    expect(stored.data.length).toBe(chunks.length * stored.dim);
    expect([...stored.data].map((v) => Math.round(v * 1e6))).toEqual([...(await fresh['store'].get<StoredVectors>('doc:book:vectors'))!.data].map((v) => Math.round(v * 1e6)));
    // The recognised page is found, its words counted once (not twice: the old index is gone from the rankers).
    const r = await lib.search('quarterly flange inventory reconciled', { topK: 3 });
    expect(r.results[0].page).toBe(3);
    expect(r.results.filter((x) => x.page === 3)).toHaveLength(1);
    const reloaded = await DocumentLibrary.open({ store, embedders: new OneModelProvider(embedder) });
    expect((await reloaded.search('quarterly flange inventory reconciled', { topK: 1 })).results[0].score).toBeCloseTo(r.results[0].score, 6);
    // Without replace, an indexed document is still never indexed twice.
    expect((await lib.add('book', 'book.pdf', text)).reused).toBe(true);
  });

  it('with onKeywordIndexed a document is searched by keywords while the embedding model loads and its vectors are computed; a cancel then leaves nothing', async () => {
    const store = new MemoryStore();
    const trigram = new TrigramEmbedder(ENGLISH_EMBEDDING_MODEL);
    // The embedding model is still loading (downloading, say) when the document is added.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const provider: EmbedderProvider = { get: async (id) => (await gate, id === trigram.modelId ? { embedder: trigram } : { embedder: null, reason: 'not cached' }) };
    const lib = await DocumentLibrary.open({ store, embedders: provider });
    let keywordIndexed!: () => void;
    const searchable = new Promise<void>((resolve) => (keywordIndexed = resolve));
    const adding = lib.add('zen', 'zen.pdf', zenPages, { onKeywordIndexed: keywordIndexed });
    await searchable;
    // Keywords find it already; the mode says why there are no vectors; the store holds a keyword-only index.
    const early = await lib.search('namespaces honking great idea', { topK: 1 });
    expect(early.results[0]).toMatchObject({ docId: 'zen', page: 2 });
    expect(early.mode).toBe('lexical');
    expect(early.reason).toContain(VECTORS_PENDING_REASON);
    expect((await store.get<StoredMeta>('doc:zen:meta'))).toMatchObject({ embeddingModel: null, lexicalOnlyReason: VECTORS_PENDING_REASON });
    expect(await store.get('doc:zen:vectors')).toBeUndefined();
    expect((await DocumentLibrary.open({ store })).has('zen')).toBe(true);
    open();
    expect((await adding).embeddingModel).toBe(ENGLISH_EMBEDDING_MODEL);
    const late = await lib.search('namespaces honking great idea', { topK: 1 });
    expect(late.mode).toBe('hybrid');
    expect(late.results[0]).toMatchObject({ docId: 'zen', page: 2 });
    expect((await store.get<StoredMeta>('doc:zen:meta'))).toMatchObject({ embeddingModel: ENGLISH_EMBEDDING_MODEL });
    expect((await store.get<StoredMeta>('doc:zen:meta'))!.lexicalOnlyReason).toBeUndefined();
    expect((await store.get<StoredVectors>('doc:zen:vectors'))!.data.length).toBeGreaterThan(0);

    // Cancelled while its vectors are computed: nothing of it is left, in the store or in search.
    let hold!: () => void;
    const stuck = new Promise<void>((resolve) => (hold = resolve));
    const slow: Embedder = { ...trigram, embedPassages: async (texts, signal) => (await stuck, trigram.embedPassages(texts, signal)) };
    const lib2 = await DocumentLibrary.open({ store: new MemoryStore(), embedders: { get: async () => ({ embedder: slow }) } });
    const controller = new AbortController();
    let indexed = false;
    const cancelled = lib2.add('book', 'book.pdf', syntheticPages(3, 800), { signal: controller.signal, onKeywordIndexed: () => (indexed = true) });
    await expect.poll(() => indexed).toBe(true);
    expect(lib2.has('book')).toBe(true);
    controller.abort();
    hold();
    expect((await cancelled.catch((e: unknown) => e)) as AppError).toMatchObject({ code: 'ABORTED' });
    expect(lib2.has('book')).toBe(false);
    expect(await lib2['store'].keys()).toEqual([]);
  });

  it('a replacement the store refuses leaves no half-written index behind, and the library stops searching the old one', async () => {
    const store = new FullStore('Encountered disk full while committing transaction.', 3);
    const lib = await DocumentLibrary.open({ store });
    await lib.add('zen', 'zen.pdf', zenPages.slice(0, 1), { replace: true, pendingPages: [2] });
    const err = await lib.add('zen', 'zen.pdf', zenPages, { replace: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('QUOTA_EXCEEDED');
    expect(await store.keys()).toEqual([]);
    expect(lib.has('zen')).toBe(false);
    expect((await lib.search('beautiful better ugly', { topK: 1 })).results).toEqual([]);
  });

  it('indexes 300 pages lexically and finds a planted passage (the time is printed, not asserted)', async () => {
    const pages = syntheticPages(300);
    pages[216] = { ...pages[216], text: pages[216].text + ' The warranty for the centrifugal pump expires after eighteen months of operation.' };
    const lib = new DocumentLibrary({ store: new MemoryStore() });
    const t0 = performance.now();
    const out = await lib.add('manual', 'manual.pdf', pages);
    const indexMs = performance.now() - t0;
    const t1 = performance.now();
    const res = await lib.search('how long is the centrifugal pump warranty?', { topK: 5 });
    const searchMs = performance.now() - t1;
    console.log(`300 pages (${out.chunkCount} chunks, ${(pages.reduce((n, p) => n + p.text.length, 0) / 1e6).toFixed(2)} M chars): indexed lexically in ${indexMs.toFixed(0)} ms, one search ${searchMs.toFixed(1)} ms`);
    expect(res.results[0]).toMatchObject({ page: 217, label: '213', confident: true });
  });
});

const zhPages: PageText[] = [
  { page: 1, label: '1', text: '知识库主要介绍产品的安装步骤和常见问题。安装前请关闭所有正在运行的程序。' },
  { page: 2, label: '2', text: '如何备份数据：打开设置，选择备份，然后点击开始。备份文件保存在用户目录中。' },
];
const OLD_MULTILINGUAL = 'Xenova/paraphrase-multilingual-MiniLM-L12-v2';

/**
 * A store holding zh.pdf as the previous version stored it: vectors (no profile field) and meta of
 * paraphrase-multilingual-MiniLM (the chunks indexed by `e5`, the vectors' data kept).
 */
async function storedByOldModel(e5: TrigramEmbedder): Promise<MemoryStore> {
  const store = new MemoryStore();
  await new DocumentLibrary({ store, embedders: new OneModelProvider(e5) }).add('zh', 'zh.pdf', zhPages);
  const v = (await store.get<StoredVectors>('doc:zh:vectors'))!;
  await store.set('doc:zh:vectors', { modelId: OLD_MULTILINGUAL, dim: v.dim, data: v.data });
  await store.set('doc:zh:meta', { ...(await store.get<StoredMeta>('doc:zh:meta'))!, embeddingModel: OLD_MULTILINGUAL });
  return store;
}

describe('embedding profiles at every call site, and stored vectors of another model or profile', () => {
  it('prefixes passages and questions (also a follow-up built from the conversation) for E5, nothing for MiniLM', async () => {
    const e5 = new TrigramEmbedder(MULTILINGUAL_EMBEDDING_MODEL);
    const mini = new TrigramEmbedder(ENGLISH_EMBEDDING_MODEL);
    const provider: EmbedderProvider = { get: async (id) => ({ embedder: id === e5.modelId ? e5 : mini }) };
    const lib = new DocumentLibrary({ store: new MemoryStore(), embedders: provider });
    expect((await lib.add('zh', 'zh.pdf', zhPages)).embeddingModel).toBe(MULTILINGUAL_EMBEDDING_MODEL);
    expect((await lib.add('zen', 'zen.pdf', zenPages)).embeddingModel).toBe(ENGLISH_EMBEDDING_MODEL);
    expect(e5.seen.length).toBeGreaterThan(0);
    expect(e5.seen.every((t) => t.startsWith('passage: '))).toBe(true);
    expect(mini.seen.length).toBeGreaterThan(0);
    expect(mini.seen.some((t) => /^(passage|query): /.test(t))).toBe(false);

    e5.seen.length = mini.seen.length = 0;
    const res = await lib.search('那怎么备份呢？', { topK: 2, history: [{ question: '数据保存在哪里？' }] });
    expect(res.mode).toBe('hybrid');
    expect(e5.seen).toHaveLength(1);
    expect(e5.seen[0]).toMatch(/^query: /);
    expect(e5.seen[0]).toContain('数据保存在哪里'); // the conversation's query, prefixed once
    expect(mini.seen).toHaveLength(1);
    expect(mini.seen[0]).not.toMatch(/^query: /);
  });

  it('does not mix vectors stored by the old multilingual model with E5 queries: reports them, then re-embeds the stored chunks', async () => {
    const e5 = new TrigramEmbedder(MULTILINGUAL_EMBEDDING_MODEL);
    const store = await storedByOldModel(e5);

    const before = e5.texts;
    const lib = await DocumentLibrary.open({ store, embedders: new OneModelProvider(e5) });
    const [meta] = lib.documents();
    expect(meta.embeddingModel).toBeNull();
    expect(meta.lexicalOnlyReason).toContain(`its vectors come from ${OLD_MULTILINGUAL}, which is no longer an embedding model`);
    const lexical = await lib.search('怎么备份数据？', { topK: 1 });
    expect(lexical.mode).toBe('lexical');
    expect(lexical.reason).toContain(OLD_MULTILINGUAL);
    expect(lexical.results[0]).toMatchObject({ docId: 'zh', page: 2 });
    expect(e5.texts).toBe(before); // no query was embedded against the old vectors

    expect(await lib.reembedStale()).toBe(1);
    const stored = (await store.get<StoredVectors>('doc:zh:vectors'))!;
    expect(stored).toMatchObject({ modelId: MULTILINGUAL_EMBEDDING_MODEL, profile: profileKey(embeddingProfile(MULTILINGUAL_EMBEDDING_MODEL)) });
    expect(stored.data.length).toBe(meta.chunkCount * stored.dim);
    expect((await store.get<StoredMeta>('doc:zh:meta'))).toMatchObject({ embeddingModel: MULTILINGUAL_EMBEDDING_MODEL });
    expect((await store.get<StoredMeta>('doc:zh:meta'))!.lexicalOnlyReason).toBeUndefined();
    const hybrid = await lib.search('怎么备份数据？', { topK: 1 });
    expect(hybrid.mode).toBe('hybrid');
    expect(hybrid.results[0]).toMatchObject({ docId: 'zh', page: 2 });
    expect(await lib.reembedStale()).toBe(0);
    // A new session loads the re-embedded vectors as they are.
    const reopened = await DocumentLibrary.open({ store, embedders: new OneModelProvider(e5) });
    expect(reopened.documents()[0].embeddingModel).toBe(MULTILINGUAL_EMBEDDING_MODEL);
  });

  it('keyword-only documents get vectors from their stored chunks once the model is there (no re-extraction; keyword search works throughout)', async () => {
    const store = new MemoryStore();
    await new DocumentLibrary({ store, embedders: new OneModelProvider(null) }).add('zh', 'zh.pdf', zhPages);
    const e5 = new TrigramEmbedder(MULTILINGUAL_EMBEDDING_MODEL);
    const lib = await DocumentLibrary.open({ store, embedders: new OneModelProvider(e5) });
    expect(lib.documents()[0]).toMatchObject({ embeddingModel: null });
    expect((await lib.search('怎么备份数据？', { topK: 1 })).mode).toBe('lexical');
    expect(await lib.embedLexicalOnly()).toBe(1);
    expect(e5.texts).toBe(lib.documents()[0].chunkCount); // the stored chunks, each embedded once
    expect(lib.documents()[0].embeddingModel).toBe(MULTILINGUAL_EMBEDDING_MODEL);
    expect((await store.get<StoredMeta>('doc:zh:meta'))!).toMatchObject({ embeddingModel: MULTILINGUAL_EMBEDDING_MODEL });
    const hybrid = await lib.search('怎么备份数据？', { topK: 1 });
    expect(hybrid.mode).toBe('hybrid');
    expect(hybrid.results[0]).toMatchObject({ docId: 'zh', page: 2 });
    expect(await lib.embedLexicalOnly()).toBe(0); // nothing left without vectors
    // Without the model nothing changes and nothing fails.
    const other = new DocumentLibrary({ store: new MemoryStore(), embedders: new OneModelProvider(null) });
    await other.add('zh', 'zh.pdf', zhPages);
    expect(await other.embedLexicalOnly()).toBe(0);
    expect((await other.search('怎么备份数据？', { topK: 1 })).results[0]).toMatchObject({ docId: 'zh', page: 2 });
  });

  it('a document removed while its stale vectors are re-embedded leaves nothing behind in the store', async () => {
    const e5 = new TrigramEmbedder(MULTILINGUAL_EMBEDDING_MODEL);
    const store = await storedByOldModel(e5);
    // The re-embedding's model call waits until the test has removed the document (a slow embedder).
    let entered!: () => void, release!: () => void;
    const inCall = new Promise<void>((r) => { entered = r; });
    const gate = new Promise<void>((r) => { release = r; });
    const slow: Embedder = { modelId: e5.modelId, profile: e5.profile, embedQueries: e5.embedQueries, embedPassages: async (texts, signal) => { entered(); await gate; return e5.embedPassages(texts, signal); } };
    const lib = await DocumentLibrary.open({ store, embedders: { get: async (id) => (id === e5.modelId ? { embedder: slow } : { embedder: null, reason: 'not cached' }) } });
    const reembedding = lib.reembedStale();
    await inCall;
    await lib.remove('zh');
    expect(await store.keys()).toEqual([]);
    release();
    expect(await reembedding).toBe(0);
    expect(await store.keys()).toEqual([]); // nothing written back for the removed document
    expect(lib.has('zh')).toBe(false);
  });

  it('treats E5 vectors stored without the prefixes as stale, and keeps MiniLM vectors stored before profiles existed', async () => {
    const store = new MemoryStore();
    const e5 = new TrigramEmbedder(MULTILINGUAL_EMBEDDING_MODEL);
    const mini = new TrigramEmbedder(ENGLISH_EMBEDDING_MODEL);
    const provider: EmbedderProvider = { get: async (id) => ({ embedder: id === e5.modelId ? e5 : mini }) };
    const first = new DocumentLibrary({ store, embedders: provider });
    await first.add('zh', 'zh.pdf', zhPages);
    await first.add('zen', 'zen.pdf', zenPages);
    for (const id of ['zh', 'zen']) {
      const { profile: _p, ...legacy } = (await store.get<StoredVectors>(`doc:${id}:vectors`))!;
      await store.set(`doc:${id}:vectors`, legacy); // as stored before profiles were recorded
    }
    // The E5 model is not available this session: the document stays lexical and says why.
    const lib = await DocumentLibrary.open({ store, embedders: new OneModelProvider(mini) });
    const docs = Object.fromEntries(lib.documents().map((d) => [d.docId, d]));
    expect(docs.zen.embeddingModel).toBe(ENGLISH_EMBEDDING_MODEL);
    expect(docs.zh.embeddingModel).toBeNull();
    expect(docs.zh.lexicalOnlyReason).toContain(`its ${MULTILINGUAL_EMBEDDING_MODEL} vectors were computed another way`);
    expect(await lib.reembedStale()).toBe(0);
    const res = await lib.search('namespaces honking idea', { topK: 1 });
    expect(res.mode).toBe('hybrid');
    expect(res.reason).toContain('1 of 2 documents have no vectors');
    expect(res.results[0]).toMatchObject({ docId: 'zen', page: 2 });
  });

  it('never compares a query with vectors of another profile for the same model id (an embedder that calls the model differently)', async () => {
    const store = new MemoryStore();
    const e5 = new TrigramEmbedder(MULTILINGUAL_EMBEDDING_MODEL);
    const lib = new DocumentLibrary({ store, embedders: new OneModelProvider(e5) });
    await lib.add('zh', 'zh.pdf', zhPages);
    // The same model id, served by an embedder with the plain profile (no prefixes).
    const plain = new TrigramEmbedder('some-local-folder');
    const odd: Embedder = { modelId: MULTILINGUAL_EMBEDDING_MODEL, profile: plain.profile, embedQueries: plain.embedQueries, embedPassages: plain.embedPassages };
    const other = await DocumentLibrary.open({ store, embedders: { get: async () => ({ embedder: odd }) } });
    const res = await other.search('怎么备份数据？', { topK: 1 });
    expect(res.mode).toBe('lexical');
    expect(res.reason).toContain('vectors from another embedding profile');
    expect(res.results[0]).toMatchObject({ docId: 'zh', page: 2 });
  });
});

describe('library scale and characters', () => {
  it('the follow-up prior copes with 200k matching chunks (a spread of that many scores overflowed the stack)', async () => {
    const { withTopicPrior } = await import('../../src/retrieval/topic-prior');
    const { DEFAULT_LEXICAL } = await import('../../src/retrieval/lexical-config');
    const hits = Array.from({ length: 200_000 }, (_, i) => ({ docId: 'd', chunk: i, score: (i % 997) / 997 }));
    const out = withTopicPrior(hits, [{ docId: 'd', page: 5 }], (h) => h.chunk, DEFAULT_LEXICAL);
    expect(out).toHaveLength(200_000);
    // The previous turn's page is lifted by the prior: followUpPagePrior × the best score.
    expect(out.find((h) => h.chunk === 5)!.score).toBeCloseTo(5 / 997 + DEFAULT_LEXICAL.followUpPagePrior * (996 / 997), 9);
    for (let i = 1; i < 1000; i++) expect(out[i - 1].score).toBeGreaterThanOrEqual(out[i].score);
  });
});

describe('CJK single characters outside the Basic Multilingual Plane', () => {
  it('weigh like any single character (an Extension B ideograph is two UTF-16 units, not two characters)', async () => {
    const lib = new DocumentLibrary({ store: new MemoryStore() });
    // Two pages of the same shape: one with an Extension B character, one with a BMP character in its place.
    await lib.add('x', 'x.pdf', [
      { page: 1, label: '1', text: '这一页写着𠀀字和别的字' },
      { page: 2, label: '2', text: '这一页写着丁字和别的字' },
    ]);
    const astral = (await lib.search('𠀀', { topK: 1 })).results[0];
    const bmp = (await lib.search('丁', { topK: 1 })).results[0];
    expect(astral.page).toBe(1);
    expect(bmp.page).toBe(2);
    expect(astral.score).toBeCloseTo(bmp.score, 9);
  });
});
