// The retrieval evaluation's question file (eval/questions-docs.json) and its follow-up files (eval/followups-*.json):
// their shape, the question file's fixed dev/test split,
// and — when the PDFs have been fetched and read once by `npm run eval:retrieval` (which leaves
// .cache/eval-pdfs/<file>.pages.json) — that every evidence phrase is on the pages it names. The evaluation
// itself is not run here (it takes a minute): `npm run eval:retrieval`.
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Answer {
  file: string;
  pages: number[];
}
interface QuestionFile {
  sources: { file: string; package: string }[];
  questions: { id: string; lang: string; split: string; kind: string; q: string; answers: Answer[]; evidence?: string }[];
  followups: { id: string; lang: string; split: string; turns: { q: string; answers: Answer[]; evidence?: string }[] }[];
}

const root = join(import.meta.dirname, '..', '..');
const set = JSON.parse(readFileSync(join(root, 'eval', 'questions-docs.json'), 'utf8')) as QuestionFile;
/** The follow-up pairs that follow-up handling is tuned on (eval/followups-tuning.json); set.followups are reported only. */
const tuning = (JSON.parse(readFileSync(join(root, 'eval', 'followups-tuning.json'), 'utf8')) as Pick<QuestionFile, 'followups'>).followups;
/** The held-out follow-up pairs (eval/followups-heldout.json): never tuned on, printed only with eval:retrieval --heldout. */
const heldout = (JSON.parse(readFileSync(join(root, 'eval', 'followups-heldout.json'), 'utf8')) as Pick<QuestionFile, 'followups'>).followups;
/** The second dev set of follow-up pairs (eval/followups-dev2.json): written on pages no other question uses, printed in every run. */
const dev2 = (JSON.parse(readFileSync(join(root, 'eval', 'followups-dev2.json'), 'utf8')) as Pick<QuestionFile, 'followups'>).followups;
const cacheDir = join(root, '.cache', 'eval-pdfs');
const cached = set.sources.every((s) => existsSync(join(cacheDir, `${s.file}.pages.json`)));
if (!cached) console.warn(`Evaluation PDFs not read yet (${cacheDir}): evidence check skipped. Run bash scripts/fetch-eval-pdfs.sh && npm run eval:retrieval.`);

/** sha256 of the sorted "id:split" lines: changes when a question moves between dev and test. */
const SPLIT_DIGEST = '44ce0c51d30320359763677a8303ca295d4d48f7b118790bd04fc7a5db5830a6';

