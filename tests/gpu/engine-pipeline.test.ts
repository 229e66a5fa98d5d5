// Pipelined decode and KV reuse, proven against the lock-step loop and against cold runs:
// - pipelineDepth 0 (each step waits for its input id on the CPU: the loop before pipelining) and depths 1, 2
//   give token-for-token the same output, greedy and sampled, on stories260K (both precision paths) and on a
//   random GPTQ Llama; EOS, maxTokens and Stop end generation at the same token whatever is still in flight.
// - A generate whose prompt starts with the previous prompt and answer prefills only the rest (reusedTokens),
//   and its output equals a cold run of the same prompt (reuseCache: false), also after a Stop and after EOS.
import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeRandomLlama } from '../../scripts/make-random-llama';
import { nodeGpu } from '../../src/gpu/node-gpu';
import { LlamaEngine } from '../../src/model/engine';
import type { GenerateOptions } from '../../src/model/engine-types';
import { nodeDirFiles } from '../../src/model/node-files';
import { makeTempDir } from '../temp-dir';
import { convertedStories, SKIP_STORIES } from './model-fixtures';

async function run(engine: LlamaEngine, prompt: string, opts: GenerateOptions, stopAfter?: number): Promise<{ ids: number[]; text: string }> {
  const ac = new AbortController();
  const ids: number[] = [];
  let text = '';
  for await (const t of engine.generate(prompt, { raw: true, ...opts, signal: ac.signal })) {
    if (t.id >= 0) ids.push(t.id);
    text += t.text;
    if (stopAfter !== undefined && ids.length === stopAfter) ac.abort();
  }
  return { ids, text };
}

const engines: LlamaEngine[] = [];
afterAll(async () => {
  for (const e of engines) await e.unload();
});

async function loadEngine(dir: string, preferF16: boolean): Promise<LlamaEngine> {
  const engine = new LlamaEngine(nodeGpu());
  engines.push(engine);
  await engine.load(nodeDirFiles(dir), { preferF16 });
  return engine;
}

