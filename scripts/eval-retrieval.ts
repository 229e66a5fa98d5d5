// `npm run eval:retrieval [-- OPTIONS]`: retrieval quality on a question set, printed as tables.
//
// Question sets (--set NAME, default docs):
//   docs      eval/questions-docs.json over seven long manuals from Debian packages (English and Chinese),
//             fetched by `bash scripts/fetch-eval-pdfs.sh` into .cache/eval-pdfs/ (--pdf-dir DIR elsewhere).
//             Fixed dev/test split: tune on dev, report test. Also scores the follow-up pairs: the tuning
//             set eval/followups-tuning.json and the older 26 pairs of questions-docs.json (looked at while
//             building; now dev, printed with the tuning set), the second dev set eval/followups-dev2.json
//             ("dev2": written fresh on pages no other question uses, after the held-out set; printed in every
//             run, --dev-only included), and — only with --heldout — the held-out set eval/followups-heldout.json
//             (written fresh, nobody tunes on it: print it once, at the end).
//   fixtures  eval/retrieval-questions.json over ../shared/fixtures/pdfs (the set the retriever was first
//             built on; no split).
// All PDFs of a set are indexed together, so a hit must name the right file AND the right physical page.
//
// Options:
//   --verify          check that each question's evidence phrase occurs on each of its listed pages, then stop
//   --sweep           lexical retrieval for several chunk sizes/overlaps (dev split)
//   --ablate          dev split only: the lexical retriever with each improvement switched off in turn
//   --model-dir DIR   also dense and hybrid retrieval (test split) with one local model folder (config.json,
//                     tokenizer.json, tokenizer_config.json, onnx/model_quantized.onnx) for every document;
//                     without it, the models of the Node model cache are used when present. A model whose
//                     config.json carries the test-model marker (scripts/make-tiny-embedder.ts) is announced
//                     as such: its numbers check the pipeline, not quality.
//   --rewrite-model DIR  also lexical retrieval with the model's query rewrite fused in (src/retrieval/
//                     query-rewrite.ts), on the test split and the follow-up pairs, with a model folder the
//                     engine loads (WebGPU; in Node run under scripts/with-gpu-env.sh). With a test model
//                     (stories260K, random weights) this checks the pipeline only: the rewrites are nonsense.
//   --config JSON     change lexical settings (src/retrieval/lexical-config.ts), e.g. '{"feedbackTerms":0}'
//   --dev-only        report the dev split only (while tuning); never prints the held-out follow-ups
//   --heldout         also print the held-out follow-up pairs (eval/followups-heldout.json), without and with
//                     the conversation. Not while tuning: that number is read once, at the end.
//   --heldout-alone   only the held-out pairs' second turns asked ALONE (no conversation), listing those found
//                     in the top 5: the selection rule for writing new pairs (computes nothing with history)
//   --dev2-alone      the same for the dev2 pairs (eval/followups-dev2.json): how they were selected
//   --no-shown-answer follow-ups: earlier turns carry their question only (default: also the text of the
//                     top passage that search mode showed for it, as the turn's answer)
//   --verbose         list the misses
//   --no-cache        extract the PDFs again instead of reading .cache/eval-pdfs/<file>.pages.json
//   --chunk-tokens N --overlap N   chunking (defaults from src/retrieval/chunker.ts)
//
// Scores: recall@1/@5 = share of answerable questions with a right (file, page) in the top 1/5; MRR = mean
// 1/rank of the first right result within the top 10. Unanswerable questions are "caught" when no result
// is marked confident at rank 1; "false not-found" counts answerable questions whose top result is not
// confident (search mode would tell the user that nothing relevant was found); "recall@5 confident" = share of
// answerable questions whose page is among the CONFIDENT results of the top 5 (what the app hands the model).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, dirname, join, resolve } from 'node:path';
import { extractPdf } from '../src/pdf/extract';
import { AppError } from '../src/shared/errors';
import { DocumentLibrary, type ConversationTurn, type SearchOptions } from '../src/retrieval/library';
import { MemoryStore } from '../src/retrieval/store';
import { DEFAULT_CHUNKING, type ChunkOptions } from '../src/retrieval/chunker';
import { DEFAULT_LEXICAL, type LexicalConfig } from '../src/retrieval/lexical-config';
import { missingModelFiles, NodeCachedEmbedderProvider, REQUIRED_MODEL_FILES } from '../src/retrieval/node-model-cache';
import { loadTransformersEmbedder } from '../src/retrieval/transformers-embedder';
import { EMBEDDING_MODELS, NoEmbedderProvider, type Embedder, type EmbedderProvider } from '../src/retrieval/embedder';
import { TEST_MODEL_MARKER } from './make-tiny-embedder';
import { contentHash } from '../src/retrieval/content-hash';
import { DEFAULT_ANSWER_SETTINGS } from '../src/chat/answer';
import type { PageText } from '../src/retrieval/types';

