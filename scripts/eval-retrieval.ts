// `npm run eval:retrieval [-- --sweep] [-- --verbose] [-- --chunk-tokens N --overlap N] [-- --model-dir DIR]`
// Indexes every fixture PDF of ../shared/fixtures/pdfs together and asks the questions of
// eval/retrieval-questions.json. Prints recall@1, recall@5 (right file and physical page) and MRR for
// lexical (the headline table), then dense and hybrid retrieval — those only when an embedding model is
// available locally (nothing is downloaded), otherwise it says so:
//   - default: the models in the Node model cache (src/retrieval/node-model-cache.ts: $PDFCHAT_MODEL_CACHE or
//     ~/.cache/pdfchat/models/<model id>/);
//   - --model-dir DIR: one model folder (config.json, tokenizer.json, tokenizer_config.json,
//     onnx/model_quantized.onnx) used for every document, English and CJK alike.
// A model whose config.json carries the test-model marker (the tiny trigram model written by
// scripts/make-tiny-embedder.ts) is announced as such: its numbers check the pipeline, not quality.
// No-answer questions are scored by whether the top hit is (correctly) not marked confident. --sweep
// repeats the evaluation for several chunk sizes/overlaps (how the defaults in src/retrieval/chunker.ts
// were chosen).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, dirname, join, resolve } from 'node:path';
import { extractPdf } from '../src/pdf/extract';
import { AppError } from '../src/shared/errors';
import { DocumentLibrary, type SearchOptions } from '../src/retrieval/library';
import { MemoryStore } from '../src/retrieval/store';
import { DEFAULT_CHUNKING, type ChunkOptions } from '../src/retrieval/chunker';
import { missingModelFiles, NodeCachedEmbedderProvider, REQUIRED_MODEL_FILES } from '../src/retrieval/node-model-cache';
import { loadTransformersEmbedder } from '../src/retrieval/transformers-embedder';
import { EMBEDDING_MODELS, NoEmbedderProvider, type Embedder, type EmbedderProvider } from '../src/retrieval/embedder';
import { TEST_MODEL_MARKER } from './make-tiny-embedder';
import { contentHash } from '../src/retrieval/content-hash';
import type { PageText } from '../src/retrieval/types';

interface Question {
  id: string;
  lang: string;
  q: string;
  answers: { file: string; pages: number[] }[];
}
interface Manifest {
  files: { name: string; encrypted: { user_password: string | null } }[];
}
type Retriever = 'lexical' | 'dense' | 'hybrid';
interface Scores {
  r1: number;
  r5: number;
  mrr: number;
  rejected: number;
  confident: number;
  answerable: number;
  unanswerable: number;
  misses: string[];
}

const root = fileURLToPath(new URL('..', import.meta.url));
const fixtures = join(root, '..', 'shared', 'fixtures', 'pdfs');
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const stringFlag = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? argv[i + 1] : undefined;
  if (i >= 0 && (v === undefined || v.startsWith('--'))) throw new AppError('BAD_ARGUMENT', `--${name} needs a value.`);
  return v;
};
const numberFlag = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};