describe.skipIf(SKIP_STORIES)('pipelined decode on stories260K', () => {
  for (const precision of ['f32', 'f16'] as const) {
    it(`greedy output is token-for-token the lock-step loop's at depths 1 and 2 (${precision} path)`, async () => {
      const engine = await loadEngine(await convertedStories(), precision === 'f16');
      if (precision === 'f16' && !engine.info!.f16) console.warn('adapter has no shader-f16: the f16 path is not exercised here');
      engine.pipelineDepth = 0;
      const want = await run(engine, 'Once upon a time', { temperature: 0, maxTokens: 150, reuseCache: false });
      expect(want.ids.length).toBe(150);
      for (const depth of [1, 2]) {
        engine.pipelineDepth = depth;
        const got = await run(engine, 'Once upon a time', { temperature: 0, maxTokens: 150, reuseCache: false });
        expect(got.ids, `depth ${depth}`).toEqual(want.ids);
        expect(engine.lastStats()).toMatchObject({ promptTokens: 5, reusedTokens: 0, generatedTokens: 150 });
      }
      await engine.unload();
    });
  }

  it('sampled stories stop at the same EOS id with any depth; in-flight steps past it are never shown', async () => {
    // llama2.c models delimit stories with BOS (id 1): list it as EOS so that sampled stories end early.
    const src = await convertedStories();
    const dir = makeTempDir('stories-eos-');
    for (const f of readdirSync(src)) copyFileSync(join(src, f), join(dir, f));
    writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ bos_token_id: 1, eos_token_id: [2, 1] }));
    const engine = await loadEngine(dir, false);
    const ended: number[] = [];
    for (const seed of [1, 2]) {
      engine.pipelineDepth = 0;
      const want = await run(engine, 'Once upon a time', { temperature: 1, seed, maxTokens: 480, reuseCache: false });
      expect(want.ids.length).toBeLessThan(480);
      ended.push(want.ids.length);
      engine.pipelineDepth = 2;
      const got = await run(engine, 'Once upon a time', { temperature: 1, seed, maxTokens: 480, reuseCache: false });
      expect(got.ids).toEqual(want.ids);
      expect(got.text).toBe(want.text);
    }
    console.log(`sampled stories ended by EOS after ${ended.join(', ')} tokens, identical at depth 0 and 2`);
    await engine.unload();
  });

  it('Stop takes effect at the token it was pressed on; the next generate reuses the cache and equals a cold run', async () => {
    const engine = await loadEngine(await convertedStories(), false);
    engine.pipelineDepth = 2;
    const first = await run(engine, 'Once upon a time', { temperature: 0, maxTokens: 500 }, 7);
    expect(first.ids.length).toBe(7);
    // The follow-up starts with the first prompt and the 7 shown tokens.
    const prompt2 = 'Once upon a time' + first.text + ' The end. One day';
    const ids2 = engine.promptIds(prompt2, true);
    const ids1 = engine.promptIds('Once upon a time', true);
    expect(ids2.slice(0, ids1.length + 7)).toEqual([...ids1, ...first.ids]);
    const warm = await run(engine, prompt2, { temperature: 0, maxTokens: 40 });
    const stats = engine.lastStats()!;
    console.log(`after Stop: prompt ${stats.promptTokens} tokens, ${stats.reusedTokens} reused`);
    expect(stats.reusedTokens).toBeGreaterThanOrEqual(ids1.length + 7);
    expect(stats.reusedTokens).toBeLessThan(ids2.length);
    const cold = await run(engine, prompt2, { temperature: 0, maxTokens: 40, reuseCache: false });
    expect(engine.lastStats()!.reusedTokens).toBe(0);
    expect(warm.ids).toEqual(cold.ids);
    await engine.unload();
  });

  it('a prompt that extends the previous prompt + answer prefills only the rest (more than one prefill chunk)', async () => {
    const engine = await loadEngine(await convertedStories(), true);
    const p1 = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends.';
    const a1 = await run(engine, p1, { temperature: 0, maxTokens: 90 });
    const n1 = engine.lastStats()!.promptTokens;
    const p2 = p1 + a1.text + '\nOne day, Lily met a big dog.';
    const ids2 = engine.promptIds(p2, true);
    const shared = ids2.findIndex((id, i) => id !== [...engine.promptIds(p1, true), ...a1.ids][i]);
    const warm = await run(engine, p2, { temperature: 0, maxTokens: 60 });
    const s = engine.lastStats()!;
    console.log(`follow-up: prompt ${s.promptTokens} tokens (first prompt ${n1} + answer ${a1.ids.length}), ${s.reusedTokens} reused, shared prefix ${shared}`);
    // Every token of the first prompt and answer the new prompt repeats (the answer's last one included: the step
    // that fed it ran as the maxTokens step) comes from the cache.
    expect(shared).toBeGreaterThanOrEqual(n1 + a1.ids.length);
    expect(s.reusedTokens).toBe(n1 + a1.ids.length);
    const cold = await run(engine, p2, { temperature: 0, maxTokens: 60, reuseCache: false });
    expect(warm.ids).toEqual(cold.ids);
    // Same prompt again: all but the last token reused (its logits are needed), same answer.
    const again = await run(engine, p2, { temperature: 0, maxTokens: 60 });
    expect(engine.lastStats()!.reusedTokens).toBe(ids2.length - 1);
    expect(again.ids).toEqual(cold.ids);
    await engine.unload();
  });

  it('a long prompt is read in segments (the same output as in one go); Stop while it is read shows no token, and the next generate reuses what was read', async () => {
    const engine = await loadEngine(await convertedStories(), false);
    const prompt = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends. '.repeat(7);
    const n = engine.promptIds(prompt, true).length;
    const chunk = engine.gpuModel!.maxBatch;
    expect(n).toBeGreaterThan(3 * chunk);
    engine.prefillSegmentChunks = 0; // the whole prompt queued at once
    const whole = await run(engine, prompt, { temperature: 0, maxTokens: 12, reuseCache: false });
    engine.prefillSegmentChunks = 1; // one chunk per segment: three segments, then prefill() for the rest
    const segmented = await run(engine, prompt, { temperature: 0, maxTokens: 12, reuseCache: false });
    expect(segmented.ids).toEqual(whole.ids);
    // Stop pressed while the first segment is on the GPU: generate() has run up to its first wait when next()
    // returns its promise, so the abort lands during that segment.
    const ac = new AbortController();
    const tokens = engine.generate(prompt, { raw: true, temperature: 0, maxTokens: 12, signal: ac.signal, reuseCache: false })[Symbol.asyncIterator]();
    const first = tokens.next();
    ac.abort();
    expect((await first).done).toBe(true);
    expect(engine.lastStats()).toMatchObject({ promptTokens: n, generatedTokens: 0 });
    const again = await run(engine, prompt, { temperature: 0, maxTokens: 12 });
    expect(engine.lastStats()!.reusedTokens).toBe(chunk); // the segment read before the Stop
    expect(again.ids).toEqual(whole.ids);
    await engine.unload();
  });

  it('logits() and direct model use invalidate the cache record', async () => {
    const engine = await loadEngine(await convertedStories(), false);
    await run(engine, 'Once upon a time', { temperature: 0, maxTokens: 20 });
    await engine.logits(engine.promptIds('Lily and Tom', true));
    const after = await run(engine, 'Once upon a time', { temperature: 0, maxTokens: 20 });
    expect(engine.lastStats()!.reusedTokens).toBe(0);
    const cold = await run(engine, 'Once upon a time', { temperature: 0, maxTokens: 20, reuseCache: false });
    expect(after.ids).toEqual(cold.ids);
    await engine.unload();
  });
});