interface Answer {
  file: string;
  pages: number[];
}
interface Question {
  id: string;
  lang: string;
  split?: 'dev' | 'test';
  kind?: string;
  q: string;
  answers: Answer[];
  evidence?: string;
}
interface FollowUp {
  id: string;
  lang: string;
  /**
   * 'tune': eval/followups-tuning.json, the pairs follow-up handling is tuned on; dev/test: the older 26 (looked
   * at while building, all treated as dev now); 'heldout': eval/followups-heldout.json, never tuned on;
   * 'dev2': eval/followups-dev2.json, a second dev set written on pages no other question uses.
   */
  split: 'dev' | 'test' | 'tune' | 'heldout' | 'dev2';
  turns: { q: string; answers: Answer[]; evidence?: string }[];
}
interface QuestionSet {
  questions: Question[];
  followups?: FollowUp[];
  /** eval/followups-tuning.json (docs set only). */
  tuningFollowups?: FollowUp[];
  /** eval/followups-heldout.json when present (docs set only); scored only with --heldout / --heldout-alone. */
  heldoutFollowups?: FollowUp[];
  /** eval/followups-dev2.json when present (docs set only): a second dev set, printed in every run. */
  dev2Followups?: FollowUp[];
  sources?: { file: string; package: string }[];
}
interface Doc {
  name: string;
  docId: string;
  pages: PageText[];
}
type Retriever = NonNullable<SearchOptions['retriever']>;
interface Scores {
  answerable: number;
  r1: number;
  r5: number;
  /** The answer page among the top 5 results that are confident: the passages the app gives the model. */
  r5Confident: number;
  mrr: number;
  falseNotFound: number;
  unanswerable: number;
  caught: number;
  misses: string[];
}

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const stringFlag = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? argv[i + 1] : undefined;
  if (i >= 0 && (v === undefined || v.startsWith('--'))) throw new AppError('BAD_ARGUMENT', `--${name} needs a value.`);
  return v;
};
const answerFromResults = !argv.includes('--no-shown-answer');
const numberFlag = (name: string, fallback: number) => {
  const v = stringFlag(name);
  return v === undefined ? fallback : Number(v);
};

