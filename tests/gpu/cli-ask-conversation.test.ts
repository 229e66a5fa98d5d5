// `cli ask --model DIR --question Q1 --question Q2 --json` as one conversation, end to end on a fixture PDF and
// stories260K (real weights; its config's context raised to 4096 so that a RAG prompt with a follow-up fits —
// RoPE has no limit, the text past 512 positions is just less fluent): the second turn's prompt starts with the
// first prompt and answer, the engine takes all of them from its KV cache, and the answer equals a cold run.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { nodeGpu } from '../../src/gpu/node-gpu';
import { LlamaEngine } from '../../src/model/engine';
import { nodeDirFiles } from '../../src/model/node-files';
import { FALLBACK_CHAT_TEMPLATES } from '../../src/model/tokenizer';
import { makeTempDir } from '../temp-dir';
import { convertedStories, FIXTURES, SKIP_STORIES } from './model-fixtures';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PDF = join(FIXTURES, 'pdfs/zen_of_python_corrupted.pdf');
const skip = SKIP_STORIES || (existsSync(PDF) ? false : `fixture PDF absent at ${PDF}`);

/** stories260K with a 4096-token context; `chatTemplate` also gives it a chat template of its own. */
async function storiesWithLongContext(chatTemplate?: string): Promise<string> {
  const src = await convertedStories();
  const dir = makeTempDir('stories-4k-');
  for (const f of readdirSync(src)) copyFileSync(join(src, f), join(dir, f));
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, max_position_embeddings: 4096 }));
  if (chatTemplate) {
    const tc = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ ...tc, chat_template: chatTemplate }));
  }
  return dir;
}

function askConversation(dir: string): Promise<{ stdout: string }> {
  return run(
    'npm',
    ['run', '--silent', 'cli', '--', 'ask', '--pdf', PDF, '--model', dir, '--question', 'Is explicit better than implicit?', '--question', 'And what about errors?', '--max-tokens', '24', '--top-k', '2', '--json', '--show-prompt'],
    { cwd: ROOT, maxBuffer: 64 * 2 ** 20 },
  );
}

