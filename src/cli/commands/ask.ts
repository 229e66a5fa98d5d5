// `cli ask --pdf FILE [--password PW] [--pdf FILE2 [--password PW2] ...] --question Q1 [--question Q2 ...] [--top-k K]
//  [--model DIR] [--max-tokens N] [--temperature T] [--precision f16|f32|auto] [--context N] [--no-tune] [--rewrite]
//  [--json [--show-prompt]]`
// Every flag is checked (ASK_SPEC) before any PDF is read or a model loaded. A --password applies to the --pdf
// right before it. A file that cannot be read or extracted (missing, encrypted without its password, a scan
// without a text layer, ...) is skipped with a warning ({file, code, message} in "skipped", a line on stderr
// without --json) and the others are indexed; only when no document could be indexed does the command fail.
// Extracts each PDF, indexes it (in memory) and answers the questions in turn as ONE conversation: retrieval
// for a follow-up question also uses the earlier questions and answers (DocumentLibrary.search `history`).
// Without --model each turn is search mode (the top-k passages); with --model the passages go to the model
// through the app's prompt builder (numbered sources, citations) and the answer is generated; earlier turns are
// rendered exactly as they were sent, so the engine takes them from its KV cache (stats.reused_tokens).
// --json prints
//   {"turns": [{"question", "mode": "lexical"|"hybrid", "reason", "answer": string|null,
//               "results": [{"file", "page", "label", "score", "text", "confident"}],
//               "stats": {"prompt_tokens", "reused_tokens", "generated_tokens", "prefill_tok_s", "decode_tok_s",
//                         "finish": "eos"|"length"|"context"|"stopped"}|null, "notice"?,
//               "sources"?: [{"n", "file", "page", "label"}],   ← with --model: what the answer's [n] cite
//               "error"?: {"code", "message"}}],   ← this question failed; the ones after it were not asked
//    "results", "mode", "reason",   ← the last turn's (what a single question printed before conversations)
//    "warnings": [...],   ← strings
//    "skipped": [{"file", "code", "message"}],   ← the files that could not be indexed (their warnings say so too)
//    "error"?: {"code", "message"}}   ← when a question failed (exit status 2, the turns before it printed)
// --show-prompt adds each turn's "prompt": what was handed to the engine (a string, or the chat messages).
// --rewrite (with --model): before each search the model rewrites the question into an extra query (a few
// greedy tokens, src/retrieval/query-rewrite.ts) that is fused with the question's ranking; each turn then
// carries "rewrite": the text used, or null and "rewrite_note" saying why the question was searched alone,
// and "rewrite_stats": {"prompt_tokens", "reused_tokens"} of the rewrite's own generation. In a conversation the
// rewrite continues the conversation as sent, so it and the answer after it both reuse the KV cache for it.
// Hybrid mode needs the embedding model already in the local cache ($PDFCHAT_MODEL_CACHE or
// ~/.cache/pdfchat/models, see src/retrieval/node-model-cache.ts); nothing is downloaded. Without it the
// search is lexical (BM25) and "reason" says why. Without --json the same is printed for people.
import { answerQuestion, searchHistory, DEFAULT_ANSWER_SETTINGS, type AnswerSettings } from '../../chat/answer';
import type { ChatTurn, Passage, TurnStats } from '../../chat/types';
import type { LlamaEngine } from '../../model/engine';
import type { ChatMessage, Engine, GenerateOptions } from '../../model/engine-types';
import { AppError, type ErrorCode } from '../../shared/errors';
import { extractPdf } from '../../pdf/extract';
import { contentHash } from '../../retrieval/content-hash';
import { DocumentLibrary, type ConversationTurn } from '../../retrieval/library';
import type { QueryRewrite } from '../../retrieval/query-rewrite';
import type { SearchResponse } from '../../retrieval/types';
import { MemoryStore } from '../../retrieval/store';
import { NodeCachedEmbedderProvider } from '../../retrieval/node-model-cache';
import { ENGLISH_EMBEDDING_MODEL } from '../../retrieval/embedder';
import { tokenizerCounter, type TokenCounter } from '../../retrieval/token-counter';
import type { TransformersEmbedder } from '../../retrieval/transformers-embedder';
import { checkArgs, ENGINE_FLAGS, type CliArgs, type CommandSpec } from '../args';
import { readPdfArg } from '../pdf-file';