async function main(): Promise<void> {
  const setName = stringFlag('set') ?? 'docs';
  if (setName !== 'docs' && setName !== 'fixtures') throw new AppError('BAD_ARGUMENT', `--set is docs or fixtures (got ${setName}).`);
  const modelDir = stringFlag('model-dir');
  if (modelDir) {
    const lacks = missingModelFiles(dirname(resolve(modelDir)), basename(resolve(modelDir)));
    if (lacks.length > 0) throw new AppError('MISSING_FILE', `--model-dir ${modelDir} lacks ${lacks.join(', ')}: point it at a model folder (e.g. one written by scripts/make-tiny-embedder.ts --out DIR).`);
  }
  const chunking: ChunkOptions = { chunkTokens: numberFlag('chunk-tokens', DEFAULT_CHUNKING.chunkTokens), overlapTokens: numberFlag('overlap', DEFAULT_CHUNKING.overlapTokens) };

  const { set, pdfDir, files } = loadSet(setName);
  const absent = files.filter((f) => !existsSync(join(pdfDir, f.name)));
  if (absent.length === files.length || (setName === 'docs' && absent.length > 0)) {
    console.log(
      setName === 'docs'
        ? `Evaluation PDFs not found in ${pdfDir} (${absent.map((f) => f.name).join(', ')}): run \`bash scripts/fetch-eval-pdfs.sh\` first.`
        : `Fixture PDFs not found at ${pdfDir}: nothing to evaluate.`,
    );
    return;
  }
  const docs = await extractAll(pdfDir, files, setName === 'docs' && !flag('no-cache'));
  if (flag('verify')) {
    process.exitCode = verify(set, docs) ? 0 : 1;
    return;
  }
  if (flag('heldout-alone')) {
    await secondTurnsAlone('HELD-OUT', set.heldoutFollowups ?? [], docs, chunking);
    return;
  }
  if (flag('dev2-alone')) {
    await secondTurnsAlone('dev2', set.dev2Followups ?? [], docs, chunking);
    return;
  }
  const qs = set.questions;
  const answerable = qs.filter((q) => q.answers.length > 0);
  console.log(
    `${qs.length} questions over ${docs.length} PDFs (${docs.reduce((n, d) => n + d.pages.length, 0)} text pages): ` +
      `${answerable.length} answerable (${answerable.filter((q) => q.lang === 'zh').length} Chinese), ${qs.length - answerable.length} unanswerable` +
      (set.followups ? `; ${set.followups.length} follow-up pairs.` : '.') +
      ` Chunks ${chunking.chunkTokens}/${chunking.overlapTokens} tokens.\n`,
  );

  const overrides = stringFlag('config');
  const lexical: LexicalConfig = { ...DEFAULT_LEXICAL, ...(overrides ? (JSON.parse(overrides) as Partial<LexicalConfig>) : {}) };
  if (overrides) console.log(`Lexical settings changed from the defaults: ${overrides}\n`);
  const lexLib = await buildLibrary(docs, chunking, new NoEmbedderProvider(), lexical);
  const splits = setName !== 'docs' ? ([undefined] as const) : flag('dev-only') ? (['dev'] as const) : (['dev', 'test'] as const);
  const head = ['split', 'lang', 'questions', 'recall@1', 'recall@5', 'MRR', 'unanswerable caught', 'false not-found', 'recall@5 confident'];
  const rows: string[][] = [];
  for (const split of splits) {
    for (const lang of ['en', 'zh', 'all']) {
      const sel = qs.filter((q) => (split === undefined || q.split === split) && (lang === 'all' || q.lang === lang));
      if (sel.length === 0) continue;
      const s = await evaluate(lexLib, sel, 'lexical');
      rows.push(scoreRow(split ?? 'all', lang, s));
      if (flag('verbose') && lang !== 'all' && s.misses.length) console.log(`lexical ${split ?? ''} ${lang} misses:\n  ${s.misses.join('\n  ')}`);
    }
  }
  console.log('Lexical (BM25 with page and heading evidence, stemming, stop words; no embedding model):');
  printTable(head, rows);

  if (set.followups) {
    const fuRows: string[][] = [];
    // The tuning pairs, the older 26 (looked at while building them: dev now) and dev2 always; the held-out pairs
    // only when asked for (--heldout), never while tuning (--dev-only).
    const fuSets: [string, FollowUp[]][] = [
      ['tune', set.tuningFollowups ?? []],
      ['older 26 (dev)', set.followups],
      ['dev2', set.dev2Followups ?? []],
    ];
    if (flag('heldout') && !flag('dev-only')) fuSets.push(['HELD-OUT', set.heldoutFollowups ?? []]);
    for (const [split, pairs] of fuSets) {
      for (const lang of ['en', 'zh', 'all']) {
        const sel = pairs.filter((f) => lang === 'all' || f.lang === lang);
        if (sel.length === 0) continue;
        const alone = await followUpRecall(lexLib, sel, false);
        const withHistory = await followUpRecall(lexLib, sel, true);
        fuRows.push([split, lang, String(sel.length), `${alone.hit}/${sel.length} (${pct(alone.hit / sel.length)})`, `${withHistory.hit}/${sel.length} (${pct(withHistory.hit / sel.length)})`]);
        if (flag('verbose') && lang !== 'all' && (split === 'tune' || split === 'dev2')) {
          for (const m of withHistory.misses) console.log(`follow-up miss (with conversation) ${m}`);
          for (const m of alone.hits) console.log(`follow-up found WITHOUT the conversation ${m}`);
        }
      }
    }
    console.log(
      '\nFollow-up questions (second turn; answer page in the top 5; "tune" = eval/followups-tuning.json, "older 26" = the pairs of questions-docs.json, "dev2" = eval/followups-dev2.json' +
        (flag('heldout') && !flag('dev-only') ? ', "HELD-OUT" = eval/followups-heldout.json' : '; held-out pairs: --heldout') +
        '):',
    );
    printTable(['split', 'lang', 'pairs', 'without conversation', 'with conversation'], fuRows);

    // The other side of using history: a question on a new topic must not be pulled back to the old one.
    const shiftRows: string[][] = [];
    for (const split of splits) {
      for (const lang of ['en', 'zh']) {
        const sel = answerable.filter((q) => q.split === split && q.lang === lang);
        const alone = await evaluate(lexLib, sel, 'lexical');
        const before = new Map<Question, ConversationTurn>();
        for (const q of sel) before.set(q, await turnOf(lexLib, unrelatedQuestion(answerable, q).q, [], answerFromResults, 'lexical'));
        const shifted = await evaluate(lexLib, sel, 'lexical', (q) => [before.get(q)!]);
        shiftRows.push([split ?? 'all', lang, String(sel.length), pct(alone.r5 / alone.answerable), pct(shifted.r5 / shifted.answerable), alone.mrr.toFixed(3), shifted.mrr.toFixed(3)]);
      }
    }
    console.log('\nTopic change (each answerable question asked right after a question about another manual):');
    printTable(['split', 'lang', 'questions', 'recall@5 alone', 'recall@5 after', 'MRR alone', 'MRR after'], shiftRows);
  }

  if (flag('sweep')) await sweep(docs, lexical, qs.filter((q) => q.split === 'dev' || q.split === undefined));

  if (flag('ablate')) await ablate(docs, chunking, lexical, qs.filter((q) => q.split === 'dev' || q.split === undefined), set.tuningFollowups);

  const rewriteModel = stringFlag('rewrite-model');
  if (rewriteModel) {
    const split = flag('dev-only') ? 'dev' : 'test';
    await withRewrite(docs, chunking, lexical, rewriteModel, split, qs.filter((q) => q.split === split || q.split === undefined), (split === 'dev' ? set.tuningFollowups : set.followups?.filter((f) => f.split === split)) ?? [], head);
  }

  if (flag('dev-only')) return;
  await denseAndHybrid(docs, chunking, qs.filter((q) => q.split === 'test' || q.split === undefined), modelDir, head);
}

