// The dense half of hybrid retrieval with a REAL model run by transformers.js + onnxruntime-node: the tiny
// hashed-letter-trigram ONNX model written by scripts/make-tiny-embedder.ts (no download needed). It is a
// test model — surface form only — so these tests prove the pipeline (files → tokenizer → ONNX graph →
// mean pooling → vectors → dense index → RRF), not retrieval quality. See docs/RETRIEVAL.md.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installTinyEmbedder, TEST_MODEL_MARKER, tinyVocabulary, TINY_EMBEDDER_DIM } from '../../scripts/make-tiny-embedder';
import { NodeCachedEmbedderProvider } from '../../src/retrieval/node-model-cache';
import { loadTransformersEmbedder, type TransformersEmbedder } from '../../src/retrieval/transformers-embedder';
import { EMBEDDING_MODELS, ENGLISH_EMBEDDING_MODEL, MULTILINGUAL_EMBEDDING_MODEL, type EmbedderProvider } from '../../src/retrieval/embedder';
import { embeddingProfile, profileKey } from '../../src/retrieval/embedding-profile';
import { DocumentLibrary, type StoredMeta, type StoredVectors } from '../../src/retrieval/library';
import { MemoryStore } from '../../src/retrieval/store';
import { contentHash } from '../../src/retrieval/content-hash';
import { RRF_K } from '../../src/retrieval/fusion';
import type { SearchResult } from '../../src/retrieval/types';
import { AppError } from '../../src/shared/errors';
import { startHub, type Hub } from '../../e2e/hub-server';
import { makeTempDir } from '../temp-dir';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = fileURLToPath(new URL('../../../shared/fixtures/pdfs/', import.meta.url));
const fixtureSkip = existsSync(join(fixtures, 'MANIFEST.json')) ? '' : `fixture PDFs not found at ${fixtures}`;
if (fixtureSkip) console.warn(`skipping the fixture-PDF part of the real-embedder tests: ${fixtureSkip}`);

/** A model cache ($PDFCHAT_MODEL_CACHE layout) holding the tiny model under both embedding model ids. */
const cacheDir = makeTempDir('pdfchat-tiny-embedder-');
let embedder: TransformersEmbedder;

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

beforeAll(async () => {
  installTinyEmbedder(cacheDir, EMBEDDING_MODELS);
  const got = await new NodeCachedEmbedderProvider(cacheDir).get(ENGLISH_EMBEDDING_MODEL);
  if (!got.embedder) throw new Error(`the generated model did not load: ${got.reason}`);
  embedder = got.embedder as TransformersEmbedder;
}, 30_000);
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe('transformers.js runs the generated ONNX model from the local model cache', () => {
  it('writes a BERT-type model folder marked as a test model (so scripts/eval-retrieval.ts says so)', () => {
    for (const id of EMBEDDING_MODELS) {
      const config = JSON.parse(readFileSync(join(cacheDir, id, 'config.json'), 'utf8'));
      expect(config).toMatchObject({ model_type: 'bert', hidden_size: TINY_EMBEDDER_DIM, vocab_size: tinyVocabulary().length });
      expect(config[TEST_MODEL_MARKER]).toMatch(/not a semantic model/);
    }
  });

  it('tokenises with the generated WordPiece vocabulary (letter trigrams)', () => {
    const vocab = tinyVocabulary();
    const ids = embedder.tokenizer.encode('Recording x86 知识', { add_special_tokens: true });
    expect(ids).toEqual(['[CLS]', 'rec', '##ord', '##ing', 'x', '##86', '知', '识', '[SEP]'].map((t) => vocab.indexOf(t)));
  });

  it('returns unit vectors of the model dimension, the same for a text alone or padded in a batch', async () => {
    const short = 'traces are recorded';
    const long = 'The monitor aborts the recorder when a trace keeps failing, and the loop header is blacklisted for a while.';
    const [alone] = await embedder.embedPassages([short]);
    const [batched, other] = await embedder.embedPassages([short, long]);
    expect(alone).toHaveLength(TINY_EMBEDDER_DIM);
    expect(dot(alone, alone)).toBeCloseTo(1, 5);
    expect(dot(other, other)).toBeCloseTo(1, 5);
    // The short text is padded to the long one's length: padding must not move its mean-pooled vector.
    for (let i = 0; i < alone.length; i++) expect(batched[i]).toBeCloseTo(alone[i], 5);
    expect(dot(alone, other)).toBeLessThan(0.99);
  });

  it('puts a re-worded passage (shared word stems) nearer than unrelated text — and knows no synonyms', async () => {
    const [query, reworded, unrelated1, unrelated2, car, automobile] = await embedder.embedPassages([
      'blacklisting loops whose trace recording aborted',
      'The recorder aborts when a trace cannot be compiled, and the loop is blacklisted.',
      'Beautiful is better than ugly. Readability counts.',
      'The bakery sold more bread in spring than in winter.',
      'car',
      'automobile',
    ]);
    const near = dot(query, reworded);
    expect(near).toBeGreaterThan(0.4);
    expect(near).toBeGreaterThan(dot(query, unrelated1) + 0.3);
    expect(near).toBeGreaterThan(dot(query, unrelated2) + 0.3);
    // Not a semantic model: synonyms without letters in common are unrelated to it.
    expect(dot(car, automobile)).toBeLessThan(0.3);
  });
});