export const ASK_SPEC: CommandSpec = {
  command: 'ask',
  flags: {
    ...ENGINE_FLAGS,
    pdf: { kind: 'string', repeat: true, required: true },
    password: { kind: 'string', repeat: true },
    question: { kind: 'string', repeat: true, required: true },
    'top-k': { kind: 'integer', min: 1 },
    'max-tokens': { kind: 'integer', min: 1 },
    temperature: { kind: 'number', min: 0 },
    rewrite: { kind: 'boolean' },
    json: { kind: 'boolean' },
    'show-prompt': { kind: 'boolean' },
  },
};

/** A --pdf and the --password given right after it. */
export interface PdfArg {
  file: string;
  password?: string;
}

/** What makes one file unusable (it is skipped); any other error stops the command. */
const SKIPPABLE = new Set<ErrorCode>(['MISSING_FILE', 'BAD_ARGUMENT', 'PASSWORD_REQUIRED', 'BAD_PASSWORD', 'NO_TEXT', 'NOT_PDF', 'PDF_UNREADABLE']);

/** A file that could not be indexed, and why. */
export interface SkippedFile {
  file: string;
  code: ErrorCode;
  message: string;
}

interface TurnOut {
  question: string;
  mode: SearchResponse['mode'];
  reason: string;
  answer: string | null;
  results: { file: string; page: number; label: string; score: number; text: string; confident: boolean }[];
  stats: { prompt_tokens: number; reused_tokens: number; generated_tokens: number; prefill_tok_s: number; decode_tok_s: number; finish: TurnStats['finish'] | null } | null;
  prompt?: string | ChatMessage[];
  rewrite?: string | null;
  rewrite_note?: string;
  /** The rewrite's own generation: its prompt and how much of it the KV cache held. */
  rewrite_stats?: { prompt_tokens: number; reused_tokens: number };
  /** The answer was cut short (its token limit, or the context), and what to do about it. */
  notice?: string;
  /** With a model: the passages the model was given, numbered as its answer cites them ([n]). */
  sources?: { n: number; file: string; page: number; label: string }[];
  /** This question could not be answered (the later ones were not asked); the earlier turns stand. */
  error?: { code: string; message: string };
}

