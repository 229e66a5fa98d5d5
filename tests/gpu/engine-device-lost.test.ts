// A GPU device lost in the middle of an answer (driver reset, GPU process crash; here: device.destroy() on
// Dawn after a few tokens). Dawn, like Chrome, rejects the read-backs in flight with an AbortError, which used to
// come out as ABORTED: the answer looked stopped by the user, and the model still looked loaded. Now it is
// DEVICE_LOST everywhere: the engine's generate, every later call, an answer turn (not "stopped"), and over
// the worker protocol, where the client also ends the engine and tells its owner (the model panel: load again).
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { answerQuestion, DEFAULT_ANSWER_SETTINGS } from '../../src/chat/answer';
import { nodeGpu } from '../../src/gpu/node-gpu';
import { LlamaEngine } from '../../src/model/engine';
import { nodeDirFiles } from '../../src/model/node-files';
import { AppError } from '../../src/shared/errors';
import { WorkerEngine } from '../../src/worker/engine-client';
import { serveEngine } from '../../src/worker/engine-host';
import type { FailureEndpoint, MessageEndpoint } from '../../src/worker/protocol';
import { rejectionOf } from '../caught-error';
import { convertedStories, SKIP_STORIES } from './model-fixtures';

async function loadedEngine(): Promise<LlamaEngine> {
  const engine = new LlamaEngine(nodeGpu());
  await engine.load(nodeDirFiles(await convertedStories()), { tune: false });
  return engine;
}

/** Drains a generation, destroying the engine's device after `after` tokens; returns the tokens and the error. */
async function generateUntilLost(tokens: AsyncIterable<{ text: string }>, destroy: () => void, after = 3): Promise<{ n: number; error: unknown }> {
  let n = 0;
  try {
    for await (const _ of tokens) if (++n === after) destroy();
  } catch (e) {
    return { n, error: e };
  }
  return { n, error: null };
}

describe.skipIf(SKIP_STORIES)('a GPU device lost while answering', () => {
  it('generate fails with DEVICE_LOST (not ABORTED), and so does every later call', async () => {
    const engine = await loadedEngine();
    const { n, error } = await generateUntilLost(engine.generate('Once upon a time', { raw: true, temperature: 0, maxTokens: 200 }), () => engine.context!.device.destroy());
    expect(n).toBeGreaterThanOrEqual(3);
    expect(n).toBeLessThan(200);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('DEVICE_LOST');
    expect((error as AppError).message).toMatch(/Load the model again/);
    const next = await rejectionOf(async () => {
      for await (const _ of engine.generate('Once', { raw: true, maxTokens: 4 })) void _;
    });
    expect((next as AppError).code).toBe('DEVICE_LOST');
    await engine.unload();
  });

  it('an answer cut off by the lost device carries DEVICE_LOST and is not marked stopped', async () => {
    const engine = await loadedEngine();
    const info = { name: 'stories', architecture: 'llama', vocabSize: 512, contextLength: 512, quantization: 'f32', weightBytes: 0, adapter: '', f16: false, hasChatTemplate: false, tuning: 'off' as const };
    let shown = 0;
    const turn = await answerQuestion(
      'Once upon a time',
      [],
      undefined,
      { search: async () => [{ docId: 'd', file: 'a.pdf', page: 1, label: '1', score: 1, text: 'Lily had a dog.', start: 0, end: 15 }], engine: { engine, info } },
      { ...DEFAULT_ANSWER_SETTINGS, maxAnswerTokens: 200, temperature: 0 },
      { onText: () => { if (++shown === 3) engine.context!.device.destroy(); } },
    );
    expect(turn.error?.code).toBe('DEVICE_LOST');
    expect(turn.stopped).toBeFalsy();
    await engine.unload();
  });

  it('over the worker protocol: the call rejects with DEVICE_LOST, the client ends the engine and tells its owner once', async () => {
    const ch = new MessageChannel();
    const hosted: { engine: LlamaEngine | null } = { engine: null };
    serveEngine(ch.port1 as unknown as MessageEndpoint, () => (hosted.engine = new LlamaEngine(nodeGpu())));
    const client = new WorkerEngine(ch.port2 as unknown as MessageEndpoint & FailureEndpoint);
    ch.port1.start();
    ch.port2.start();
    const failures: AppError[] = [];
    client.onFailure = (e) => failures.push(e);
    try {
      await client.load(nodeDirFiles(await convertedStories()), { tune: false });
      const { error } = await generateUntilLost(client.generate('Once upon a time', { raw: true, temperature: 0, maxTokens: 200 }), () => hosted.engine!.context!.device.destroy());
      expect((error as AppError).code).toBe('DEVICE_LOST');
      expect(failures.map((f) => f.code)).toEqual(['DEVICE_LOST']);
      // The engine is closed: a later call fails at once with the same error, without asking the worker.
      expect(((await rejectionOf(() => client.countTokens('hi'))) as AppError).code).toBe('DEVICE_LOST');
      expect(failures).toHaveLength(1);
    } finally {
      ch.port1.close();
      ch.port2.close();
      await hosted.engine?.unload();
    }
  });
});