describe('the multilingual-e5-small profile on the generated ONNX model (query: / passage: prefixes, truncation)', () => {
  let e5: TransformersEmbedder;
  beforeAll(async () => {
    const got = await new NodeCachedEmbedderProvider(cacheDir).get(MULTILINGUAL_EMBEDDING_MODEL);
    if (!got.embedder) throw new Error(got.reason);
    e5 = got.embedder as TransformersEmbedder;
  }, 30_000);

  it('embeds the same text differently as a query and as a passage — by exactly the prefixes the profile names', async () => {
    expect(e5.profile).toMatchObject({ id: MULTILINGUAL_EMBEDDING_MODEL, queryPrefix: 'query: ', passagePrefix: 'passage: ', pooling: 'mean', normalize: true });
    const text = 'Errors should never pass silently';
    const [asQuery] = await e5.embedQueries([text]);
    const [asPassage] = await e5.embedPassages([text]);
    expect(dot(asQuery, asQuery)).toBeCloseTo(1, 5);
    expect(dot(asQuery, asPassage)).toBeLessThan(0.99);
    // The English id loads the same generated weights with MiniLM's profile (no prefixes): spelling the
    // prefixes out by hand there gives the E5 vectors exactly.
    const [byHandQuery, byHandPassage, bare] = await embedder.embedPassages([`query: ${text}`, `passage: ${text}`, text]);
    for (let i = 0; i < asQuery.length; i++) {
      expect(asQuery[i]).toBeCloseTo(byHandQuery[i], 5);
      expect(asPassage[i]).toBeCloseTo(byHandPassage[i], 5);
    }
    expect(dot(asPassage, bare)).toBeLessThan(0.99);
  });

  it('truncates at the profile\'s maxTokens (512): text beyond it does not change the vector', async () => {
    expect(e5.profile.maxTokens).toBe(512);
    const long = Array.from({ length: 400 }, (_, i) => `word${i % 10} trace`).join(' '); // > 512 tokens
    expect(e5.tokenizer.encode(long).length).toBeGreaterThan(600);
    const [a, b, short] = await e5.embedPassages([long, `${long} completely different ending about bakeries`, 'trace']);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 6);
    expect(dot(a, short)).toBeLessThan(0.99);
  });
});

