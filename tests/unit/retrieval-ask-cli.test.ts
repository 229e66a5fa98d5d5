// `cli ask` end to end on real fixture PDFs (extraction by src/pdf/extract.ts, lexical retrieval).
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from '../temp-dir';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = fileURLToPath(new URL('../../../shared/fixtures/pdfs/', import.meta.url));
const haveFixtures = existsSync(join(fixtures, 'MANIFEST.json'));
const haveExtractor = existsSync(join(repo, 'src/pdf/extract.ts'));
const skipReason = !haveFixtures
  ? `fixture PDFs not found at ${fixtures}`
  : !haveExtractor
    ? 'src/pdf/extract.ts (extractPdf) does not exist yet'
    : '';
if (skipReason) console.warn(`skipping cli ask tests: ${skipReason}`);

// An empty model cache: the command must fall back to lexical search and say so, never download.
// Made only when the tests run: a file whose tests are all skipped runs no afterAll to remove it.
const emptyCache = skipReason ? '' : makeTempDir('pdfchat-no-models-');

function ask(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--import', './scripts/raw-loader.mjs', 'src/cli/main.ts', 'ask', ...args],
      { cwd: repo, env: { ...process.env, PDFCHAT_MODEL_CACHE: emptyCache }, timeout: 120_000, maxBuffer: 16 << 20 },
      (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
    );
  });
}

describe.skipIf(skipReason !== '')('cli ask on fixture PDFs', () => {
  it('finds the page that answers, across several PDFs, and reports lexical mode and why', async () => {
    const { code, stdout } = await ask([
      '--pdf', join(fixtures, 'compressed.tracemonkey-pldi-09.pdf'),
      '--pdf', join(fixtures, 'zen_of_python_corrupted.pdf'),
      '--pdf', join(fixtures, 'issue12823.pdf'),
      '--pdf', join(fixtures, 'rotation.pdf'),
      '--question', 'How does the VM stop wasting time on traces that keep failing to record?',
      '--top-k', '3',
      '--json',
    ]);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.mode).toBe('lexical');
    expect(out.reason).toContain('not in the local cache');
    expect(out.results).toHaveLength(3);
    expect(out.results[0]).toMatchObject({ file: expect.stringContaining('tracemonkey'), page: 6, label: '6', confident: true });
    expect(out.results[0].text).toMatch(/blacklist/i);
    for (const r of out.results) expect(Object.keys(r)).toEqual(expect.arrayContaining(['file', 'page', 'label', 'score', 'text']));
    expect(out.results[0].score).toBeGreaterThanOrEqual(out.results[1].score);
  });

  it('answers a Chinese question from the Chinese PDF, a rotated page, and flags a question nothing answers', async () => {
    const pdfs = ['issue12823.pdf', 'rotation.pdf', 'zen_of_python_corrupted.pdf'].flatMap((f) => ['--pdf', join(fixtures, f)]);
    const zh = JSON.parse((await ask([...pdfs, '--question', '知识库主要介绍什么内容？', '--json'])).stdout);
    // Right file and page; bigram coverage of a paraphrased Chinese question is low, so `confident` is not asserted.
    expect(zh.results[0]).toMatchObject({ file: expect.stringContaining('issue12823'), page: 1 });
    expect(zh.results[0].text).toContain('知识库');

    const rotated = JSON.parse((await ask([...pdfs, '--question', 'which page is in landscape orientation?', '--top-k', '1', '--json'])).stdout);
    expect(rotated.results[0]).toMatchObject({ file: expect.stringContaining('rotation'), page: 2 });

    const none = await ask([...pdfs, '--question', 'What was the population of Lisbon in 1755? Give the page.']);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('mode: lexical');
    expect(none.stdout).toMatch(/No confident hit|No passage matches/);
  });

  it('fails with a code and exit 2 for a scanned PDF and a missing file', async () => {
    const scanned = await ask(['--pdf', join(fixtures, 'issue7229.pdf'), '--question', 'vehicle?', '--json']);
    expect(scanned.code).toBe(2);
    expect(JSON.parse(scanned.stdout).error).toMatchObject({ code: 'NO_TEXT', message: expect.stringContaining('issue7229.pdf') });
    const missing = await ask(['--pdf', join(fixtures, 'nope.pdf'), '--question', 'x']);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout).error.code).toBe('MISSING_FILE');
  });
});