describe.skipIf(skip)('cli ask: a conversation with a model', () => {
  it('the follow-up reuses the first prompt and answer from the KV cache, and answers as a cold run would', async () => {
    const dir = await storiesWithLongContext();
    const out = JSON.parse((await askConversation(dir)).stdout);
    expect(out.turns).toHaveLength(2);
    const [t1, t2] = out.turns;
    for (const t of out.turns) {
      expect(t.mode).toBe('lexical');
      expect(t.results[0]).toMatchObject({ file: PDF, page: 1, confident: true });
      expect(typeof t.answer).toBe('string');
      for (const k of ['prefill_tok_s', 'decode_tok_s']) expect(t.stats[k]).toBeGreaterThan(0);
      // Why it ended, and an answer cut at --max-tokens says so.
      if (t.stats.generated_tokens === 24) {
        expect(t.stats.finish).toBe('length');
        expect(t.notice).toMatch(/cut at 24 tokens/);
      } else {
        expect(t.stats.finish).toBe('eos');
        expect(t.notice).toBeUndefined();
      }
    }
    // The sources the model was given, numbered as its answer cites them: the confident results, in order.
    for (const t of out.turns) {
      const confident = t.results.filter((r: { confident: boolean }) => r.confident);
      expect(t.sources.map((x: { n: number }) => x.n)).toEqual(confident.map((_: unknown, i: number) => i + 1));
      expect(t.sources.map((x: { file: string; page: number }) => `${x.file}#${x.page}`)).toEqual(confident.map((r: { file: string; page: number }) => `${r.file}#${r.page}`));
    }
    // Plain prompt (stories260K has no chat template): turn 2 = turn 1's prompt + its answer + the new question.
    expect(typeof t2.prompt).toBe('string');
    expect(t2.prompt.startsWith(t1.prompt + t1.answer)).toBe(true);
    expect(t2.prompt.slice((t1.prompt + t1.answer).length)).toContain('Question: And what about errors?');
    console.log(`turn 1: ${t1.stats.prompt_tokens} prompt + ${t1.stats.generated_tokens} generated; turn 2: ${t2.stats.prompt_tokens} prompt tokens, ${t2.stats.reused_tokens} reused`);
    expect(t1.stats.reused_tokens).toBe(0);
    expect(t2.stats.reused_tokens).toBe(t1.stats.prompt_tokens + t1.stats.generated_tokens);
    expect(t2.stats.reused_tokens).toBeLessThan(t2.stats.prompt_tokens);
    // By token ids: everything before the new question is the first prompt and answer.
    const engine = new LlamaEngine(nodeGpu());
    await engine.load(nodeDirFiles(dir));
    try {
      const before = engine.promptIds(t1.prompt + t1.answer, true);
      const ids2 = engine.promptIds(t2.prompt, true);
      expect(ids2.slice(0, before.length)).toEqual(before);
      expect(before.length).toBe(t2.stats.reused_tokens);
      // A cold run of the same prompt gives the same greedy answer.
      let cold = '';
      for await (const t of engine.generate(t2.prompt, { raw: true, temperature: 0, maxTokens: 24, reuseCache: false })) cold += t.text;
      expect(cold).toBe(t2.answer);
    } finally {
      await engine.unload();
    }
  }, 240_000);

  it('with a chat template (Llama 2): the earlier messages are repeated as sent and the whole first prompt is reused', async () => {
    const dir = await storiesWithLongContext(FALLBACK_CHAT_TEMPLATES['llama-2']);
    const out = JSON.parse((await askConversation(dir)).stdout);
    const [t1, t2] = out.turns;
    expect(Array.isArray(t2.prompt)).toBe(true);
    expect(t2.prompt.slice(0, t1.prompt.length)).toEqual(t1.prompt);
    expect(t2.prompt[t1.prompt.length]).toEqual({ role: 'assistant', content: t1.answer.trim() });
    console.log(`chat template: turn 1 ${t1.stats.prompt_tokens} prompt + ${t1.stats.generated_tokens} generated; turn 2 ${t2.stats.prompt_tokens} prompt tokens, ${t2.stats.reused_tokens} reused`);
    // The template puts a space before the answer; the answer's own ids are reused only where they re-tokenise
    // the same (a real chat model's answer starts with "▁word"; stories260K's may not), the first prompt always.
    expect(t2.stats.reused_tokens).toBeGreaterThanOrEqual(t1.stats.prompt_tokens);
    expect(t2.stats.reused_tokens).toBeLessThanOrEqual(t1.stats.prompt_tokens + t1.stats.generated_tokens);
    const engine = new LlamaEngine(nodeGpu());
    await engine.load(nodeDirFiles(dir));
    try {
      let cold = '';
      for await (const t of engine.generate(t2.prompt, { temperature: 0, maxTokens: 24, reuseCache: false })) cold += t.text;
      expect(cold).toBe(t2.answer);
    } finally {
      await engine.unload();
    }
  }, 240_000);

  it('a question that cannot be answered keeps the turns before it: its turn and the output carry the error, the rest is not asked, exit status 2', async () => {
    const dir = await storiesWithLongContext();
    const tooLong = Array.from({ length: 5000 }, (_, i) => `word${i}`).join(' ');
    const args = ['run', '--silent', 'cli', '--', 'ask', '--pdf', PDF, '--model', dir, '--question', 'Is explicit better than implicit?', '--question', tooLong, '--question', 'And what about errors?', '--max-tokens', '8', '--top-k', '2', '--json'];
    const failed = await run('npm', args, { cwd: ROOT, maxBuffer: 64 * 2 ** 20 }).then(() => null, (e: { code: number; stdout: string }) => e);
    expect(failed).not.toBeNull();
    expect(failed!.code).toBe(2);
    const out = JSON.parse(failed!.stdout);
    expect(out.turns).toHaveLength(2);
    expect(typeof out.turns[0].answer).toBe('string');
    expect(out.turns[0].error).toBeUndefined();
    expect(out.turns[1]).toMatchObject({ answer: null, error: { code: 'PROMPT_TOO_LONG' } });
    expect(out.error).toMatchObject({ code: 'PROMPT_TOO_LONG' });
    expect(out.warnings.join('\n')).toContain('Q2 failed (PROMPT_TOO_LONG), so the 1 question after it was not asked.');
  }, 240_000);

  it('search mode (no --model) answers each question in turn; answer and stats are null', async () => {
    const { stdout } = await run(
      'npm',
      ['run', '--silent', 'cli', '--', 'ask', '--pdf', PDF, '--question', 'Is explicit better than implicit?', '--question', 'And what about errors?', '--json'],
      { cwd: ROOT, maxBuffer: 64 * 2 ** 20 },
    );
    const out = JSON.parse(stdout);
    expect(out.turns.map((t: { question: string }) => t.question)).toEqual(['Is explicit better than implicit?', 'And what about errors?']);
    for (const t of out.turns) {
      expect(t).toMatchObject({ answer: null, stats: null });
      expect(t.results[0]).toMatchObject({ file: PDF, page: 1 });
    }
    // The top-level fields are the last turn's, as a single question printed them before conversations.
    expect(out.results).toEqual(out.turns[1].results);
    expect(out.mode).toBe(out.turns[1].mode);
  }, 240_000);
});
