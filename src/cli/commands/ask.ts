// `cli ask --pdf FILE [--pdf FILE2 ...] --question TEXT [--top-k K] [--json]`
// Extracts each PDF, indexes it (in memory) and prints the top-k passages:
//   {"results": [{"file", "page", "label", "score", "text", "confident"}], "mode": "lexical"|"hybrid", "reason": "...", "warnings": [...]}
// Hybrid mode needs the embedding model already in the local cache ($PDFCHAT_MODEL_CACHE or
// ~/.cache/pdfchat/models, see src/retrieval/node-model-cache.ts); nothing is downloaded. Without it the
// search is lexical (BM25) and "reason" says why. Without --json the same is printed for people.
import { readFile } from 'node:fs/promises';
import { AppError } from '../../shared/errors';
import { extractPdf } from '../../pdf/extract';
import { contentHash } from '../../retrieval/content-hash';
import { DocumentLibrary } from '../../retrieval/library';
import { MemoryStore } from '../../retrieval/store';
import { NodeCachedEmbedderProvider } from '../../retrieval/node-model-cache';
import { ENGLISH_EMBEDDING_MODEL } from '../../retrieval/embedder';
import { tokenizerCounter, type TokenCounter } from '../../retrieval/token-counter';
import type { TransformersEmbedder } from '../../retrieval/transformers-embedder';
import type { CliArgs } from '../args';

export async function run(args: CliArgs): Promise<void> {
  const files = args.all('pdf').filter((f) => f !== 'true');
  if (files.length === 0) throw new AppError('BAD_ARGUMENT', 'Missing --pdf <file> (repeat --pdf for several documents).');
  const question = args.require('question');
  const topK = args.number('top-k', 5);
  if (!Number.isInteger(topK) || topK < 1) throw new AppError('BAD_ARGUMENT', `--top-k must be a whole number ≥ 1, got ${topK}.`);

  const embedders = new NodeCachedEmbedderProvider();
  const english = await embedders.get(ENGLISH_EMBEDDING_MODEL);
  const counter: TokenCounter | undefined = english.embedder
    ? tokenizerCounter(ENGLISH_EMBEDDING_MODEL, (english.embedder as TransformersEmbedder).tokenizer)
    : undefined;
  const library = new DocumentLibrary({ store: new MemoryStore(), embedders, tokenCounter: counter });

  const warnings: string[] = [];
  for (const file of files) {
    const data = await readPdf(file);
    const docId = await contentHash(data);
    if (library.has(docId)) {
      warnings.push(`${file}: same content as a file given before; indexed once.`);
      continue;
    }
    let extracted;
    try {
      extracted = await extractPdf(data);
    } catch (e) {
      const err = AppError.from(e);
      throw new AppError(err.code, `${file}: ${err.message}`);
    }
    warnings.push(...extracted.warnings.map((w) => `${file}: ${w}`));
    const pages = extracted.pages.filter((p) => p.quality === 'ok' && p.text.trim() !== '');
    await library.add(docId, file, pages);
  }

  const res = await library.search(question, { topK });
  const out = {
    results: res.results.map((r) => ({ file: r.file, page: r.page, label: r.label, score: round(r.score), text: r.text, confident: r.confident })),
    mode: res.mode,
    reason: res.reason,
    warnings,
  };
  if (args.has('json')) {
    await write(JSON.stringify(out) + '\n');
    return;
  }
  const lines = [`mode: ${out.mode} (${out.reason})`];
  if (out.results.length === 0) lines.push('No passage matches the question.');
  else if (!out.results[0].confident) lines.push('No confident hit: the documents may not answer this question.');
  out.results.forEach((r, i) => {
    const where = r.label === String(r.page) ? `page ${r.page}` : `page ${r.page} (printed ${r.label})`;
    lines.push('', `[${i + 1}] ${r.file}, ${where}, score ${r.score}${r.confident ? '' : ' (weak)'}`, r.text);
  });
  for (const w of warnings) lines.push(`warning: ${w}`);
  await write(lines.join('\n') + '\n');
}

async function readPdf(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AppError('MISSING_FILE', `No such file: ${file}. Check the --pdf path.`);
    throw new AppError('BAD_ARGUMENT', `Cannot read ${file}: ${(e as Error).message}`);
  }
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

function write(s: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(s, (err) => (err ? reject(err) : resolve())));
}