export async function run(given: CliArgs): Promise<void> {
  const args = checkArgs(given, ASK_SPEC);
  const pdfs = pdfArgs(args);
  const questions = args.all('question');
  const blank = questions.find((q) => q.trim() === '');
  if (blank !== undefined) throw new AppError('BAD_ARGUMENT', 'A --question is blank; give each --question a text.');
  const topK = args.number('top-k', 5);
  const maxTokens = args.number('max-tokens', 256);
  const temperature = args.number('temperature', 0);
  if (args.has('show-prompt') && !args.has('json')) throw new AppError('BAD_ARGUMENT', '--show-prompt needs --json (the prompt is printed in each JSON turn).');

  const embedders = new NodeCachedEmbedderProvider();
  const english = await embedders.get(ENGLISH_EMBEDDING_MODEL);
  const counter: TokenCounter | undefined = english.embedder
    ? tokenizerCounter(ENGLISH_EMBEDDING_MODEL, (english.embedder as TransformersEmbedder).tokenizer)
    : undefined;
  const library = new DocumentLibrary({ store: new MemoryStore(), embedders, tokenCounter: counter });

  const warnings: string[] = [];
  const skipped: SkippedFile[] = [];
  let indexed = 0;
  for (const { file, password } of pdfs) {
    let pages;
    let docId: string;
    try {
      const data = await readPdfArg(file);
      docId = await contentHash(data);
      if (library.has(docId)) {
        warnings.push(`${file}: same content as a file given before; indexed once.`);
        continue;
      }
      const extracted = await extractPdf(data, password !== undefined ? { password } : {});
      warnings.push(...extracted.warnings.map((w) => `${file}: ${w}`));
      pages = extracted.pages.filter((p) => p.quality === 'ok' && p.text.trim() !== '');
      // Every page with text is unreadable (garbled): nothing of it can be searched; the file is skipped, saying so.
      if (pages.length === 0) throw new AppError('NO_TEXT', `No page of this PDF has readable text (${extracted.pages.filter((p) => p.quality === 'garbled').length} garbled, ${extracted.pages.filter((p) => p.quality === 'empty').length} empty). Its pages need text recognition: the app recognises such pages on request, and \`extract --pdf F --ocr\` prints what OCR reads; or use another copy of the document.`);
    } catch (e) {
      const err = AppError.from(e);
      if (!SKIPPABLE.has(err.code)) throw err; // a bug or a cancel is not a file's problem
      const s: SkippedFile = { file, code: err.code, message: withCliHint(err) };
      skipped.push(s);
      warnings.push(`${file}: skipped (${s.code}): ${s.message}`);
      if (!args.has('json')) process.stderr.write(`warning: ${file}: skipped (${s.code}): ${s.message}\n`);
      continue;
    }
    await library.add(docId, file, pages);
    indexed++;
  }
  if (indexed === 0) throw noDocument(skipped);

  // Loaded only with --model: search mode never touches the GPU.
  const engine: LlamaEngine | null = args.has('model') ? await (await import('../engine-node')).loadCliEngine(args) : null;
  const rewriting = args.has('rewrite');
  if (rewriting && !engine) warnings.push('--rewrite needs --model (the model writes the rewrite); searched with the questions alone.');
  for (const flag of ['max-tokens', 'temperature']) if (!engine && args.has(flag)) warnings.push(`--${flag} applies to a model's answer: without --model it has no effect (search mode).`);
  const settings: AnswerSettings = { ...DEFAULT_ANSWER_SETTINGS, temperature, topP: 1, maxAnswerTokens: maxTokens, passages: topK, queryRewrite: rewriting };
  const turns: ChatTurn[] = [];
  const out: TurnOut[] = [];
  /** The error of the question that could not be answered (its turn says so too); the command then exits 2. */
  let failure: AppError | null = null;
  try {
    for (const question of questions) {
      let res: SearchResponse | null = null;
      let handed = 0; // passages the last search handed to the prompt builder
      // The app's search: the conversation goes along, and only confident passages are handed to the model.
      const search = async (q: string, o: { topK: number; history?: ConversationTurn[]; extraQueries?: string[] }): Promise<Passage[]> => {
        res = await library.search(q, { topK: o.topK, ...(o.history ? { history: o.history } : {}), ...(o.extraQueries ? { extraQueries: o.extraQueries } : {}) });
        const passages = res.results.filter((r) => r.confident).map((r) => ({ docId: r.docId, file: r.file, page: r.page, label: r.label, score: r.score, text: r.text, start: r.start, end: r.end }));
        handed = passages.length;
        return passages;
      };
      let answer: string | null = null;
      let stats: TurnOut['stats'] = null;
      let prompt: string | ChatMessage[] | undefined;
      let rewrite: QueryRewrite | undefined;
      let notice: string | undefined;
      const now = Date.now();
      let sources: TurnOut['sources'];
      if (engine) {
        const seen = recordingEngine(engine, (input) => (prompt = input));
        let turn: Awaited<ReturnType<typeof answerQuestion>>;
        try {
          turn = await answerQuestion(question, turns, undefined, { search, engine: { engine: seen, info: engine.info! } }, settings, { onRewrite: (r) => (rewrite = r) });
          if (turn.error) throw AppError.fromJSON({ code: turn.error.code as ErrorCode, message: turn.error.message });
        } catch (e) {
          // The answers so far are kept: this turn carries the error, the questions after it are not asked.
          const err = AppError.from(e);
          if (err.code === 'ABORTED' || err.code === 'DEVICE_LOST' || err.code === 'INTERNAL') throw err;
          const r = res as SearchResponse | null;
          out.push({ question, mode: r?.mode ?? 'lexical', reason: r?.reason ?? '', answer: null, results: r ? resultsOf(r) : [], stats: null, error: { code: err.code, message: err.message } });
          failure = err;
          const left = questions.length - out.length;
          if (left > 0) warnings.push(`Q${out.length} failed (${err.code}), so the ${left} question${left > 1 ? 's' : ''} after it ${left > 1 ? 'were' : 'was'} not asked.`);
          break;
        }
        sources = (turn.sources ?? []).map((x) => ({ n: x.n, file: x.file, page: x.page, label: x.label }));
        answer = turn.content;
        notice = turn.notice;
        warnings.push(...promptFitWarnings(`Q${out.length + 1}`, handed, turn.sources?.length ?? 0, engine.info!.contextLength));
        const s = turn.stats;
        if (s) stats = { prompt_tokens: s.promptTokens, reused_tokens: s.reusedTokens ?? 0, generated_tokens: s.generatedTokens, prefill_tok_s: round(s.prefillTokS, 2), decode_tok_s: round(s.decodeTokS, 2), finish: s.finish ?? null };
        turns.push({ id: `u${turns.length}`, role: 'user', content: question, createdAt: now }, { ...turn, id: `a${turns.length}`, createdAt: now });
      } else {
        const history = searchHistory(turns);
        const shown = await search(question, { topK, ...(history.length ? { history } : {}) });
        // As the app records a search-mode answer (answerQuestion): its confident passages are the turn's
        // sources, so the next question's retrieval gets their pages (topic prior) and the top passage.
        const sources = shown.map((p, i) => ({ ...p, n: i + 1 }));
        turns.push({ id: `u${turns.length}`, role: 'user', content: question, createdAt: now }, { id: `a${turns.length}`, role: 'assistant', content: '', mode: 'search', sources, createdAt: now });
      }
      const r = res as SearchResponse | null;
      if (!r) throw new AppError('INTERNAL', 'The search did not run.');
      out.push({
        question,
        mode: r.mode,
        reason: r.reason,
        answer,
        results: resultsOf(r),
        stats,
        ...(sources ? { sources } : {}),
        ...(args.has('show-prompt') && prompt !== undefined ? { prompt } : {}),
        ...(rewrite ? { rewrite: rewrite.text, ...(rewrite.text === null ? { rewrite_note: rewrite.reason } : {}) } : {}),
        ...(rewrite?.stats ? { rewrite_stats: { prompt_tokens: rewrite.stats.promptTokens, reused_tokens: rewrite.stats.reusedTokens } } : {}),
        ...(notice ? { notice } : {}),
      });
    }
  } finally {
    await engine?.unload();
  }

  const last = out[out.length - 1];
  // Exit status 2 as for any failure, with the turns answered before it printed (and, in JSON, the error too).
  if (failure) process.exitCode = 2;
  if (args.has('json')) {
    await write(JSON.stringify({ turns: out, results: last.results, mode: last.mode, reason: last.reason, warnings, skipped, ...(failure ? { error: { code: failure.code, message: failure.message } } : {}) }) + '\n');
    return;
  }
  const lines: string[] = [];
  out.forEach((t, k) => {
    if (out.length > 1) lines.push(`${k > 0 ? '\n' : ''}Q${k + 1}: ${t.question}`);
    lines.push(`mode: ${t.mode} (${t.reason})`);
    if (t.rewrite !== undefined) lines.push(t.rewrite !== null ? `rewritten for the search: ${t.rewrite}` : `not rewritten: ${t.rewrite_note}`);
    if (t.answer !== null) {
      lines.push('', `answer: ${t.answer.trim()}`);
      if (t.notice) lines.push(`(${t.notice})`);
      if (t.stats) lines.push(`(${t.stats.prompt_tokens} prompt tokens, ${t.stats.reused_tokens} from the cache; prefill ${t.stats.prefill_tok_s} tok/s, decode ${t.stats.decode_tok_s} tok/s)`);
    }
    if (t.error) lines.push('', `error (${t.error.code}): ${t.error.message}`);
    if (t.results.length === 0) lines.push('No passage matches the question.');
    else if (!t.results[0].confident) lines.push('No confident hit: the documents may not answer this question.');
    t.results.forEach((r, i) => {
      const where = r.label === String(r.page) ? `page ${r.page}` : `page ${r.page} (printed ${r.label})`;
      // With a model, a result is numbered as the answer cites it: only the passages the model was given have a
      // number; a weak one it was not given is marked so, never with a number the answer uses for another page.
      const n = t.sources ? t.sources.find((x) => x.file === r.file && x.page === r.page)?.n : i + 1;
      lines.push('', `${n !== undefined ? `[${n}]` : '[not given to the model]'} ${r.file}, ${where}, score ${r.score}${r.confident ? '' : ' (weak)'}`, r.text);
    });
  });
  // Skipped files were said on stderr as they happened.
  const shownAlready = new Set(skipped.map((x) => `${x.file}: skipped (${x.code}): ${x.message}`));
  for (const w of warnings) if (!shownAlready.has(w)) lines.push(`warning: ${w}`);
  await write(lines.join('\n') + '\n');
}

