// Query rewrite by the model (src/retrieval/query-rewrite.ts) on stories260K: real weights on WebGPU, which
// write children's stories, not search queries — so these tests prove the PATH (bounded generation, the text
// fused into the ranking, cancel, fallback, the CLI's --rewrite), not the quality of a rewrite.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerQuestion, DEFAULT_ANSWER_SETTINGS } from '../../src/chat/answer';
import { nodeGpu } from '../../src/gpu/node-gpu';
import { LlamaEngine } from '../../src/model/engine';
import { nodeDirFiles } from '../../src/model/node-files';
import { DocumentLibrary } from '../../src/retrieval/library';
import { MemoryStore } from '../../src/retrieval/store';
import { DEFAULT_LEXICAL } from '../../src/retrieval/lexical-config';
import { REWRITE_MAX_TOKENS, rewritePrompt, rewriteQuery } from '../../src/retrieval/query-rewrite';
import { makeTempDir } from '../temp-dir';
import { convertedStories, FIXTURES, SKIP_STORIES } from './model-fixtures';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PDF = join(FIXTURES, 'pdfs/zen_of_python_corrupted.pdf');

describe.skipIf(SKIP_STORIES)('query rewrite by the model (stories260K: a pipeline check)', () => {
  let engine: LlamaEngine;
  beforeAll(async () => {
    engine = new LlamaEngine(nodeGpu());
    await engine.load(nodeDirFiles(await convertedStories()));
  }, 120_000);
  afterAll(async () => {
    await engine?.unload();
  });

  it('writes a bounded rewrite that is fused into the ranking', async () => {
    const history = [{ question: 'How do I divert the console output into a file?' }];
    const prompt = rewritePrompt('And how do I undo that later?', history, false);
    expect(prompt).toContain('Earlier questions:\n- How do I divert the console output into a file?');
    const r = await rewriteQuery(engine, engine.info!, 'And how do I undo that later?', history);
    expect(r.text).toEqual(expect.any(String));
    const text = r.text!;
    expect(text.length).toBeGreaterThan(0);
    expect(engine.lastStats()!.generatedTokens).toBeLessThanOrEqual(REWRITE_MAX_TOKENS);
    console.log(`stories260K rewrite (nonsense by design): ${JSON.stringify(text)}`);

    // A page that shares words only with the rewrite: absent from the question's own ranking, found once the
    // rewrite is fused in — so the model's text really takes part in retrieval.
    const pages = [
      { page: 1, label: '1', text: 'Output files. The function sink("record.lis") diverts all output to a file.' },
      { page: 2, label: '2', text: 'Undo and redo in the editor: press Ctrl+Z to undo the last change.' },
      { page: 3, label: '3', text: `A page of the manual that says: ${text}` },
    ];
    const lib = new DocumentLibrary({ store: new MemoryStore() });
    await lib.add('m', 'm.pdf', pages);
    const alone = await lib.search('And how do I undo that later?', { topK: 3, history });
    const fused = await lib.search('And how do I undo that later?', { topK: 3, history, extraQueries: [text] });
    expect(alone.results.map((x) => x.page)).not.toContain(3);
    expect(fused.results.map((x) => x.page)).toContain(3);
    expect(fused.reason).toContain(`the rewritten query's words added at weight ${DEFAULT_LEXICAL.extraQueryWeight}`);
    // The question's own best page stays in the list (the rewrite adds evidence, it does not replace it).
    expect(fused.results.map((x) => x.page)).toContain(alone.results[0].page);
    // The other fusion (RRF of the rewrite's own ranking) takes the rewrite in as well.
    const rrf = new DocumentLibrary({ store: new MemoryStore(), lexical: { ...DEFAULT_LEXICAL, extraQueryFusion: 'rrf', extraQueryWeight: 0.5 } });
    await rrf.add('m', 'm.pdf', pages);
    const byRank = await rrf.search('And how do I undo that later?', { topK: 3, history, extraQueries: [text] });
    expect(byRank.results.map((x) => x.page)).toContain(3);
    expect(byRank.reason).toContain('1 rewritten query fused by reciprocal rank');
  }, 120_000);

  it('stops when cancelled, and falls back to the question alone when the model fails', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(rewriteQuery(engine, engine.info!, 'What is a list?', [], { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    // Through the answer: Stop during the rewrite is a stopped answer, like Stop at any later moment, not an error.
    let searched = false;
    const stoppedAnswer = await answerQuestion('What is a list?', [], undefined, { search: async () => ((searched = true), []), engine: { engine, info: engine.info! } }, { ...DEFAULT_ANSWER_SETTINGS, queryRewrite: true }, { signal: ac.signal });
    expect(stoppedAnswer).toMatchObject({ stopped: true, mode: 'model' });
    expect(stoppedAnswer.error).toBeUndefined();
    expect(searched).toBe(false);
    const unloaded = new LlamaEngine(nodeGpu()); // never loaded: generate fails
    const r = await rewriteQuery(unloaded, { hasChatTemplate: false }, 'What is a list?', []);
    expect(r.text).toBeNull();
    expect(r).toMatchObject({ reason: expect.stringContaining('searched with the question alone') });
  }, 60_000);
});

describe.skipIf(SKIP_STORIES || (existsSync(PDF) ? false : `fixture PDF absent at ${PDF}`))('cli ask --rewrite', () => {
  it('prints the rewrite of each turn and still answers', async () => {
    // stories260K with a 4096-token context, so that a RAG prompt fits (as in cli-ask-conversation.test.ts).
    const src = await convertedStories();
    const dir = makeTempDir('stories-4k-');
    for (const f of readdirSync(src)) copyFileSync(join(src, f), join(dir, f));
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, max_position_embeddings: 4096 }));
    const { stdout } = await run(
      'npm',
      ['run', '--silent', 'cli', '--', 'ask', '--pdf', PDF, '--model', dir, '--rewrite', '--question', 'Is explicit better than implicit?', '--question', 'And what about errors?', '--max-tokens', '8', '--top-k', '2', '--json'],
      { cwd: ROOT, maxBuffer: 64 * 2 ** 20 },
    );
    const out = JSON.parse(stdout);
    expect(out.turns).toHaveLength(2);
    for (const t of out.turns) {
      expect(typeof t.rewrite).toBe('string');
      expect(t.rewrite.length).toBeGreaterThan(0);
      expect(t.reason).toContain("the rewritten query's words added");
      expect(typeof t.answer).toBe('string');
      expect(t.rewrite_stats.prompt_tokens).toBeGreaterThan(0);
    }
    // The rewrite continues the conversation as the answer's prompt will begin (answer.ts rewriteInput), so the KV
    // cache serves both: the first answer reuses the system prompt the rewrite read, and in the follow-up both the
    // rewrite and the answer take the whole first turn (its prompt, at least) from the cache.
    const [t1, t2] = out.turns;
    console.log(`rewrite + answer, reused / prompt tokens: turn 1 ${t1.rewrite_stats.reused_tokens}/${t1.rewrite_stats.prompt_tokens} + ${t1.stats.reused_tokens}/${t1.stats.prompt_tokens}; turn 2 ${t2.rewrite_stats.reused_tokens}/${t2.rewrite_stats.prompt_tokens} + ${t2.stats.reused_tokens}/${t2.stats.prompt_tokens}`);
    expect(t1.rewrite_stats.reused_tokens).toBe(0);
    expect(t1.stats.reused_tokens).toBeGreaterThan(20);
    expect(t2.rewrite_stats.reused_tokens).toBeGreaterThanOrEqual(t1.stats.prompt_tokens);
    expect(t2.stats.reused_tokens).toBeGreaterThanOrEqual(t1.stats.prompt_tokens);
    expect(t2.stats.reused_tokens).toBeLessThan(t2.stats.prompt_tokens);
  }, 240_000);
});