function loadSet(name: 'docs' | 'fixtures'): { set: QuestionSet; pdfDir: string; files: { name: string; password?: string }[] } {
  if (name === 'docs') {
    const set = JSON.parse(readFileSync(join(root, 'eval', 'questions-docs.json'), 'utf8')) as QuestionSet;
    set.tuningFollowups = (JSON.parse(readFileSync(join(root, 'eval', 'followups-tuning.json'), 'utf8')) as { followups: FollowUp[] }).followups;
    const heldoutPath = join(root, 'eval', 'followups-heldout.json');
    if (existsSync(heldoutPath)) set.heldoutFollowups = (JSON.parse(readFileSync(heldoutPath, 'utf8')) as { followups: FollowUp[] }).followups;
    const dev2Path = join(root, 'eval', 'followups-dev2.json');
    if (existsSync(dev2Path)) set.dev2Followups = (JSON.parse(readFileSync(dev2Path, 'utf8')) as { followups: FollowUp[] }).followups;
    const pdfDir = resolve(stringFlag('pdf-dir') ?? join(root, '.cache', 'eval-pdfs'));
    return { set, pdfDir, files: (set.sources ?? []).map((s) => ({ name: s.file })) };
  }
  const pdfDir = join(root, '..', 'shared', 'fixtures', 'pdfs');
  const set = JSON.parse(readFileSync(join(root, 'eval', 'retrieval-questions.json'), 'utf8')) as QuestionSet;
  if (!existsSync(join(pdfDir, 'MANIFEST.json'))) return { set, pdfDir, files: [] };
  const manifest = JSON.parse(readFileSync(join(pdfDir, 'MANIFEST.json'), 'utf8')) as { files: { name: string; encrypted: { user_password: string | null } }[] };
  return { set, pdfDir, files: manifest.files.map((f) => ({ name: f.name, ...(f.encrypted.user_password ? { password: f.encrypted.user_password } : {}) })) };
}

/** Extracts every PDF (text pages only), reusing <pdf>.pages.json next to it when its content hash matches. */
async function extractAll(dir: string, files: { name: string; password?: string }[], useCache: boolean): Promise<Doc[]> {
  const docs: Doc[] = [];
  const t0 = performance.now();
  for (const f of files) {
    const path = join(dir, f.name);
    if (!existsSync(path)) continue;
    const data = new Uint8Array(readFileSync(path));
    const docId = await contentHash(data);
    const cachePath = `${path}.pages.json`;
    if (useCache && existsSync(cachePath)) {
      const cached = JSON.parse(readFileSync(cachePath, 'utf8')) as { docId: string; pages: PageText[] };
      if (cached.docId === docId) {
        docs.push({ name: f.name, docId, pages: cached.pages });
        continue;
      }
    }
    try {
      const res = await extractPdf(data, f.password ? { password: f.password } : {});
      const pages = res.pages.filter((p) => p.quality === 'ok' && p.text.trim() !== '').map((p) => ({ page: p.page, label: p.label, text: p.text }));
      docs.push({ name: f.name, docId, pages });
      if (useCache) writeFileSync(cachePath, JSON.stringify({ docId, pages }));
    } catch (e) {
      console.log(`(not indexed: ${f.name}: ${AppError.from(e).code})`);
    }
  }
  console.log(`Read ${docs.length} PDFs in ${((performance.now() - t0) / 1000).toFixed(1)} s.`);
  return docs;
}

/** Every answerable question's evidence must occur (whitespace ignored) on every page it lists. */
function verify(set: QuestionSet, docs: Doc[]): boolean {
  const squash = (s: string) => s.replace(/\s+/g, '');
  const pageText = new Map<string, string>();
  for (const d of docs) for (const p of d.pages) pageText.set(`${d.name}#${p.page}`, squash(p.text));
  const items = [
    ...set.questions.map((q) => ({ id: q.id, answers: q.answers, evidence: q.evidence })),
    ...[...(set.followups ?? []), ...(set.tuningFollowups ?? []), ...(set.heldoutFollowups ?? []), ...(set.dev2Followups ?? [])].map((f) => ({ id: f.id, answers: f.turns[f.turns.length - 1].answers, evidence: f.turns[f.turns.length - 1].evidence })),
    // Earlier turns' evidence is optional; when given it is checked too.
    ...[...(set.followups ?? []), ...(set.tuningFollowups ?? []), ...(set.heldoutFollowups ?? []), ...(set.dev2Followups ?? [])].flatMap((f) =>
      f.turns.slice(0, -1).flatMap((t, i) => (t.evidence ? [{ id: `${f.id} turn ${i + 1}`, answers: t.answers, evidence: t.evidence }] : [])),
    ),
  ];
  let bad = 0;
  let checked = 0;
  for (const it of items) {
    if (it.answers.length === 0) continue;
    if (!it.evidence) {
      console.log(`${it.id}: no evidence phrase`);
      bad++;
      continue;
    }
    for (const a of it.answers) {
      for (const p of a.pages) {
        checked++;
        if (!(pageText.get(`${a.file}#${p}`) ?? '').includes(squash(it.evidence))) {
          console.log(`${it.id}: evidence not on ${a.file} p${p}`);
          bad++;
        }
      }
    }
  }
  console.log(`${checked - bad}/${checked} (question, page) pairs verified${bad ? `; ${bad} problems` : ''}.`);
  return bad === 0;
}

