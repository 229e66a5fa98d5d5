// Errors a user can act on, raised by LlamaEngine.load on broken model directories and missing WebGPU.
import { readFileSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRandomLlama } from '../../scripts/make-random-llama';
import { acquireGpu } from '../../src/gpu/context';
import { nodeGpu } from '../../src/gpu/node-gpu';
import { LlamaEngine } from '../../src/model/engine';
import { nodeDirFiles } from '../../src/model/node-files';
import { AppError } from '../../src/shared/errors';
import { makeTempDir } from '../temp-dir';

async function model(opts: { shards?: number; quant?: boolean } = {}): Promise<string> {
  const dir = makeTempDir('bad-llama-');
  await makeRandomLlama(dir, {
    hidden: 64, intermediate: 96, layers: 1, heads: 4, kvHeads: 2, vocab: 300, tied: false, seed: 3, dtype: 'f16',
    shards: opts.shards, quant: opts.quant ? { groupSize: 32, actOrder: true, format: 'v1', sym: false } : undefined,
  });
  return dir;
}

async function loadError(dir: string): Promise<AppError> {
  const engine = new LlamaEngine(nodeGpu());
  try {
    await engine.load(nodeDirFiles(dir));
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  } finally {
    await engine.unload();
  }
  throw new Error('load() succeeded but an error was expected');
}

describe('engine load errors', () => {
  it('missing shard → MISSING_FILE naming the shard', async () => {
    const dir = await model({ shards: 2 });
    rmSync(join(dir, 'model-00002-of-00002.safetensors'));
    const e = await loadError(dir);
    expect(e.code).toBe('MISSING_FILE');
    expect(e.message).toContain('model-00002-of-00002.safetensors');
  });

  it('truncated shard → TRUNCATED_FILE', async () => {
    const dir = await model({ quant: true });
    const f = join(dir, 'model.safetensors');
    truncateSync(f, statSync(f).size - 1000);
    const e = await loadError(dir);
    expect(e.code).toBe('TRUNCATED_FILE');
    expect(e.message).toMatch(/model\.safetensors/);
  });

  it('bits=3 → UNSUPPORTED_QUANTIZATION', async () => {
    const dir = await model({ quant: true });
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    cfg.quantization_config = { ...(cfg.quantization_config ?? {}), quant_method: 'gptq', bits: 3, group_size: 32 };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
    rmSync(join(dir, 'quantize_config.json'), { force: true });
    const e = await loadError(dir);
    expect(e.code).toBe('UNSUPPORTED_QUANTIZATION');
    expect(e.message).toMatch(/4-bit/);
  });

  it('malformed config → MALFORMED_CONFIG naming the field', async () => {
    const dir = await model();
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    cfg.hidden_size = 'big';
    writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
    const e = await loadError(dir);
    expect(e.code).toBe('MALFORMED_CONFIG');
    expect(e.message).toContain('hidden_size');
  });

  it('config.json that is not JSON → MALFORMED_CONFIG', async () => {
    const dir = await model();
    writeFileSync(join(dir, 'config.json'), '{"hidden_size": 64,');
    expect((await loadError(dir)).code).toBe('MALFORMED_CONFIG');
  });

  it('no WebGPU → NO_WEBGPU with a message that says what to do', async () => {
    await expect(acquireGpu(undefined)).rejects.toMatchObject({ code: 'NO_WEBGPU' });
    const engine = new LlamaEngine(undefined);
    const dir = await model();
    await expect(engine.load(nodeDirFiles(dir))).rejects.toMatchObject({ code: 'NO_WEBGPU', message: expect.stringMatching(/search mode/i) });
  });

  it('a tensor larger than the adapter allows → ADAPTER_TOO_SMALL saying how much is needed', async () => {
    const ctx = await acquireGpu(nodeGpu());
    // Pretend the adapter's largest buffer is 1 KiB: the 300×64 f16 embedding (37.5 KiB) cannot be placed.
    const tiny = { ...ctx, limits: { ...ctx.limits, maxBufferSize: 1024, maxStorageBufferBindingSize: 1024 } as GPUSupportedLimits };
    const engine = new LlamaEngine(undefined, tiny);
    const dir = await model();
    const err = await engine.load(nodeDirFiles(dir)).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('ADAPTER_TOO_SMALL');
    expect(err.message).toMatch(/MiB|KiB|GiB|bytes/);
    ctx.device.destroy();
  });

  it('generate before load → NOT_LOADED', async () => {
    const engine = new LlamaEngine(nodeGpu());
    await expect(engine.generate('hi').next()).rejects.toMatchObject({ code: 'NOT_LOADED' });
  });

  it('load reports progress and can be cancelled', async () => {
    const dir = await model({ quant: true });
    const events: { loaded: number; total: number }[] = [];
    const engine = new LlamaEngine(nodeGpu());
    await engine.load(nodeDirFiles(dir), { onProgress: (p) => p.phase === 'upload' && events.push({ loaded: p.loaded, total: p.total }) });
    await engine.unload();
    expect(events.length).toBeGreaterThan(5);
    for (let i = 1; i < events.length; i++) expect(events[i].loaded).toBeGreaterThanOrEqual(events[i - 1].loaded);
    expect(events.at(-1)!.loaded).toBe(events.at(-1)!.total);

    const ac = new AbortController();
    let seen = 0;
    const err = await engine
      .load(nodeDirFiles(dir), { signal: ac.signal, onProgress: (p) => p.phase === 'upload' && ++seen === 3 && ac.abort() })
      .catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('ABORTED');
    await expect(engine.generate('x').next()).rejects.toMatchObject({ code: 'NOT_LOADED' });
  });
});