async function main(): Promise<void> {
  if (!existsSync(join(fixtures, 'MANIFEST.json'))) {
    console.log(`Fixture PDFs not found at ${fixtures}: nothing to evaluate.`);
    return;
  }
  const modelDir = stringFlag('model-dir');
  if (modelDir) {
    const lacks = missingModelFiles(dirname(resolve(modelDir)), basename(resolve(modelDir)));
    if (lacks.length > 0) throw new AppError('MISSING_FILE', `--model-dir ${modelDir} lacks ${lacks.join(', ')}: point it at a model folder (e.g. one written by scripts/make-tiny-embedder.ts --out DIR).`);
  }
  const questions = (JSON.parse(readFileSync(join(root, 'eval', 'retrieval-questions.json'), 'utf8')) as { questions: Question[] }).questions;
  const manifest = JSON.parse(readFileSync(join(fixtures, 'MANIFEST.json'), 'utf8')) as Manifest;

  // Extract every fixture once.
  const docs: { name: string; docId: string; pages: PageText[] }[] = [];
  const t0 = performance.now();
  for (const f of manifest.files) {
    const data = new Uint8Array(readFileSync(join(fixtures, f.name)));
    try {
      const res = await extractPdf(data, f.encrypted.user_password ? { password: f.encrypted.user_password } : {});
      const pages = res.pages.filter((p) => p.quality === 'ok' && p.text.trim() !== '');
      docs.push({ name: f.name, docId: await contentHash(data), pages });
    } catch (e) {
      const err = AppError.from(e);
      console.log(`(not indexed: ${f.name}: ${err.code})`);
    }
  }
  const pageCount = docs.reduce((n, d) => n + d.pages.length, 0);
  console.log(`Extracted ${docs.length} PDFs, ${pageCount} text pages in ${((performance.now() - t0) / 1000).toFixed(1)} s.`);
  const answerable = questions.filter((q) => q.answers.length > 0).length;
  console.log(`${questions.length} questions: ${answerable} answerable (${questions.filter((q) => q.answers.length && q.lang === 'zh').length} in Chinese), ${questions.length - answerable} with no answer in any document.\n`);

  const provider: EmbedderProvider & { describe(modelId: string): string } = modelDir
    ? new FolderEmbedderProvider(resolve(modelDir))
    : new CacheEmbedderProvider();
  const available: string[] = [];
  const missing: string[] = [];
  for (const m of EMBEDDING_MODELS) {
    const got = await provider.get(m);
    if (got.embedder) available.push(m);
    else missing.push(got.reason);
  }
  const denseOk = available.length > 0;
  const testModels = available.filter((m) => isTestModel(provider.describe(m)));

  const configs: ChunkOptions[] = flag('sweep')
    ? [
        { chunkTokens: 64, overlapTokens: 0 },
        { chunkTokens: 64, overlapTokens: 16 },
        { chunkTokens: 128, overlapTokens: 0 },
        { chunkTokens: 128, overlapTokens: 32 },
        { chunkTokens: 192, overlapTokens: 48 },
        { chunkTokens: 256, overlapTokens: 0 },
        { chunkTokens: 256, overlapTokens: 64 },
      ]
    : [{ chunkTokens: numberFlag('chunk-tokens', DEFAULT_CHUNKING.chunkTokens), overlapTokens: numberFlag('overlap', DEFAULT_CHUNKING.overlapTokens) }];

  const lexicalRows: string[][] = [];
  const denseRows: string[][] = [];
  for (const chunking of configs) {
    const lib = await buildLibrary(docs, chunking, denseOk ? provider : new NoEmbedderProvider());
    const retrievers: Retriever[] = denseOk ? ['lexical', 'dense', 'hybrid'] : ['lexical'];
    for (const r of retrievers) {
      const s = await evaluate(lib, questions, r === 'hybrid' ? 'auto' : r);
      (r === 'lexical' ? lexicalRows : denseRows).push([
        `${chunking.chunkTokens}/${chunking.overlapTokens}`,
        r,
        pct(s.r1 / s.answerable),
        pct(s.r5 / s.answerable),
        s.mrr.toFixed(3),
        `${s.rejected}/${s.unanswerable}`,
        `${s.confident}/${s.answerable}`,
      ]);
      if (flag('verbose') && s.misses.length) console.log(`${r} ${chunking.chunkTokens}/${chunking.overlapTokens} misses:\n  ${s.misses.join('\n  ')}`);
    }
  }
  const head = ['chunk/overlap (tokens)', 'retriever', 'recall@1', 'recall@5', 'MRR', 'no-answer rejected', 'answerable confident'];
  console.log('Lexical (BM25):');
  printTable(head, lexicalRows);
  if (!denseOk) {
    console.log(`\nDense and hybrid not evaluated: no embedding model is available locally (${missing.join('; ')}).`);
    if (!modelDir) {
      console.log(`Put ${EMBEDDING_MODELS.join(' and ')} (${REQUIRED_MODEL_FILES.join(', ')}) under ${(provider as CacheEmbedderProvider).cacheDir}, or pass --model-dir DIR, to include them.`);
    }
    return;
  }
  console.log(`\nDense and hybrid (${available.map((m) => `${m} = ${provider.describe(m)}`).join('; ')}${missing.length ? `; unavailable: ${missing.join('; ')}` : ''}):`);
  if (testModels.length > 0) {
    console.log(
      `NOTE: ${testModels.length === available.length ? 'the model' : `${testModels.join(', ')}`} is the tiny TEST model of scripts/make-tiny-embedder.ts ` +
        '(hashed letter trigrams), NOT a semantic model. These rows prove that the dense/hybrid pipeline runs end to end ' +
        '(tokenizer, ONNX, pooling, dense index, RRF); they are not a measure of retrieval quality with all-MiniLM-L6-v2.',
    );
  }
  printTable(head, denseRows);
}