describe('retrieval evaluation set', () => {
  const answerable = set.questions.filter((q) => q.answers.length > 0);

  it('has at least 150 questions over at least 6 PDFs, two or more of them Chinese, ~10% unanswerable', () => {
    expect(set.questions.length).toBeGreaterThanOrEqual(150);
    expect(new Set(set.sources.map((s) => s.file)).size).toBeGreaterThanOrEqual(6);
    const chineseFiles = new Set(answerable.filter((q) => q.lang === 'zh').map((q) => q.answers[0].file));
    expect(chineseFiles.size).toBeGreaterThanOrEqual(2);
    const unanswerable = set.questions.length - answerable.length;
    expect(unanswerable / set.questions.length).toBeGreaterThan(0.07);
    expect(unanswerable / set.questions.length).toBeLessThan(0.13);
    const kinds = new Set(set.questions.map((q) => q.kind));
    for (const k of ['literal', 'paraphrase', 'footnote', 'table', 'caption', 'unanswerable']) expect(kinds).toContain(k);
    expect(answerable.filter((q) => q.kind === 'paraphrase').length / answerable.length).toBeGreaterThan(0.4);
  });

  it('is well formed: unique ids, known files, 1-based pages, evidence for every answer', () => {
    const files = new Set(set.sources.map((s) => s.file));
    const ids = [...set.questions.map((q) => q.id), ...set.followups.map((f) => f.id)];
    expect(new Set(ids).size).toBe(ids.length);
    for (const q of set.questions) {
      expect(['en', 'zh']).toContain(q.lang);
      expect(['dev', 'test']).toContain(q.split);
      expect(q.q.trim()).not.toBe('');
      expect(q.kind === 'unanswerable').toBe(q.answers.length === 0);
      for (const a of q.answers) {
        expect(files).toContain(a.file);
        expect(a.pages.length).toBeGreaterThan(0);
        for (const p of a.pages) expect(Number.isInteger(p) && p >= 1).toBe(true);
      }
      if (q.answers.length > 0) expect(q.evidence?.trim()).toBeTruthy();
    }
  });

  it('has at least 20 follow-up pairs in English and Chinese, each ending in an answered turn', () => {
    expect(set.followups.length).toBeGreaterThanOrEqual(20);
    expect(new Set(set.followups.map((f) => f.lang))).toEqual(new Set(['en', 'zh']));
    for (const f of set.followups) {
      expect(f.turns.length).toBe(2);
      expect(f.turns[1].answers.length).toBeGreaterThan(0);
      expect(f.turns[1].evidence?.trim()).toBeTruthy();
    }
  });

  it('has a separate tuning set of at least 20 follow-up pairs (English and Chinese) over the same PDFs, ids unique across both files', () => {
    expect(tuning.length).toBeGreaterThanOrEqual(20);
    const files = new Set(set.sources.map((s) => s.file));
    for (const lang of ['en', 'zh']) expect(tuning.filter((f) => f.lang === lang).length).toBeGreaterThanOrEqual(10);
    const ids = [...set.questions.map((q) => q.id), ...set.followups.map((f) => f.id), ...tuning.map((f) => f.id)];
    expect(new Set(ids).size).toBe(ids.length);
    for (const f of tuning) {
      expect(f.split).toBe('tune');
      expect(f.turns.length).toBe(2);
      for (const t of f.turns) for (const a of t.answers) expect(files).toContain(a.file);
      expect(f.turns[1].answers.length).toBeGreaterThan(0);
      expect(f.turns[1].evidence?.trim()).toBeTruthy();
    }
  });

  it('has a held-out set of at least 28 follow-up pairs (16 English, 12 Chinese), ids unique across all three files', () => {
    expect(heldout.length).toBeGreaterThanOrEqual(28);
    expect(heldout.filter((f) => f.lang === 'en').length).toBeGreaterThanOrEqual(16);
    expect(heldout.filter((f) => f.lang === 'zh').length).toBeGreaterThanOrEqual(12);
    const files = new Set(set.sources.map((s) => s.file));
    const ids = [...set.questions.map((q) => q.id), ...set.followups.map((f) => f.id), ...tuning.map((f) => f.id), ...heldout.map((f) => f.id)];
    expect(new Set(ids).size).toBe(ids.length);
    for (const f of heldout) {
      expect(f.split).toBe('heldout');
      expect(f.turns.length).toBe(2);
      for (const t of f.turns) {
        expect(t.answers.length).toBeGreaterThan(0);
        for (const a of t.answers) expect(files).toContain(a.file);
      }
      expect(f.turns[1].evidence?.trim()).toBeTruthy();
    }
  });

  it('has a dev2 set of at least 30 follow-up pairs (20 English, 10 Chinese) on pages no other question uses, ids unique across all four files', () => {
    expect(dev2.length).toBeGreaterThanOrEqual(30);
    expect(dev2.filter((f) => f.lang === 'en').length).toBeGreaterThanOrEqual(20);
    expect(dev2.filter((f) => f.lang === 'zh').length).toBeGreaterThanOrEqual(10);
    const files = new Set(set.sources.map((s) => s.file));
    const ids = [...set.questions.map((q) => q.id), ...set.followups.map((f) => f.id), ...tuning.map((f) => f.id), ...heldout.map((f) => f.id), ...dev2.map((f) => f.id)];
    expect(new Set(ids).size).toBe(ids.length);
    const pagesOf = (answers: Answer[]) => answers.flatMap((a) => a.pages.map((p) => `${a.file}#${p}`));
    const taken = new Set([
      ...set.questions.flatMap((q) => pagesOf(q.answers)),
      ...[...set.followups, ...tuning, ...heldout].flatMap((f) => f.turns.flatMap((t) => pagesOf(t.answers))),
    ]);
    const reused: string[] = [];
    for (const f of dev2) {
      expect(f.split).toBe('dev2');
      expect(f.turns.length).toBe(2);
      for (const t of f.turns) {
        expect(t.answers.length).toBeGreaterThan(0);
        expect(t.evidence?.trim()).toBeTruthy();
        for (const a of t.answers) expect(files).toContain(a.file);
        for (const key of pagesOf(t.answers)) if (taken.has(key)) reused.push(`${f.id} ${key}`);
      }
    }
    expect(reused).toEqual([]);
  });

  it('keeps its dev/test split fixed (tune on dev, report test)', () => {
    const lines = [...set.questions.map((q) => `${q.id}:${q.split}`), ...set.followups.map((f) => `${f.id}:${f.split}`)].sort().join('\n');
    expect(createHash('sha256').update(lines).digest('hex')).toBe(SPLIT_DIGEST);
    // The split was balanced when it was made; reader-worded dev questions were added later (dev only), so dev
    // may be larger, never the test split smaller.
    for (const lang of ['en', 'zh']) {
      const n = (split: string) => set.questions.filter((q) => q.lang === lang && q.split === split).length;
      expect(n('test')).toBeGreaterThanOrEqual(40);
      expect(n('dev')).toBeGreaterThanOrEqual(n('test') - 3);
    }
  });

  it.skipIf(!cached)('finds every evidence phrase on every page it names (extracted text, whitespace ignored)', () => {
    const squash = (s: string) => s.replace(/\s+/g, '');
    const text = new Map<string, string>();
    for (const s of set.sources) {
      const { pages } = JSON.parse(readFileSync(join(cacheDir, `${s.file}.pages.json`), 'utf8')) as { pages: { page: number; text: string }[] };
      for (const p of pages) text.set(`${s.file}#${p.page}`, squash(p.text));
    }
    const items = [
      ...answerable,
      ...[...set.followups, ...tuning, ...heldout, ...dev2].map((f) => ({ id: f.id, ...f.turns[1] })),
      ...[...heldout, ...dev2].filter((f) => f.turns[0].evidence).map((f) => ({ id: `${f.id} turn 1`, ...f.turns[0] })),
    ];
    const missing: string[] = [];
    for (const it of items) for (const a of it.answers) for (const p of a.pages) if (!(text.get(`${a.file}#${p}`) ?? '').includes(squash(it.evidence!))) missing.push(`${it.id} p${p}`);
    expect(missing).toEqual([]);
  });
});
