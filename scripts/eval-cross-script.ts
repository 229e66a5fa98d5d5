// Chinese across scripts: a question typed in Simplified about a manual in Traditional Chinese, and the other way
// round. debmake-doc ships the same manual in both (zh-cn, zh-tw; bash scripts/fetch-eval-pdfs.sh). Known-item
// questions, generated here and not tuned on: from a seeded sample of text pages, an 8-character run of Han
// characters of the page, turned into the other script (npm `opencc-js`: twp → cn for Simplified questions,
// cn → twp for Traditional ones, Taiwan wording included) is asked of the manual; the page it came from is the
// answer. Prints recall@5 and MRR with the lexical retriever as the app runs it (DEFAULT_LEXICAL) and with its
// Traditional → Simplified step off, and the same-script figure as the ceiling.
//   npm run eval:cross-script [-- --questions N]
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as OpenCC from 'opencc-js';
import '../src/pdf/node-polyfills';
import { extractPdf } from '../src/pdf/extract';
import { DEFAULT_LEXICAL } from '../src/retrieval/lexical-config';
import { DocumentLibrary } from '../src/retrieval/library';
import { MemoryStore } from '../src/retrieval/store';
import type { PageText } from '../src/retrieval/types';

const dir = fileURLToPath(new URL('../.cache/eval-pdfs/', import.meta.url));
const argv = process.argv.slice(2);
const count = Number(argv[argv.indexOf('--questions') + 1] ?? '') || 120;
const RUN = 8;

async function pagesOf(name: string): Promise<PageText[]> {
  const file = join(dir, name);
  if (!existsSync(file)) {
    console.error(`${file} is missing: run bash scripts/fetch-eval-pdfs.sh first.`);
    process.exit(2);
  }
  const res = await extractPdf(new Uint8Array(await readFile(file)));
  return res.pages.filter((p) => p.quality === 'ok').map((p) => ({ page: p.page, label: p.label, text: p.text }));
}

/** `count` known-item questions from a seeded sample of pages (an LCG: the same questions on every run). */
function questions(pages: PageText[], toScript: (s: string) => string): { q: string; page: number }[] {
  let x = 12345;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648), x / 2147483648);
  const out: { q: string; page: number }[] = [];
  while (out.length < count) {
    const p = pages[Math.floor(rnd() * pages.length)];
    const runs = p.text.match(new RegExp(`\\p{Script=Han}{${RUN + 2},}`, 'gu')) ?? [];
    if (runs.length === 0) continue;
    const run = runs[Math.floor(rnd() * runs.length)];
    const start = Math.floor(rnd() * (run.length - RUN));
    out.push({ q: toScript(run.slice(start, start + RUN)), page: p.page });
  }
  return out;
}

async function score(pages: PageText[], qs: { q: string; page: number }[], simplifiedChinese: boolean): Promise<string> {
  const lib = await DocumentLibrary.open({ store: new MemoryStore(), lexical: { ...DEFAULT_LEXICAL, simplifiedChinese } });
  await lib.add('manual', 'manual.pdf', pages);
  let found = 0;
  let rr = 0;
  for (const { q, page } of qs) {
    const rank = (await lib.search(q, { topK: 5 })).results.findIndex((r) => r.page === page);
    if (rank >= 0) {
      found++;
      rr += 1 / (rank + 1);
    }
  }
  return `${((100 * found) / qs.length).toFixed(1)}% / ${(rr / qs.length).toFixed(3)}`;
}

const toSimplified = OpenCC.Converter({ from: 'twp', to: 'cn' });
const toTraditional = OpenCC.Converter({ from: 'cn', to: 'twp' });
const same = (s: string) => s;
const cn = await pagesOf('debmake-doc.zh-cn.pdf');
const tw = await pagesOf('debmake-doc.zh-tw.pdf');
const cases: [string, PageText[], (s: string) => string][] = [
  ['Simplified questions, Traditional manual (zh-tw)', tw, toSimplified],
  ['Traditional questions, Simplified manual (zh-cn)', cn, toTraditional],
  ['Simplified questions, Simplified manual (ceiling)', cn, same],
  ['Traditional questions, Traditional manual (ceiling)', tw, same],
];
console.log(`${count} known-item questions per row (${RUN} Han characters of a sampled page, in the question's script)\n`);
console.log('| questions → manual | recall@5 / MRR, T→S off | recall@5 / MRR, T→S on (default) |');
console.log('|---|---|---|');
for (const [label, pages, toScript] of cases) {
  const qs = questions(pages, toScript);
  console.log(`| ${label} | ${await score(pages, qs, false)} | ${await score(pages, qs, true)} |`);
}
