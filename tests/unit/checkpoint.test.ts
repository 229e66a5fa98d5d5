// openCheckpoint over generated HF directories: GPTQ layers, dtypes, shards, tied/untied, old file names.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../src/model/checkpoint';
import { f16BitsToF32 } from '../../src/shared/f16';
import { dequantGptq } from '../../src/model/gptq-pack';
import { nodeDirFiles } from '../../src/model/node-files';
import { loadWeightsF32, ReferenceLlama } from '../../src/model/reference';
import type { AppError } from '../../src/shared/errors';
import { makeRandomLlama, type RandomLlamaOptions } from '../../scripts/make-random-llama';
import { makeTempDir } from '../temp-dir';

const small: RandomLlamaOptions = { hidden: 64, intermediate: 96, layers: 2, heads: 4, kvHeads: 2, vocab: 320, tied: false, seed: 11 };

async function make(o: Partial<RandomLlamaOptions>): Promise<string> {
  const dir = makeTempDir('ck-');
  await makeRandomLlama(dir, { ...small, ...o });
  return dir;
}

async function error(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    return e as AppError;
  }
  throw new Error('expected an error');
}

describe('openCheckpoint', () => {
  it('reads GPTQ v1 act-order layers from a sharded, untied model as GptqTensors', async () => {
    const dir = await make({ shards: 3, quant: { groupSize: 32, actOrder: true, format: 'v1', sym: false }, quantConfigIn: 'quantize_config' });
    const ck = await openCheckpoint(nodeDirFiles(dir));
    expect(ck.config.quant).toEqual({ method: 'gptq', bits: 4, groupSize: 32, descAct: true, sym: false, format: 'v1' });
    expect(ck.has('lm_head.weight')).toBe(true);
    const t = (await ck.gptq('model.layers.1.mlp.down_proj'))!;
    expect(t).toMatchObject({ K: 96, N: 64, groupSize: 32, format: 'v1' });
    expect(t.qweight.length).toBe((96 / 8) * 64);
    expect(t.qzeros.length).toBe(3 * 8);
    expect(t.scales.length).toBe(3 * 64);
    expect([...t.gIdx].some((g, i) => i > 0 && g < t.gIdx[i - 1])).toBe(true);
    expect(await ck.gptq('model.layers.0.input_layernorm')).toBeNull();
    // The dequantized layer is a faithful 4-bit approximation of a uniform ±sqrt(3/K) weight.
    const W = dequantGptq(t);
    const bound = Math.sqrt(3 / 96) * 1.2;
    expect(W.every((v) => Math.abs(v) <= bound)).toBe(true);
    expect(new Set(W).size).toBeGreaterThan(100);
    expect(ck.weightBytes).toBeGreaterThan(320 * 64 * 4 * 2);
  });

  it('reads F16 as bits and BF16/F16 as floats; the reference runs a tied bf16 model with llama3 rope', async () => {
    const f32 = await make({ tied: true, ropeScaling: 'llama3' });
    const f16 = await make({ tied: true, ropeScaling: 'llama3', dtype: 'f16' });
    const bf16 = await make({ tied: true, ropeScaling: 'llama3', dtype: 'bf16' });
    const a = await openCheckpoint(nodeDirFiles(f32));
    const b = await openCheckpoint(nodeDirFiles(f16));
    const c = await openCheckpoint(nodeDirFiles(bf16));
    expect(a.config.ropeScaling?.type).toBe('llama3');
    expect(a.has('lm_head.weight')).toBe(false);
    const name = 'model.layers.0.self_attn.q_proj.weight';
    expect(b.info(name).dtype).toBe('F16');
    expect(c.info(name).dtype).toBe('BF16');
    const ref = (await a.read(name)) as Float32Array;
    const bits = (await b.read(name)) as Uint16Array;
    expect(bits).toBeInstanceOf(Uint16Array);
    expect(f16BitsToF32(bits[5])).toBeCloseTo(ref[5], 3);
    const asBf16 = await c.readF32(name);
    for (let i = 0; i < 50; i++) expect(Math.abs(asBf16[i] - ref[i])).toBeLessThanOrEqual(Math.abs(ref[i]) / 128);
    const w = await loadWeightsF32(c);
    expect(w.lmHead).toBe(w.embed);
    const m = new ReferenceLlama(c.config, w);
    const logits = m.logitsFor([1, 7, 9, 300]);
    expect(logits.length).toBe(4);
    expect(logits.every((l) => l.length === 320 && l.every(Number.isFinite))).toBe(true);
  });

  it('reads optional GPTQ and dense biases, and the reference applies them', async () => {
    const q = { groupSize: 32, actOrder: false, format: 'v2' as const, sym: false };
    const withBias = await make({ bias: true, quant: q });
    const ck = await openCheckpoint(nodeDirFiles(withBias));
    expect(ck.info('model.layers.0.self_attn.o_proj.bias')).toMatchObject({ dtype: 'F16', shape: [64] });
    const t = (await ck.gptq('model.layers.0.self_attn.o_proj'))!;
    expect(t.bias?.length).toBe(64);
    const dense = await openCheckpoint(nodeDirFiles(await make({ bias: true })));
    expect(dense.info('model.layers.0.mlp.up_proj.bias').shape).toEqual([96]);
    const cfg = JSON.parse(readFileSync(join(withBias, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ attention_bias: true, mlp_bias: true });
    // Same seed with and without bias: identical weights, so any logit change comes from the biases.
    const a = await ReferenceLlama.load(nodeDirFiles(withBias));
    const b = await ReferenceLlama.load(nodeDirFiles(await make({ bias: false, quant: q })));
    const w = a.weights.layers[0].o;
    expect(w.bias).toBeDefined();
    expect([...w.w]).toEqual([...b.weights.layers[0].o.w]);
    const la = a.logitsFor([1, 5])[1];
    const lb = b.logitsFor([1, 5])[1];
    expect(la.some((v, i) => Math.abs(v - lb[i]) > 1e-3)).toBe(true);
  });

  it('finds old AutoGPTQ weight names and reports a missing config or shard', async () => {
    const dir = await make({ quant: { groupSize: -1, actOrder: false, format: 'v2', sym: true }, quantConfigIn: 'config' });
    renameSync(join(dir, 'model.safetensors'), join(dir, 'gptq_model-4bit-128g.safetensors'));
    const ck = await openCheckpoint(nodeDirFiles(dir));
    expect(ck.config.quant?.format).toBe('v2');
    const t = (await ck.gptq('model.layers.0.self_attn.q_proj'))!;
    expect([...t.qzeros].every((w) => w >>> 0 === 0x88888888)).toBe(true);

    const sharded = await make({ shards: 2 });
    rmSync(join(sharded, 'model-00002-of-00002.safetensors'));
    const e = await error(openCheckpoint(nodeDirFiles(sharded)));
    expect(e.code).toBe('MISSING_FILE');
    expect(e.message).toContain('model-00002-of-00002.safetensors');

    rmSync(join(dir, 'config.json'));
    expect((await error(openCheckpoint(nodeDirFiles(dir)))).code).toBe('MISSING_FILE');
    writeFileSync(join(dir, 'config.json'), '{"model_type": "llama", "hidden_size": 64');
    expect((await error(openCheckpoint(nodeDirFiles(dir)))).code).toBe('MALFORMED_CONFIG');
  });
});

describe('openCheckpoint: float tensors stored as integers', () => {
  it('GPTQ scales (or a bias) stored as I32 are MALFORMED_WEIGHTS naming the tensor, not garbage weights', async () => {
    const { parseSafetensorsHeader, writeSafetensors } = await import('../../src/model/safetensors');
    for (const suffix of ['scales', 'bias']) {
      const dir = await make({ bias: true, quant: { groupSize: 32, actOrder: false, format: 'v1', sym: true } });
      const file = join(dir, 'model.safetensors');
      const bytes = new Uint8Array(readFileSync(file));
      const h = parseSafetensorsHeader(bytes);
      const target = `model.layers.0.self_attn.o_proj.${suffix}`;
      expect(h.tensors.get(target)?.dtype).toBe('F16');
      const rewritten = [...h.tensors].map(([name, t]) => {
        const raw = bytes.slice(h.dataOffset + t.begin, h.dataOffset + t.end);
        if (name !== target) return { name, dtype: t.dtype, shape: t.shape, data: t.dtype === 'F16' || t.dtype === 'BF16' ? new Uint16Array(raw.buffer) : t.dtype === 'I32' ? new Int32Array(raw.buffer) : new Float32Array(raw.buffer) };
        // The same values as integers (0x3800 → 14336): shapes still match, so only the dtype can tell.
        return { name, dtype: 'I32' as const, shape: t.shape, data: Int32Array.from(new Uint16Array(raw.buffer)) };
      });
      writeFileSync(file, writeSafetensors(rewritten));
      const ck = await openCheckpoint(nodeDirFiles(dir));
      const e = await error(ck.gptq('model.layers.0.self_attn.o_proj'));
      expect(e.code, suffix).toBe('MALFORMED_WEIGHTS');
      expect(e.message).toContain(`${target} is I32 where float scales or a bias`);
    }
  });
});
