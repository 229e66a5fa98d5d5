// `npm run --silent cli -- extract`: the exact JSON interface, success and failure (exit 2 + code).
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FIXTURE_DIR, HAVE_FIXTURES, SKIP_REASON } from './pdf-helpers';
import { makeTempDir } from '../temp-dir';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npm', ['run', '--silent', 'cli', '--', ...args], { cwd: repoRoot, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

if (!HAVE_FIXTURES) console.warn(SKIP_REASON);

describe('cli extract', () => {
  it('prints {"error": {code, message}} and exits 2 for a file that is not a PDF', async () => {
    const dir = makeTempDir('pdf-cli-');
    const notPdf = join(dir, 'notes.pdf');
    writeFileSync(notPdf, 'just some text, not a PDF\n');
    const { code, stdout } = await cli(['extract', '--pdf', notPdf]);
    expect(code).toBe(2);
    const out = JSON.parse(stdout);
    expect(out.error.code).toBe('NOT_PDF');
    expect(out.error.message).toMatch(/not a PDF/);
  }, 120_000);

  it('a folder given as --pdf is named a folder (extract and ask), not a raw EISDIR', async () => {
    const dir = makeTempDir('pdf-cli-dir-');
    const [extract, ask] = await Promise.all([cli(['extract', '--pdf', dir]), cli(['ask', '--pdf', dir, '--question', 'x'])]);
    for (const r of [extract, ask]) {
      expect(r.code).toBe(2);
      const error = JSON.parse(r.stdout).error;
      expect(error.code).toBe('BAD_ARGUMENT');
      expect(error.message).toContain(`${dir} is a folder, not a PDF. Pass the path of a .pdf file to --pdf.`);
      expect(error.message).not.toMatch(/EISDIR/);
    }
  }, 120_000);

  it.skipIf(!HAVE_FIXTURES)('prints {"pages": [{page, label, text, quality}], "warnings": []} for a fixture, and honours --password', async () => {
    const [plain, locked, noPassword, wrongPassword] = await Promise.all([
      cli(['extract', '--pdf', join(FIXTURE_DIR, 'rotation.pdf')]),
      cli(['extract', '--pdf', join(FIXTURE_DIR, 'issue6010_1.pdf'), '--password', 'abc']),
      cli(['extract', '--pdf', join(FIXTURE_DIR, 'issue6010_1.pdf')]),
      cli(['extract', '--pdf', join(FIXTURE_DIR, 'issue6010_1.pdf'), '--password', 'abd']),
    ]);
    expect(plain.code).toBe(0);
    const out = JSON.parse(plain.stdout);
    expect(Object.keys(out).sort()).toEqual(['pages', 'warnings']);
    expect(out.warnings).toEqual([]);
    expect(out.pages).toHaveLength(2);
    expect(Object.keys(out.pages[1]).sort()).toEqual(['label', 'page', 'quality', 'text']);
    expect(out.pages[1]).toMatchObject({ page: 2, label: '2', quality: 'ok' });
    expect(out.pages[1].text).toContain('It will have a landscape layout.');
    expect(locked.code).toBe(0);
    expect(JSON.parse(locked.stdout).pages[0].text).toBe('Issue 6010');
    // Without it, or with a wrong one: the error names the flag (the app's "enter its password" is a prompt).
    expect(noPassword.code).toBe(2);
    expect(JSON.parse(noPassword.stdout).error).toMatchObject({ code: 'PASSWORD_REQUIRED', message: expect.stringMatching(/password-protected.*add --password PW/) });
    expect(wrongPassword.code).toBe(2);
    expect(JSON.parse(wrongPassword.stdout).error).toMatchObject({ code: 'BAD_PASSWORD', message: expect.stringMatching(/incorrect.*--password/) });
  }, 120_000);
});