function resultsOf(r: SearchResponse): TurnOut['results'] {
  return r.results.map((x) => ({ file: x.file, page: x.page, label: x.label, score: round(x.score), text: x.text, confident: x.confident }));
}

/** The --pdf files in order, each with the --password given right after it (before the next --pdf). */
export function pdfArgs(args: CliArgs): PdfArg[] {
  const pdfs: PdfArg[] = [];
  for (const [name, value] of args.entries()) {
    if (name === 'pdf') pdfs.push({ file: value });
    else if (name === 'password') {
      const last = pdfs.at(-1);
      if (!last) throw new AppError('BAD_ARGUMENT', '--password applies to the --pdf right before it; put it after that --pdf.');
      if (last.password !== undefined) throw new AppError('BAD_ARGUMENT', `${last.file} has two --password; give one after each --pdf.`);
      last.password = value;
    }
  }
  return pdfs;
}

/**
 * What the prompt builder (src/chat/prompt.ts) had to give up to fit the model's context, as far as the turn
 * shows it: passages it was handed that are not among the turn's sources. (Earlier turns it summarised are not
 * visible on the turn.)
 */
export function promptFitWarnings(turn: string, handed: number, kept: number, contextLength: number): string[] {
  const out: string[] = [];
  const fix = `a larger --context (now ${contextLength} tokens) or a smaller --top-k/--max-tokens`;
  // (A question that does not fit is never cut: answerQuestion throws PROMPT_TOO_LONG, chat/prompt.ts.)
  if (kept < handed) out.push(`${turn}: ${handed - kept} of the ${handed} passages did not fit the model's context and were left out of the prompt; try ${fix}.`);
  return out;
}