async function buildLibrary(docs: Doc[], chunking: ChunkOptions, embedders: EmbedderProvider, lexical: LexicalConfig): Promise<DocumentLibrary> {
  const lib = new DocumentLibrary({ store: new MemoryStore(), embedders, chunking, lexical });
  for (const d of docs) await lib.add(d.docId, d.name, d.pages);
  return lib;
}

async function evaluate(
  lib: DocumentLibrary,
  questions: Question[],
  retriever: Retriever,
  historyOf?: (q: Question) => ConversationTurn[],
  rewrite?: (q: string, history: ConversationTurn[]) => Promise<string | null>,
): Promise<Scores> {
  const s: Scores = { answerable: 0, r1: 0, r5: 0, r5Confident: 0, mrr: 0, falseNotFound: 0, unanswerable: 0, caught: 0, misses: [] };
  for (const q of questions) {
    const history = historyOf ? historyOf(q) : [];
    const extra = rewrite ? await rewrite(q.q, history) : null;
    const { results } = await lib.search(q.q, { topK: 10, retriever, ...(historyOf ? { history } : {}), ...(extra ? { extraQueries: [extra] } : {}) });
    if (q.answers.length === 0) {
      s.unanswerable++;
      if (results.length === 0 || !results[0].confident) s.caught++;
      else s.misses.push(`${q.id}: confident hit ${results[0].file} p${results[0].page}`);
      continue;
    }
    s.answerable++;
    const rank = rankOf(results, q.answers);
    if (rank === 1) s.r1++;
    if (rank >= 1 && rank <= 5) s.r5++;
    if (rankOf(results.slice(0, 5).filter((r) => r.confident), q.answers) >= 1) s.r5Confident++;
    if (rank >= 1) s.mrr += 1 / rank;
    if (results.length === 0 || !results[0].confident) s.falseNotFound++;
    if (rank !== 1) s.misses.push(`${q.id} [${q.kind ?? ''}]: rank ${rank || '>10'} (top: ${results[0] ? `${results[0].file} p${results[0].page}` : 'none'})`);
  }
  s.mrr /= Math.max(1, s.answerable);
  return s;
}

/** Passages the app shows (or hands to the model) per turn: DEFAULT_ANSWER_SETTINGS.passages. */
const SHOWN_PASSAGES = DEFAULT_ANSWER_SETTINGS.passages;

/**
 * What the conversation remembers of an earlier turn, as the app records it (src/chat/answer.ts
 * searchHistory): the pages shown, and — no model runs here — as the turn's "answer" the text of its top
 * passage (answerFromResults); --no-shown-answer keeps question and pages only.
 */
async function turnOf(lib: DocumentLibrary, q: string, history: ConversationTurn[], shownAnswer: boolean, retriever: Retriever): Promise<ConversationTurn> {
  const { results } = await lib.search(q, { topK: SHOWN_PASSAGES, retriever, history });
  const pages = results.map((r) => ({ docId: r.docId, page: r.page }));
  if (!shownAnswer || !results[0]) return { question: q, pages };
  return { question: q, answer: results[0].text, pages };
}

/** The next question (in file order, wrapping) in the same language whose answer is in another manual. */
function unrelatedQuestion(all: Question[], q: Question): Question {
  const i = all.indexOf(q);
  for (let k = 1; k < all.length; k++) {
    const other = all[(i + k) % all.length];
    if (other.lang === q.lang && other.answers[0].file !== q.answers[0].file) return other;
  }
  return q;
}

function rankOf(results: { file: string; page: number }[], answers: Answer[]): number {
  return results.findIndex((r) => answers.some((a) => a.file === r.file && a.pages.includes(r.page))) + 1;
}

/** Second turn of each pair, alone or with the first question as conversation history. */
async function followUpRecall(
  lib: DocumentLibrary,
  pairs: FollowUp[],
  withHistory: boolean,
  retriever: Retriever = 'lexical',
  shownAnswer = answerFromResults,
  rewrite?: (q: string, history: ConversationTurn[]) => Promise<string | null>,
) {
  let hit = 0;
  const misses: string[] = [];
  const hits: string[] = [];
  for (const f of pairs) {
    const last = f.turns[f.turns.length - 1];
    const history: ConversationTurn[] = [];
    for (const t of f.turns.slice(0, -1)) history.push(await turnOf(lib, t.q, history, shownAnswer, retriever));
    const extra = rewrite ? await rewrite(last.q, withHistory ? history : []) : null;
    const { results } = await lib.search(last.q, { topK: 5, retriever, ...(withHistory ? { history } : {}), ...(extra ? { extraQueries: [extra] } : {}) });
    const rank = rankOf(results, last.answers);
    if (rank >= 1) {
      hit++;
      hits.push(`${f.id} (rank ${rank})`);
    } else misses.push(`${f.id} (top: ${results[0] ? `${results[0].file} p${results[0].page}` : 'none'})`);
  }
  return { hit, misses, hits };
}

