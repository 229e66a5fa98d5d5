// `cli ask` in search mode (no --model, no GPU) over a mix of PDFs: --password opens the encrypted one, and a
// file that cannot be indexed is skipped with a warning while the others are searched.
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../temp-dir';
import { buildPdf } from './pdf-helpers';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = fileURLToPath(new URL('../../../shared/fixtures/pdfs/', import.meta.url));
const ENCRYPTED = join(fixtures, 'issue6010_1.pdf'); // user password "abc"; its one page reads "Issue 6010"
const SCAN = join(fixtures, 'issue7229.pdf'); // no text layer
const TEXT = join(fixtures, 'rotation.pdf'); // page 2 is the landscape one
const haveFixtures = [ENCRYPTED, SCAN, TEXT].every((f) => existsSync(f));
if (!haveFixtures) console.warn(`skipping cli ask PDF tests: fixture PDFs not found in ${fixtures}`);

// An empty model cache: lexical search, nothing downloaded.
// Made only when the tests run: a file whose tests are all skipped runs no afterAll to remove it.
const emptyCache = !haveFixtures ? '' : makeTempDir('pdfchat-no-models-');

function ask(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--import', './scripts/raw-loader.mjs', 'src/cli/main.ts', 'ask', ...args],
      { cwd: repo, env: { ...process.env, PDFCHAT_MODEL_CACHE: emptyCache }, timeout: 120_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe.skipIf(!haveFixtures)('cli ask over encrypted, scanned and text PDFs', () => {
  it('skips the files it cannot index, says which and why, and answers from the rest', async () => {
    const { code, stdout } = await ask(['--pdf', ENCRYPTED, '--pdf', SCAN, '--pdf', TEXT, '--question', 'which page has a landscape layout?', '--top-k', '1', '--json']);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.results[0]).toMatchObject({ file: TEXT, page: 2 });
    expect(out.skipped).toEqual([
      { file: ENCRYPTED, code: 'PASSWORD_REQUIRED', message: expect.stringContaining('--password') },
      { file: SCAN, code: 'NO_TEXT', message: expect.stringContaining('no text layer') },
    ]);
    // The warnings stay strings (as before) and name each skipped file.
    expect(out.warnings.every((w: unknown) => typeof w === 'string')).toBe(true);
    expect(out.warnings.filter((w: string) => w.includes('skipped'))).toEqual([expect.stringContaining(ENCRYPTED), expect.stringContaining(SCAN)]);
  });

  it('opens the encrypted PDF with the --password after it; text mode says the skipped scan on stderr', async () => {
    const { code, stdout, stderr } = await ask(['--pdf', SCAN, '--pdf', ENCRYPTED, '--password', 'abc', '--pdf', TEXT, '--question', 'Issue 6010', '--top-k', '1']);
    expect(code).toBe(0);
    expect(stdout).toContain(`[1] ${ENCRYPTED}, page 1`);
    expect(stdout).toContain('Issue 6010');
    expect(stderr).toMatch(new RegExp(`warning: .*issue7229\\.pdf: skipped \\(NO_TEXT\\)`));
    expect(stdout).not.toContain('skipped');
  });

  it('fails (exit 2) only when no document could be indexed; a wrong password is BAD_PASSWORD', async () => {
    const none = await ask(['--pdf', ENCRYPTED, '--pdf', SCAN, '--question', 'x', '--json']);
    expect(none.code).toBe(2);
    const err = JSON.parse(none.stdout).error;
    expect(err.code).toBe('PASSWORD_REQUIRED');
    expect(err.message).toMatch(/No document could be indexed/);
    expect(err.message).toContain('issue6010_1.pdf (PASSWORD_REQUIRED)');
    expect(err.message).toContain('issue7229.pdf (NO_TEXT)');

    const wrong = await ask(['--pdf', ENCRYPTED, '--password', 'nope', '--question', 'x', '--json']);
    expect(wrong.code).toBe(2);
    expect(JSON.parse(wrong.stdout).error).toMatchObject({ code: 'BAD_PASSWORD', message: expect.stringContaining('issue6010_1.pdf') });
  });

  it('refuses a --password before any --pdf, before reading a file', async () => {
    const r = await ask(['--password', 'abc', '--pdf', ENCRYPTED, '--question', 'x']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'BAD_ARGUMENT', message: expect.stringContaining('right before it') });
  });

  it('a PDF whose every text page is garbled is skipped with NO_TEXT, not counted as indexed', async () => {
    // Control characters in a font without a usable encoding: the kind of text layer pdf-text.ts flags as garbled.
    const junk = '\x02\x03\x04\x05\x03\x06 \x04\x07\x08 \x0e\x0f\x10\x11 \x12\x13\x14';
    const garbled = join(makeTempDir('pdfchat-garbled-'), 'garbled.pdf');
    writeFileSync(garbled, buildPdf({ pages: [{ lines: [0, 1, 2, 3, 4, 5].map((i) => ({ x: 50, y: 700 - i * 20, text: junk, size: 12 })) }] }));
    const mixed = await ask(['--pdf', garbled, '--pdf', TEXT, '--question', 'which page has a landscape layout?', '--top-k', '1', '--json']);
    expect(mixed.code).toBe(0);
    expect(JSON.parse(mixed.stdout).skipped).toEqual([{ file: garbled, code: 'NO_TEXT', message: expect.stringContaining('1 garbled') }]);
    const alone = await ask(['--pdf', garbled, '--question', 'x', '--json']);
    expect(alone.code).toBe(2);
    expect(JSON.parse(alone.stdout).error.code).toBe('NO_TEXT');
  });
});
