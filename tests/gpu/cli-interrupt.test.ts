// Ctrl-C during a long CLI command (src/cli/interrupt.ts): `bench --peer llama.cpp` writes its GGUF into a
// temporary folder and may then wait minutes for llama.cpp; a SIGINT ends it at once with the ABORTED error line
// and exit status 130, and the temporary folder is gone. The signal is sent when the command has announced the
// file it writes (stderr), so the folder exists by then: no timing is involved.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../temp-dir';
import { convertedStories, SKIP_STORIES } from './model-fixtures';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('CLI interrupt', () => {
  it('SIGINT during bench --peer: ABORTED on stdout, exit 130, no temporary GGUF left', async () => {
    const tmp = makeTempDir('pdfchat-sigint-');
    const child = spawn(process.execPath, ['--import', './scripts/node20-polyfills.mjs', '--import', 'tsx', '--import', './scripts/raw-loader.mjs', 'src/cli/main.ts',
      'bench', '--model', 'synthetic:tiny-test', '--peer', 'llama.cpp', '--peer-backend', 'cpu', '--prompt-tokens', '12', '--gen-tokens', '4', '--no-tune'], { cwd: ROOT, env: { ...process.env, TMPDIR: tmp } });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (b) => { stdout += String(b); });
    child.stderr.on('data', (b) => {
      stderr += String(b);
      // "bench --peer [0 s] weights and <tmp>/pdfchat-peer-XXXXXX/model-q4_0.gguf": the folder exists now.
      if (!sent && /weights and .*pdfchat-peer-/.test(stderr)) {
        sent = true;
        expect(readdirSync(tmp).some((n) => n.startsWith('pdfchat-peer-'))).toBe(true);
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(sent, stderr).toBe(true);
    expect(code).toBe(130);
    const last = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(last.error.code).toBe('ABORTED');
    expect(last.error.message).toMatch(/temporary files were removed/);
    expect(readdirSync(tmp).filter((n) => n.startsWith('pdfchat-peer-'))).toEqual([]);
  });

  it.skipIf(SKIP_STORIES)('SIGINT while generate streams text: the ABORTED line starts on a line of its own', async () => {
    const dir = await convertedStories();
    const child = spawn(process.execPath, ['--import', './scripts/node20-polyfills.mjs', '--import', 'tsx', '--import', './scripts/raw-loader.mjs', 'src/cli/main.ts',
      'generate', '--model', dir, '--prompt', 'Once upon a time', '--raw', '--temperature', '0', '--max-tokens', '400'], { cwd: ROOT });
    let stdout = '';
    let sent = false;
    child.stdout.on('data', (b) => {
      stdout += String(b);
      // Text has come, mid-line: interrupt now.
      if (!sent && stdout.length > 0 && !stdout.endsWith('\n')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(sent).toBe(true);
    expect(code).toBe(130);
    const lines = stdout.trimEnd().split('\n');
    expect(JSON.parse(lines.at(-1)!).error.code).toBe('ABORTED'); // before: the JSON was glued to the text
  }, 120_000);
});