/**
 * The held-out (or dev2) pairs' second turns asked alone (the rule they were selected by: a pair whose second turn
 * is found without the conversation is re-worded once or dropped). Nothing is retrieved with the conversation here.
 */
async function secondTurnsAlone(label: 'HELD-OUT' | 'dev2', pairs: FollowUp[], docs: Doc[], chunking: ChunkOptions): Promise<void> {
  const file = label === 'dev2' ? 'eval/followups-dev2.json' : 'eval/followups-heldout.json';
  if (pairs.length === 0) {
    console.log(`No ${label} follow-up pairs (${file}).`);
    return;
  }
  const lib = await buildLibrary(docs, chunking, new NoEmbedderProvider(), DEFAULT_LEXICAL);
  const rows: string[][] = [];
  for (const lang of ['en', 'zh', 'all']) {
    const sel = pairs.filter((f) => lang === 'all' || f.lang === lang);
    if (sel.length === 0) continue;
    const alone = await followUpRecall(lib, sel, false);
    rows.push([label, lang, String(sel.length), `${alone.hit}/${sel.length} (${pct(alone.hit / sel.length)})`]);
    if (lang !== 'all') for (const m of alone.hits) console.log(`${label} follow-up found WITHOUT the conversation ${m}`);
  }
  console.log(`\n${label} follow-up pairs (${file}), second turn asked alone (answer page in the top 5):`);
  printTable(['split', 'lang', 'pairs', 'without conversation'], rows);
}

/** Lexical retrieval for several chunk sizes/overlaps (how the defaults in src/retrieval/chunker.ts were chosen). */
async function sweep(docs: Doc[], lexical: LexicalConfig, questions: Question[]): Promise<void> {
  const configs: ChunkOptions[] = [
    { chunkTokens: 64, overlapTokens: 16 },
    { chunkTokens: 128, overlapTokens: 32 },
    { chunkTokens: 192, overlapTokens: 48 },
    { chunkTokens: 256, overlapTokens: 0 },
    { chunkTokens: 256, overlapTokens: 64 },
    { chunkTokens: 384, overlapTokens: 96 },
  ];
  const rows: string[][] = [];
  for (const c of configs) {
    const s = await evaluate(await buildLibrary(docs, c, new NoEmbedderProvider(), lexical), questions, 'lexical');
    rows.push([`${c.chunkTokens}/${c.overlapTokens}`, pct(s.r1 / s.answerable), pct(s.r5 / s.answerable), s.mrr.toFixed(3)]);
  }
  console.log(`\nChunk size sweep (lexical, ${questions.some((q) => q.split === 'dev') ? 'dev split' : 'all questions'}):`);
  printTable(['chunk/overlap (tokens)', 'recall@1', 'recall@5', 'MRR'], rows);
}