describe.skipIf(fixtureSkip !== '')('DocumentLibrary in hybrid mode on fixture PDFs with the real ONNX embedder', () => {
  const store = new MemoryStore();
  const lib = new DocumentLibrary({ store, embedders: new NodeCachedEmbedderProvider(cacheDir) });
  const ids: Record<string, string> = {};
  const outcomes: Record<string, Awaited<ReturnType<DocumentLibrary['add']>>> = {};
  const files = ['compressed.tracemonkey-pldi-09.pdf', 'zen_of_python_corrupted.pdf', 'rotation.pdf', 'issue12823.pdf'];

  beforeAll(async () => {
    const { extractPdf } = await import('../../src/pdf/extract');
    for (const f of files) {
      const data = new Uint8Array(readFileSync(join(fixtures, f)));
      const pages = (await extractPdf(data)).pages.filter((p) => p.quality === 'ok' && p.text.trim() !== '');
      ids[f] = await contentHash(data);
      outcomes[f] = await lib.add(ids[f], f, pages);
    }
  }, 60_000);

  it('embeds every chunk with the model of its language and stores unit vectors', async () => {
    expect(outcomes['compressed.tracemonkey-pldi-09.pdf'].embeddingModel).toBe(ENGLISH_EMBEDDING_MODEL);
    expect(outcomes['issue12823.pdf'].embeddingModel).toBe(MULTILINGUAL_EMBEDDING_MODEL);
    for (const f of files) {
      expect(outcomes[f].lexicalOnlyReason).toBeUndefined();
      const v = await store.get<StoredVectors>(`doc:${ids[f]}:vectors`);
      expect(v).toMatchObject({ dim: TINY_EMBEDDER_DIM, modelId: outcomes[f].embeddingModel });
      expect(v!.data.length).toBe(outcomes[f].chunkCount * TINY_EMBEDDER_DIM);
      for (let r = 0; r < outcomes[f].chunkCount; r++) {
        const row = v!.data.subarray(r * TINY_EMBEDDER_DIM, (r + 1) * TINY_EMBEDDER_DIM);
        expect(dot(row, row)).toBeCloseTo(1, 4);
      }
    }
    expect(outcomes['compressed.tracemonkey-pldi-09.pdf'].chunkCount).toBeGreaterThan(50);
    const mode = await lib.mode();
    expect(mode.mode).toBe('hybrid');
    expect(mode.reason).toContain(ENGLISH_EMBEDDING_MODEL);
    expect(mode.reason).toContain(MULTILINGUAL_EMBEDDING_MODEL);
  });

  it('ranks by cosine alone in dense mode (the Chinese page by the multilingual id, a tracemonkey page for a VM question)', async () => {
    const zh = await lib.search('知识库主要介绍什么内容？', { topK: 3, retriever: 'dense' });
    expect(zh.mode).toBe('dense');
    expect(zh.results[0]).toMatchObject({ file: 'issue12823.pdf', page: 1 });
    expect(zh.results[0].score).toBeGreaterThan(zh.results[1].score + 0.2);
    const vm = await lib.search('How does the VM stop wasting time on traces that keep failing to record?', { topK: 5, retriever: 'dense' });
    expect(vm.results[0]).toMatchObject({ file: 'compressed.tracemonkey-pldi-09.pdf', page: 6 });
    for (let i = 1; i < vm.results.length; i++) expect(vm.results[i].score).toBeLessThanOrEqual(vm.results[i - 1].score);
    expect(vm.results.every((r) => r.score > -1 && r.score < 1)).toBe(true);
  });

  it('stores the Chinese document\'s vectors with the E5 profile and the English ones with MiniLM\'s', async () => {
    for (const [f, id] of [['issue12823.pdf', MULTILINGUAL_EMBEDDING_MODEL], ['compressed.tracemonkey-pldi-09.pdf', ENGLISH_EMBEDDING_MODEL]] as const) {
      expect(await store.get<StoredVectors>(`doc:${ids[f]}:vectors`)).toMatchObject({ modelId: id, profile: profileKey(embeddingProfile(id)) });
    }
  });

  it('finds the right page with every document under the E5 profile (prefixed passages and query)', async () => {
    // As `eval:retrieval --model-dir …/multilingual-e5-small` runs it: one model for both languages.
    const e5Only: EmbedderProvider = { get: () => new NodeCachedEmbedderProvider(cacheDir).get(MULTILINGUAL_EMBEDDING_MODEL) };
    const e5Lib = new DocumentLibrary({ store: new MemoryStore(), embedders: e5Only });
    const { extractPdf } = await import('../../src/pdf/extract');
    for (const f of ['compressed.tracemonkey-pldi-09.pdf', 'zen_of_python_corrupted.pdf', 'issue12823.pdf']) {
      const pages = (await extractPdf(new Uint8Array(readFileSync(join(fixtures, f))))).pages.filter((p) => p.quality === 'ok' && p.text.trim() !== '');
      await e5Lib.add(ids[f], f, pages);
    }
    const vm = await e5Lib.search('How does the VM stop wasting time on traces that keep failing to record?', { topK: 5, retriever: 'dense' });
    expect(vm.results[0]).toMatchObject({ file: 'compressed.tracemonkey-pldi-09.pdf', page: 6 });
    const zh = await e5Lib.search('知识库主要介绍什么内容？', { topK: 3, retriever: 'dense' });
    expect(zh.results[0]).toMatchObject({ file: 'issue12823.pdf', page: 1 });
  }, 60_000);

  it('does not mix stored vectors of another model id with E5 query vectors; re-embeds them from the stored chunks', async () => {
    const zhStore = new MemoryStore();
    const zhId = ids['issue12823.pdf'];
    for (const k of ['meta', 'chunks', 'vectors']) await zhStore.set(`doc:${zhId}:${k}`, await store.get(`doc:${zhId}:${k}`));
    // As the previous version stored it: paraphrase-multilingual-MiniLM vectors, no profile recorded.
    const old = 'Xenova/paraphrase-multilingual-MiniLM-L12-v2';
    const v = (await zhStore.get<StoredVectors>(`doc:${zhId}:vectors`))!;
    await zhStore.set(`doc:${zhId}:vectors`, { modelId: old, dim: v.dim, data: v.data });
    await zhStore.set(`doc:${zhId}:meta`, { ...(await zhStore.get<StoredMeta>(`doc:${zhId}:meta`))!, embeddingModel: old });

    const reopened = await DocumentLibrary.open({ store: zhStore, embedders: new NodeCachedEmbedderProvider(cacheDir) });
    expect(reopened.documents()[0].lexicalOnlyReason).toContain(old);
    const err = await reopened.search('知识库主要介绍什么内容？', { topK: 3, retriever: 'dense' }).catch((e) => e);
    expect(err).toMatchObject({ code: 'MISSING_FILE' });
    expect((await reopened.search('知识库主要介绍什么内容？', { topK: 3 })).mode).toBe('lexical');

    expect(await reopened.reembedStale()).toBe(1);
    const redone = (await zhStore.get<StoredVectors>(`doc:${zhId}:vectors`))!;
    expect(redone).toMatchObject({ modelId: MULTILINGUAL_EMBEDDING_MODEL, profile: profileKey(embeddingProfile(MULTILINGUAL_EMBEDDING_MODEL)) });
    // The same vectors as a fresh E5 indexing of the document.
    expect(Array.from(redone.data)).toEqual(Array.from(v.data));
    const zh = await reopened.search('知识库主要介绍什么内容？', { topK: 3, retriever: 'dense' });
    expect(zh.results[0]).toMatchObject({ file: 'issue12823.pdf', page: 1 });
  }, 30_000);

  it('fuses the BM25 list and the ONNX cosine list by reciprocal rank', async () => {
    const q = 'How does the VM stop wasting time on traces that keep failing to record?';
    const docIds = ['compressed.tracemonkey-pldi-09.pdf', 'zen_of_python_corrupted.pdf', 'rotation.pdf'].map((f) => ids[f]);
    // Both lists and the fusion rank pages (one chunk per page, LexicalConfig.onePerPage).
    const key = (r: SearchResult) => `${r.file}#${r.page}`;
    const lexical = (await lib.search(q, { topK: 50, docIds, retriever: 'lexical' })).results.map(key);
    const dense = (await lib.search(q, { topK: 50, docIds, retriever: 'dense' })).results.map(key);
    const hybrid = await lib.search(q, { topK: 10, docIds });
    expect(hybrid.mode).toBe('hybrid');
    expect(hybrid.results[0]).toMatchObject({ file: 'compressed.tracemonkey-pldi-09.pdf', page: 6 });
    let denseHelped = 0;
    for (const r of hybrid.results) {
      const l = lexical.indexOf(key(r));
      const d = dense.indexOf(key(r));
      const expected = (l >= 0 ? 1 / (RRF_K + l + 1) : 0) + (d >= 0 ? 1 / (RRF_K + d + 1) : 0);
      expect(r.score).toBeCloseTo(expected, 10);
      if (d >= 0 && d < l) denseHelped++;
    }
    expect(denseHelped).toBeGreaterThan(0); // the dense list moved at least one passage up
  });

  it('`cli ask` reports hybrid mode when the model is in $PDFCHAT_MODEL_CACHE', async () => {
    const pdfs = ['zen_of_python_corrupted.pdf', 'rotation.pdf', 'issue12823.pdf'].flatMap((f) => ['--pdf', join(fixtures, f)]);
    const { code, stdout } = await cli(['ask', ...pdfs, '--question', 'which page is in landscape orientation?', '--top-k', '3', '--json'], {
      PDFCHAT_MODEL_CACHE: cacheDir,
    });
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.mode).toBe('hybrid');
    expect(out.reason).toContain(ENGLISH_EMBEDDING_MODEL);
    expect(out.results[0]).toMatchObject({ file: expect.stringContaining('rotation.pdf'), page: 2 });
  }, 60_000);
});