describe('pipelined decode on a random GPTQ Llama', () => {
  it('greedy ids at depth 2 equal the lock-step loop, cold and with a reused prefix', async () => {
    const dir = makeTempDir('rand-llama-pipe-');
    await makeRandomLlama(dir, { hidden: 64, intermediate: 96, layers: 2, heads: 4, kvHeads: 2, vocab: 300, tied: false, seed: 3, dtype: 'f16', quant: { groupSize: 32, actOrder: true, format: 'v1', sym: false } });
    for (const preferF16 of [false, true]) {
      const engine = await loadEngine(dir, preferF16);
      if (preferF16 && !engine.info!.f16) continue; // adapter without shader-f16: the f32 path was the first pass
      const prompt = 'the quick brown fox jumps over the lazy dog, again and again and again';
      engine.pipelineDepth = 0;
      const want = await run(engine, prompt, { temperature: 0, maxTokens: 40, reuseCache: false });
      engine.pipelineDepth = 2;
      const got = await run(engine, prompt, { temperature: 0, maxTokens: 40, reuseCache: false });
      expect(got.ids).toEqual(want.ids);
      // Random weights emit byte soup that does not re-tokenise to the same ids, so only the first prompt is
      // guaranteed to be shared; stories260K above checks reuse through the answer.
      const p2 = prompt + got.text + ' and then';
      const warm = await run(engine, p2, { temperature: 0, maxTokens: 30 });
      const reused = engine.lastStats()!.reusedTokens;
      const cold = await run(engine, p2, { temperature: 0, maxTokens: 30, reuseCache: false });
      console.log(`random GPTQ (${engine.info!.f16 ? 'f16' : 'f32'} path): ${want.ids.length} greedy ids identical; follow-up reused ${reused} of ${engine.lastStats()!.promptTokens}`);
      expect(reused).toBeGreaterThanOrEqual(engine.promptIds(prompt, true).length);
      expect(warm.ids).toEqual(cold.ids);
      await engine.unload();
    }
  });
});