/** Each improvement switched off in turn, on the dev split (how each one was measured). */
async function ablate(docs: Doc[], chunking: ChunkOptions, base: LexicalConfig, dev: Question[], devFollowUps: FollowUp[] | undefined): Promise<void> {
  const variants: [string, Partial<LexicalConfig>][] = [
    ['default (what the app and CLI use)', {}],
    ['- page-level score', { pageWeight: 0 }],
    ['+ neighbouring-chunk score (0.1)', { neighbourWeight: 0.1 }],
    ['+ pseudo-relevance feedback (RM3, 10 terms, λ 0.9)', { feedbackTerms: 10, feedbackOriginalWeight: 0.9 }],
    ['+ pseudo-relevance feedback (RM3, 10 terms, λ 0.7)', { feedbackTerms: 10, feedbackOriginalWeight: 0.7 }],
    ['- down-weighting contents/index pages', { navigationPageWeight: 1 }],
    ['- heading context', { headingWeight: 0 }],
    ['- Porter stemming', { stemming: false }],
    ['- British → American spellings', { britishSpellings: false }],
    ['- Traditional → Simplified Chinese', { simplifiedChinese: false }],
    ['- stop-word list (stopword)', { stopWords: false }],
    ['+ Intl.Segmenter words alongside bigrams (zh)', { segmentWords: true }],
    ['- Chinese single characters (cjkUnigramWeight 0)', { cjkUnigramWeight: 0 }],
    ['+ footnotes/captions attached to their passage', { contextAttachment: 'passage' }],
    ['BM25 b 0.9', { bm25B: 0.9 }],
    ['- one result per page', { onePerPage: false }],
    ['- follow-up detection (all questions: history 0.4)', { historyQuestionWeight: 0.4, followUpQuestionWeight: 0.4, historyAnswerWeight: 0.1, followUpAnswerWeight: 0.1 }],
    ['- topic prior (previous turn\'s pages)', { followUpPagePrior: 0 }],
    ['- topic prior\'s gate', { followUpPriorGate: false }],
    ['topic prior 0.3', { followUpPagePrior: 0.3 }],
    ['topic prior scaling the page score (1)', { followUpPriorFusion: 'scale', followUpPagePrior: 1 }],
    ['none of them (plain chunk BM25)', { followUpPagePrior: 0, cjkUnigramWeight: 0, pageWeight: 0, neighbourWeight: 0, feedbackTerms: 0, headingWeight: 0, navigationPageWeight: 1, stemming: false, britishSpellings: false, simplifiedChinese: false, stopWords: false, segmentWords: false, onePerPage: false }],
    ['none, and no conversation history', { followUpPagePrior: 0, cjkUnigramWeight: 0, followUpQuestionWeight: 0, followUpAnswerWeight: 0, pageWeight: 0, neighbourWeight: 0, feedbackTerms: 0, headingWeight: 0, navigationPageWeight: 1, stemming: false, britishSpellings: false, simplifiedChinese: false, stopWords: false, segmentWords: false, onePerPage: false, historyQuestionWeight: 0, historyAnswerWeight: 0 }],
  ];
  const rows: string[][] = [];
  for (const [name, change] of variants) {
    const lib = await buildLibrary(docs, chunking, new NoEmbedderProvider(), { ...base, ...change });
    const en = await evaluate(lib, dev.filter((q) => q.lang === 'en'), 'lexical');
    const zh = await evaluate(lib, dev.filter((q) => q.lang === 'zh'), 'lexical');
    const all = await evaluate(lib, dev, 'lexical');
    const fu = devFollowUps ? await followUpRecall(lib, devFollowUps, true) : undefined;
    rows.push([
      name,
      pct(en.r5 / en.answerable),
      en.mrr.toFixed(3),
      pct(zh.r5 / zh.answerable),
      zh.mrr.toFixed(3),
      pct(all.r5 / all.answerable),
      all.mrr.toFixed(3),
      `${all.caught}/${all.unanswerable}`,
      `${all.falseNotFound}/${all.answerable}`,
      fu ? `${fu.hit}/${devFollowUps!.length}` : '-',
    ]);
  }
  console.log('\nAblation, dev split only (lexical):');
  printTable(['variant', 'en r@5', 'en MRR', 'zh r@5', 'zh MRR', 'all r@5', 'all MRR', 'unans. caught', 'false not-found', 'follow-ups r@5'], rows);
}

async function denseAndHybrid(docs: Doc[], chunking: ChunkOptions, test: Question[], modelDir: string | undefined, head: string[]): Promise<void> {
  const provider: EmbedderProvider & { describe(modelId: string): string } = modelDir ? new FolderEmbedderProvider(resolve(modelDir)) : new CacheEmbedderProvider();
  const available: string[] = [];
  const missing: string[] = [];
  const profiles = new Map<string, string>();
  for (const m of EMBEDDING_MODELS) {
    const got = await provider.get(m);
    if (got.embedder) available.push(m);
    else missing.push(got.reason);
    // A --model-dir folder's embedding profile follows its name (…/multilingual-e5-small: query:/passage:; embedding-profile.ts).
    if (got.embedder) profiles.set(m, `profile ${got.embedder.profile.id}, prefixes ${JSON.stringify(got.embedder.profile.queryPrefix)}/${JSON.stringify(got.embedder.profile.passagePrefix)}`);
  }
  if (available.length === 0) {
    console.log(`\nDense and hybrid not evaluated: no embedding model is available locally (${missing.join('; ')}).`);
    if (!modelDir) console.log(`Put ${EMBEDDING_MODELS.join(' and ')} (${REQUIRED_MODEL_FILES.join(', ')}) under ${(provider as CacheEmbedderProvider).cacheDir}, or pass --model-dir DIR, to include them.`);
    return;
  }
  const testModels = available.filter((m) => isTestModel(provider.describe(m)));
  const lib = await buildLibrary(docs, chunking, provider, DEFAULT_LEXICAL);
  const rows: string[][] = [];
  for (const r of ['dense', 'auto'] as const) {
    for (const lang of ['en', 'zh', 'all']) {
      const sel = test.filter((q) => lang === 'all' || q.lang === lang);
      if (sel.length === 0) continue;
      rows.push(scoreRow(r === 'auto' ? 'hybrid' : 'dense', lang, await evaluate(lib, sel, r)));
    }
  }
  console.log(`\nDense and hybrid, test split (${available.map((m) => `${m} = ${provider.describe(m)}, ${profiles.get(m)}`).join('; ')}${missing.length ? `; unavailable: ${missing.join('; ')}` : ''}):`);
  if (testModels.length > 0) {
    console.log(
      `NOTE: ${testModels.length === available.length ? 'the model' : testModels.join(', ')} is the tiny TEST model of scripts/make-tiny-embedder.ts ` +
        '(hashed letter trigrams), NOT a semantic model. These rows prove that the dense/hybrid pipeline runs end to end ' +
        '(tokenizer, ONNX, pooling, dense index, RRF); they are not a measure of retrieval quality with a real embedding model.',
    );
  }
  printTable(['retriever', ...head.slice(1)], rows);
}

