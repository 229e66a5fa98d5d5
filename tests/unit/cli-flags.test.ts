// The CLI as a user runs it: flags are checked before anything is read or loaded. A model path that does not
// exist shows the order: a bad flag must give BAD_ARGUMENT, not the MISSING_FILE the load would give.
// No GPU is needed: every case fails before a device is asked for.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../temp-dir';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = fileURLToPath(new URL('../../../shared/fixtures/pdfs/', import.meta.url));
const NO_MODEL = '/nonexistent/pdfchat-model';
// Absolute, so the command also runs with its working directory outside the repository.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const RAW_LOADER = pathToFileURL(join(repo, 'scripts/raw-loader.mjs')).href;

// NODE_OPTIONS may name preloads relative to the repository (./scripts/node20-polyfills.mjs): made absolute.
const NODE_OPTIONS = (process.env.NODE_OPTIONS ?? '').replace(/(^|\s)\.\/scripts\//g, `$1${join(repo, 'scripts')}/`);

function cli(args: string[], cwd = repo): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', TSX, '--import', RAW_LOADER, join(repo, 'src/cli/main.ts'), ...args],
      { cwd, env: { ...process.env, NODE_OPTIONS }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function badArgument(args: string[], message: string | RegExp, cwd = repo): Promise<void> {
  const { code, stdout, stderr } = await cli(args, cwd);
  expect(code, stdout + stderr).toBe(2);
  const lines = stdout.trim().split('\n');
  expect(lines, 'one JSON line on stdout').toHaveLength(1);
  const { error } = JSON.parse(lines[0]);
  expect(error.code).toBe('BAD_ARGUMENT');
  expect(error.message).toMatch(message);
}

describe('cli flags are checked first', () => {
  it('generate: a typo, nonsense numbers, a missing prompt, a bad --context', async () => {
    await Promise.all([
      badArgument(['generate', '--model', NO_MODEL, '--prompt', 'Once upon a time', '--raw', '--max-token', '3', '--stats'], 'Unknown flag --max-token for generate; did you mean --max-tokens?'),
      badArgument(['generate', '--model', NO_MODEL, '--prompt', 'x', '--max-tokens', '-5', '--temperature', '-2'], /--max-tokens must be a whole number ≥ 1, got -5/),
      badArgument(['generate', '--model', NO_MODEL], 'Missing --prompt <value> for generate.'),
      badArgument(['generate', '--model', NO_MODEL, '--prompt', 'x', '--context', '2.5'], /--context must be a whole number ≥ 1/),
    ]);
    // With valid flags the same command gets as far as the model folder.
    const load = await cli(['generate', '--model', NO_MODEL, '--prompt', 'x', '--context', '64']);
    expect(load.code).toBe(2);
    expect(JSON.parse(load.stdout).error.code).toBe('MISSING_FILE');
  });

  it('logits: empty token ids; bench --peer and extract: a value flag without its value', async () => {
    const cwd = makeTempDir('cli-flags-');
    await Promise.all([
      badArgument(['logits', '--model', NO_MODEL, '--tokens', '1,,403'], /--tokens must be a comma-separated list of token ids.*empty item/),
      badArgument(['logits', '--model', NO_MODEL, '--tokens', ''], /--tokens needs a value/),
      // Once this wrote the GGUF to a file named ./true: run in an empty folder and check nothing appears.
      badArgument(['bench', '--model', 'synthetic:tiny-test', '--peer', 'llama.cpp', '--peer-gguf'], /^--peer-gguf needs a value/, cwd),
      badArgument(['bench', '--model', 'synthetic:tiny-test', '--peer-runs', '2'], /--peer-runs is a flag of the llama.cpp race; add --peer llama.cpp/),
      badArgument(['convert-llama2c', '--model', 'm.bin', '--tokenizer', 't.bin', '--out', join(cwd, 'out'), '--shards', '0'], /--shards must be a whole number ≥ 1, got 0/),
      ...(existsSync(join(fixtures, 'issue6010_1.pdf'))
        ? [badArgument(['extract', '--pdf', join(fixtures, 'issue6010_1.pdf'), '--password'], '--password needs a value: --password <value>.')]
        : []),
    ]);
    expect(existsSync(join(cwd, 'true'))).toBe(false);
    expect(existsSync(join(cwd, 'out'))).toBe(false);
  });
});