describe('download once from a configurable hub endpoint, then from transformers.js\' cache', () => {
  let hub: Hub;
  let downloaded: TransformersEmbedder;
  const progress: number[] = [];
  const downloadCache = makeTempDir('pdfchat-transformers-cache-');
  const modelPath = `/${ENGLISH_EMBEDDING_MODEL}/resolve/main/`;
  beforeAll(async () => {
    hub = await startHub({ root: cacheDir });
    downloaded = await loadTransformersEmbedder(ENGLISH_EMBEDDING_MODEL, {
      allowRemote: true,
      remoteHost: hub.url,
      cacheDir: downloadCache,
      onProgress: (p) => p.file === 'onnx/model_quantized.onnx' && progress.push(p.loaded),
    });
  }, 30_000);
  afterAll(async () => {
    await hub?.close();
    rmSync(downloadCache, { recursive: true, force: true });
  });

  it('fetches each file once from the hub and caches it; a second process makes no request', async () => {
    const full = hub.requests.filter((r) => r.method === 'GET' && r.status === 200).map((r) => r.path);
    expect(full.sort()).toEqual(['config.json', 'onnx/model_quantized.onnx', 'tokenizer.json', 'tokenizer_config.json'].map((f) => modelPath + f));
    expect(hub.requests.every((r) => r.path.startsWith(modelPath))).toBe(true);
    expect(progress.at(-1)).toBe(readFileSync(join(cacheDir, ENGLISH_EMBEDDING_MODEL, 'onnx/model_quantized.onnx')).length);
    // Cached byte for byte under cacheDir/<model id>/ (not inside node_modules).
    for (const f of ['config.json', 'tokenizer.json', 'onnx/model_quantized.onnx']) {
      expect(readFileSync(join(downloadCache, ENGLISH_EMBEDDING_MODEL, f)).equals(readFileSync(join(cacheDir, ENGLISH_EMBEDDING_MODEL, f)))).toBe(true);
    }
    const text = 'trace recording failure';
    expect(dot((await downloaded.embedPassages([text]))[0], (await embedder.embedPassages([text]))[0])).toBeCloseTo(1, 5);

    // A fresh process (nothing memoised in memory) loads from the cache alone: the hub logs no request.
    const before = hub.requests.length;
    const child = await node(
      `import { loadTransformersEmbedder } from './src/retrieval/transformers-embedder.ts';
       const e = await loadTransformersEmbedder(${JSON.stringify(ENGLISH_EMBEDDING_MODEL)}, { allowRemote: true, remoteHost: ${JSON.stringify(hub.url)}, cacheDir: ${JSON.stringify(downloadCache)} });
       process.stdout.write(JSON.stringify(Array.from((await e.embedPassages([${JSON.stringify(text)}]))[0])));`,
    );
    expect(child.code).toBe(0);
    expect(JSON.parse(child.stdout)).toHaveLength(TINY_EMBEDDER_DIM);
    expect(hub.requests.length).toBe(before);
  }, 45_000);

  it('with downloads off, uses the cached model and refuses to fetch one that is not cached', async () => {
    const before = hub.requests.length;
    const cached = await loadTransformersEmbedder(ENGLISH_EMBEDDING_MODEL, { allowRemote: false, remoteHost: hub.url, cacheDir: downloadCache });
    expect((await cached.embedPassages(['x']))[0]).toHaveLength(TINY_EMBEDDER_DIM);
    const err = await loadTransformersEmbedder(MULTILINGUAL_EMBEDDING_MODEL, { allowRemote: false, remoteHost: hub.url, cacheDir: downloadCache }).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'MISSING_FILE', message: expect.stringContaining('downloading is off') });
    expect(hub.requests.length).toBe(before);
    expect(readdirSync(join(downloadCache, 'Xenova'))).toEqual([ENGLISH_EMBEDDING_MODEL.split('/')[1]]);
  }, 30_000);
});

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: repo, env: { ...process.env, ...env }, timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const cli = (args: string[], env: Record<string, string>) => run(['--import', 'tsx', '--import', './scripts/raw-loader.mjs', 'src/cli/main.ts', ...args], env);
const node = (moduleCode: string) => run(['--import', 'tsx', '--input-type=module', '-e', moduleCode]);