/** Lexical retrieval with and without the model's rewrite fused in (a pipeline check with a test model). */
async function withRewrite(docs: Doc[], chunking: ChunkOptions, base: LexicalConfig, dir: string, split: string, test: Question[], followUps: FollowUp[], head: string[]): Promise<void> {
  const [{ LlamaEngine }, { nodeGpu }, { nodeDirFiles }, { rewriteQuery }] = await Promise.all([
    import('../src/model/engine'),
    import('../src/gpu/node-gpu'),
    import('../src/model/node-files'),
    import('../src/retrieval/query-rewrite'),
  ]);
  const engine = new LlamaEngine(nodeGpu());
  const info = await engine.load(nodeDirFiles(resolve(dir)));
  let tokens = 0;
  let calls = 0;
  let failed = 0;
  const samples: string[] = [];
  // Each rewrite is generated once and reused by every fusion variant (greedy: the same text each time).
  const memo = new Map<string, Awaited<ReturnType<typeof rewriteQuery>>>();
  const rewrite = async (q: string, history: ConversationTurn[]) => {
    const memoKey = JSON.stringify([q, history.map((t) => t.question)]);
    const known = memo.get(memoKey);
    if (known) return known.text;
    const r = await rewriteQuery(engine, info, q, history);
    memo.set(memoKey, r);
    calls++;
    tokens += engine.lastStats()?.generatedTokens ?? 0;
    if (r.text === null) failed++;
    else if (samples.length < 3) samples.push(`${q} → ${r.text}`);
    return r.text;
  };
  try {
    const variants: [string, Partial<LexicalConfig>][] = [
      [`+ rewrite (default: ${base.extraQueryFusion} ${base.extraQueryWeight})`, {}],
      ...(flag('dev-only')
        ? ([
            ['+ rewrite (rrf 0.5)', { extraQueryFusion: 'rrf', extraQueryWeight: 0.5 }],
            ['+ rewrite (rrf 0.2)', { extraQueryFusion: 'rrf', extraQueryWeight: 0.2 }],
            ['+ rewrite (terms 0.3)', { extraQueryFusion: 'terms', extraQueryWeight: 0.3 }],
            ['+ rewrite (terms 0.1)', { extraQueryFusion: 'terms', extraQueryWeight: 0.1 }],
          ] as [string, Partial<LexicalConfig>][])
        : []),
    ];
    const plainLib = await buildLibrary(docs, chunking, new NoEmbedderProvider(), base);
    const rows: string[][] = [];
    const fuRows: string[] = [];
    for (const lang of ['en', 'zh', 'all']) {
      rows.push(scoreRow('lexical', lang, await evaluate(plainLib, test.filter((q) => lang === 'all' || q.lang === lang), 'lexical')));
    }
    const plain = await followUpRecall(plainLib, followUps, true);
    fuRows.push(`without the rewrite ${plain.hit}/${followUps.length}`);
    for (const [name, change] of variants) {
      const lib = Object.keys(change).length ? await buildLibrary(docs, chunking, new NoEmbedderProvider(), { ...base, ...change }) : plainLib;
      for (const lang of ['en', 'zh', 'all']) {
        rows.push(scoreRow(name, lang, await evaluate(lib, test.filter((q) => lang === 'all' || q.lang === lang), 'lexical', undefined, rewrite)));
      }
      const fused = await followUpRecall(lib, followUps, true, 'lexical', answerFromResults, rewrite);
      fuRows.push(`${name} ${fused.hit}/${followUps.length}`);
    }
    console.log(`\nQuery rewrite by ${info.name} (${dir}), ${split} split; ${calls} rewrites, ${(tokens / Math.max(1, calls)).toFixed(1)} tokens each, ${failed} fell back:`);
    console.log('NOTE: unless the model is a real instruction-following model, this checks the pipeline (generation, fusion) only, not quality.');
    for (const x of samples) console.log(`  e.g. ${x}`);
    printTable(['retriever', ...head.slice(1)], rows);
    console.log(`Follow-up pairs (${split}, with conversation): ${fuRows.join('; ')}.`);
  } finally {
    await engine.unload();
  }
}

function scoreRow(first: string, lang: string, s: Scores): string[] {
  return [first, lang, `${s.answerable}+${s.unanswerable}`, pct(s.r1 / s.answerable), pct(s.r5 / s.answerable), s.mrr.toFixed(3), `${s.caught}/${s.unanswerable}`, `${s.falseNotFound}/${s.answerable}`, pct(s.r5Confident / s.answerable)];
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

function pct(x: number): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '-';
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
