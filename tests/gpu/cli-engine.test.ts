// The engine's CLI commands as a user runs them: `npm run --silent cli -- generate|logits|bench`, and the
// error contract (one JSON object on stdout, exit status 2).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { convertedStories, greedyReference, SKIP_STORIES } from './model-fixtures';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function cli(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run('npm', ['run', '--silent', 'cli', '--', ...args], { cwd: ROOT, maxBuffer: 64 * 2 ** 20 });
    return { code: 0, stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string };
    return { code: err.code, stdout: err.stdout };
  }
}

describe('engine CLI', () => {
  it.skipIf(SKIP_STORIES)('generate --raw prints only the greedy continuation, then --stats JSON', async () => {
    const dir = await convertedStories();
    const r = await cli('generate', '--model', dir, '--prompt', 'Once upon a time', '--raw', '--temperature', '0', '--max-tokens', '40', '--stats');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const stats = JSON.parse(lines.at(-1)!);
    const text = r.stdout.slice(0, r.stdout.lastIndexOf(lines.at(-1)!)).replace(/\n$/, '');
    expect(greedyReference().startsWith('Once upon a time' + text)).toBe(true);
    expect(text.length).toBeGreaterThan(100);
    expect(stats).toMatchObject({ prompt_tokens: 5, generated_tokens: 40 });
    for (const k of ['prefill_tok_s', 'decode_tok_s']) expect(stats[k]).toBeGreaterThan(0);
    expect(typeof stats.adapter).toBe('string');
    expect(typeof stats.f16).toBe('boolean');
  });

  it.skipIf(SKIP_STORIES)('generate with a seed samples reproducibly', async () => {
    const dir = await convertedStories();
    const args = ['generate', '--model', dir, '--prompt', 'Once upon a time', '--raw', '--temperature', '0.9', '--top-k', '40', '--top-p', '0.9', '--seed', '7', '--max-tokens', '30'];
    const a = await cli(...args);
    const b = await cli(...args);
    const c = await cli(...args.slice(0, -4), '--seed', '8', '--max-tokens', '30');
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(c.stdout).not.toBe(a.stdout);
  });

  it.skipIf(SKIP_STORIES)('logits prints one vocab-sized array per position', async () => {
    const dir = await convertedStories();
    const r = await cli('logits', '--model', dir, '--tokens', '1,403,407');
    expect(r.code).toBe(0);
    const { logits } = JSON.parse(r.stdout);
    expect(logits).toHaveLength(3);
    for (const row of logits) {
      expect(row).toHaveLength(512);
      expect(row.every((v: number) => Number.isFinite(v))).toBe(true);
    }
  });

  it.skipIf(SKIP_STORIES)('output of several MB read through a pipe is complete (stdout drained before exit)', async () => {
    const dir = await convertedStories();
    // 400 positions × 512 logits ≈ 4 MB of JSON; execFile reads the child's stdout through a pipe, where an
    // early process.exit() used to cut it at 64 KiB.
    const tokens = Array.from({ length: 400 }, (_, i) => 1 + ((i * 37) % 500));
    const r = await cli('logits', '--model', dir, '--tokens', tokens.join(','));
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(1_000_000);
    expect(r.stdout.endsWith('\n')).toBe(true);
    const { logits } = JSON.parse(r.stdout);
    expect(logits).toHaveLength(400);
    for (const row of logits) expect(row).toHaveLength(512);
  });

  it('bench on a synthetic model prints the roofline fields', async () => {
    const r = await cli('bench', '--model', 'synthetic:tiny-test', '--prompt-tokens', '16', '--gen-tokens', '4', '--roofline-mib', '16');
    expect(r.code).toBe(0);
    const b = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    for (const k of ['prefill_tok_s', 'decode_tok_s', 'weight_bytes_per_token', 'read_roofline_gbps', 'decode_roofline_fraction']) expect(b[k], k).toBeGreaterThan(0);
    expect(b.decode_roofline_fraction).toBeLessThan(5);
    expect(b.read_roofline_bytes).toBe(16 * 2 ** 20); // --roofline-mib 16 (the default reads 256 MiB)
    expect(typeof b.adapter).toBe('string');
    expect(b).toMatchObject({ fused: true, dispatches_per_token: 26 }); // 2 layers × 11 + embedding, final norm, lm_head, sampler
  });

  it('bench --no-fuse runs one kernel per op: more dispatches per token', async () => {
    const r = await cli('bench', '--model', 'synthetic:tiny-test', '--prompt-tokens', '8', '--gen-tokens', '2', '--no-fuse', '--no-tune', '--roofline-mib', '16');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toMatchObject({ fused: false, dispatches_per_token: 50 }); // 2 layers × 23 + 4
  });

  it('bench --profile splits a decode token by kernel (timestamp queries), shares summing to 1', async () => {
    const r = await cli('bench', '--model', 'synthetic:tiny-test', '--prompt-tokens', '8', '--gen-tokens', '2', '--profile', '--roofline-mib', '16');
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    if (r.code === 2 && out.error?.message?.includes('timestamp')) return; // adapter without timestamp-query
    expect(r.code).toBe(0);
    const rows = out.decode_profile as { kernel: string; ms: number; share: number; dispatches: number }[];
    const names = rows.map((x) => x.kernel);
    for (const k of ['attention', 'rmsnorm', 'sample', 'embedding']) expect(names).toContain(k);
    expect(names.some((n) => n.startsWith('gptq-matvec'))).toBe(true);
    expect(rows.reduce((a, x) => a + x.share, 0)).toBeCloseTo(1, 2);
    for (const x of rows) expect(x.ms).toBeGreaterThanOrEqual(0);
  });

  it('errors are one JSON object on stdout with exit status 2', async () => {
    const missing = await cli('generate', '--model', '/nonexistent/model', '--prompt', 'hi');
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout).error.code).toBe('MISSING_FILE');
    const bad = await cli('bench', '--model', 'synthetic:nope');
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error).toMatchObject({ code: 'BAD_ARGUMENT', message: expect.stringContaining('tinyllama-1.1b') });
    // A bench that cannot fit its tokens in the model's context says so before uploading or tuning anything.
    const tooLong = await cli('bench', '--model', 'synthetic:tiny-test', '--prompt-tokens', '600', '--gen-tokens', '4', '--roofline-mib', '16');
    expect(tooLong.code).toBe(2);
    expect(JSON.parse(tooLong.stdout.trim().split('\n').at(-1)!).error).toMatchObject({ code: 'BAD_ARGUMENT', message: expect.stringContaining('--prompt-tokens 600 + --gen-tokens 4 = 604 positions') });
    const unknown = await cli('frobnicate');
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout).error.code).toBe('BAD_ARGUMENT');
  });
});