/** The models of the Node model cache (what `cli ask` uses). */
class CacheEmbedderProvider extends NodeCachedEmbedderProvider {
  describe(modelId: string): string {
    return join(this.cacheDir, modelId);
  }
}

/** One local model folder, used for every embedding model id. */
class FolderEmbedderProvider implements EmbedderProvider {
  private loaded?: Promise<Embedder>;
  constructor(readonly dir: string) {}

  describe(): string {
    return this.dir;
  }

  async get(): Promise<{ embedder: Embedder } | { embedder: null; reason: string }> {
    const missing = missingModelFiles(dirname(this.dir), basename(this.dir));
    if (missing.length > 0) return { embedder: null, reason: `${this.dir} lacks ${missing.join(', ')}` };
    this.loaded ??= loadTransformersEmbedder(basename(this.dir), { allowRemote: false, localModelPath: dirname(this.dir) });
    try {
      return { embedder: await this.loaded };
    } catch (e) {
      return { embedder: null, reason: AppError.from(e).message };
    }
  }
}

function isTestModel(modelDir: string): boolean {
  try {
    return TEST_MODEL_MARKER in (JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as object);
  } catch {
    return false;
  }
}

async function buildLibrary(docs: { name: string; docId: string; pages: PageText[] }[], chunking: ChunkOptions, embedders: EmbedderProvider) {
  const lib = new DocumentLibrary({ store: new MemoryStore(), embedders, chunking });
  for (const d of docs) await lib.add(d.docId, d.name, d.pages);
  return lib;
}

async function evaluate(lib: DocumentLibrary, questions: Question[], retriever: SearchOptions['retriever']): Promise<Scores> {
  const s: Scores = { r1: 0, r5: 0, mrr: 0, rejected: 0, confident: 0, answerable: 0, unanswerable: 0, misses: [] };
  for (const q of questions) {
    const { results } = await lib.search(q.q, { topK: 10, retriever });
    if (q.answers.length === 0) {
      s.unanswerable++;
      if (results.length === 0 || !results[0].confident) s.rejected++;
      else s.misses.push(`${q.id}: confident hit ${results[0].file} p${results[0].page}`);
      continue;
    }
    s.answerable++;
    const rank = results.findIndex((r) => q.answers.some((a) => a.file === r.file && a.pages.includes(r.page))) + 1;
    if (rank === 1) s.r1++;
    if (rank >= 1 && rank <= 5) s.r5++;
    if (rank >= 1) s.mrr += 1 / rank;
    if (rank === 1 && results[0].confident) s.confident++;
    if (rank !== 1) s.misses.push(`${q.id}: rank ${rank || '>10'} (top: ${results[0] ? `${results[0].file} p${results[0].page}` : 'none'})`);
  }
  s.mrr /= Math.max(1, s.answerable);
  return s;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

function printTable(head: string[], rows: string[][]): void {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i])).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

main().catch((e) => {
  const err = AppError.from(e);
  console.error(`eval failed: ${err.code}: ${err.message}`);
  process.exit(1);
});