/** What to do about a file's failure, in this command's terms. */
function withCliHint(err: AppError): string {
  if (err.code === 'PASSWORD_REQUIRED') return `${err.message} Here: add --password PW right after its --pdf.`;
  if (err.code === 'BAD_PASSWORD') return `${err.message} (the --password right after its --pdf)`;
  return err.message;
}

/** Nothing could be indexed: the first failure's code; the message names every file and why. */
function noDocument(skipped: SkippedFile[]): AppError {
  if (skipped.length === 1) return new AppError(skipped[0].code, `${skipped[0].file}: ${skipped[0].message}`);
  return new AppError(skipped[0].code, `No document could be indexed. ${skipped.map((x) => `${x.file} (${x.code}): ${x.message}`).join(' ')}`);
}

/** The engine, telling `onGenerate` what it is asked to continue (for --show-prompt). */
function recordingEngine(engine: Engine, onGenerate: (input: string | ChatMessage[]) => void): Engine {
  return {
    load: (src, o) => engine.load(src, o),
    generate: (input, o?: GenerateOptions) => {
      onGenerate(input);
      return engine.generate(input, o);
    },
    countTokens: (input) => engine.countTokens(input),
    lastStats: () => engine.lastStats(),
    unload: () => engine.unload(),
  };
}


function round(x: number, digits = 4): number {
  if (!Number.isFinite(x)) return 0;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function write(s: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(s, (err) => (err ? reject(err) : resolve())));
}
