import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../src/model/config';
import { ropeInvFreq } from '../../src/model/rope';
import { AppError } from '../../src/shared/errors';

const base = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 2048,
  intermediate_size: 5632,
  num_hidden_layers: 22,
  num_attention_heads: 32,
  num_key_value_heads: 4,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  max_position_embeddings: 2048,
  vocab_size: 32000,
  tie_word_embeddings: false,
  bos_token_id: 1,
  eos_token_id: 2,
};

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as AppError).code;
  }
  return 'no error';
}

describe('parseModelConfig', () => {
  it('reads a plain Llama config with defaults (head_dim, kv heads) and no quantization', () => {
    const c = parseModelConfig({ ...base, num_key_value_heads: undefined });
    expect(c.headDim).toBe(64);
    expect(c.numKvHeads).toBe(32);
    expect(c.quant).toBeNull();
    expect(c.ropeScaling).toBeNull();
    expect(c.eosTokenIds).toEqual([2]);
  });

  it('takes quantization from quantize_config.json (AutoGPTQ) with checkpoint_format, group_size -1', () => {
    const c = parseModelConfig(base, { bits: 4, group_size: -1, desc_act: true, sym: false, checkpoint_format: 'gptq_v2' });
    expect(c.quant).toEqual({ method: 'gptq', bits: 4, groupSize: -1, descAct: true, sym: false, format: 'v2' });
  });

  it('takes quantization from config.json quantization_config with GPTQModel "format", absent format = v1', () => {
    const c = parseModelConfig({ ...base, quantization_config: { quant_method: 'gptq', bits: 4, group_size: 128, desc_act: false, sym: true, format: 'gptq' } });
    expect(c.quant).toEqual({ method: 'gptq', bits: 4, groupSize: 128, descAct: false, sym: true, format: 'v1' });
    const d = parseModelConfig({ ...base, quantization_config: { bits: 4, group_size: 32 } });
    expect(d.quant?.format).toBe('v1');
    const e = parseModelConfig({ ...base, quantization_config: { bits: 4, group_size: 32, format: 'gptq_v2' } });
    expect(e.quant?.format).toBe('v2');
  });

  it('unions eos ids of config.json and generation_config.json', () => {
    const c = parseModelConfig({ ...base, eos_token_id: 128001 }, undefined, { eos_token_id: [128001, 128008, 128009] });
    expect(c.eosTokenIds.sort()).toEqual([128001, 128008, 128009]);
  });

  it('rejects bits=3 with UNSUPPORTED_QUANTIZATION that says which bits are supported', () => {
    try {
      parseModelConfig(base, { bits: 3, group_size: 128 });
      expect.unreachable();
    } catch (e) {
      expect((e as AppError).code).toBe('UNSUPPORTED_QUANTIZATION');
      expect((e as AppError).message).toMatch(/Only 4-bit and 8-bit GPTQ/);
    }
    expect(codeOf(() => parseModelConfig({ ...base, quantization_config: { quant_method: 'awq', bits: 8, group_size: 128 } }))).toBe('UNSUPPORTED_QUANTIZATION');
  });

  it('reports MALFORMED_CONFIG naming the field, and UNSUPPORTED_MODEL for other architectures', () => {
    try {
      parseModelConfig({ ...base, hidden_size: 'big' });
      expect.unreachable();
    } catch (e) {
      expect((e as AppError).code).toBe('MALFORMED_CONFIG');
      expect((e as AppError).message).toContain('hidden_size');
    }
    expect(codeOf(() => parseModelConfig({ ...base, num_hidden_layers: undefined }))).toBe('MALFORMED_CONFIG');
    expect(codeOf(() => parseModelConfig('nope'))).toBe('MALFORMED_CONFIG');
    expect(codeOf(() => parseModelConfig({ ...base, model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] }))).toBe('UNSUPPORTED_MODEL');
    expect(codeOf(() => parseModelConfig(base, { bits: 4, group_size: 0 }))).toBe('MALFORMED_CONFIG');
  });

  it('parses llama3 rope_scaling and scales inv_freq per the spec', () => {
    const cfg = parseModelConfig({
      ...base,
      hidden_size: 2048,
      num_attention_heads: 32,
      rope_theta: 500000,
      max_position_embeddings: 131072,
      rope_scaling: { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
    });
    expect(cfg.ropeScaling).toEqual({ type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
    const inv = ropeInvFreq(cfg);
    const plain = ropeInvFreq({ ...cfg, ropeScaling: null });
    expect(inv.length).toBe(32);
    // High frequencies (short wavelengths) unchanged, lowest frequencies divided by the factor, middle blended.
    expect(inv[0]).toBe(plain[0]);
    expect(inv[31]).toBeCloseTo(plain[31] / 32, 12);
    const mid = [...inv].findIndex((v, i) => v !== plain[i] && Math.abs(v - plain[i] / 32) > 1e-12 * plain[i]);
    expect(mid).toBeGreaterThan(0);
    expect(inv[mid]).toBeLessThan(plain[mid]);
    expect(inv[mid]).toBeGreaterThan(plain[mid] / 32);
    expect(plain[1]).toBeCloseTo(Math.pow(500000, -2 / 64), 6);
  });

  it('parses linear rope_scaling (deepseek-coder style) and divides every inv_freq by the factor', () => {
    const cfg = parseModelConfig({ ...base, max_position_embeddings: 16384, rope_scaling: { type: 'linear', factor: 4 } });
    expect(cfg.ropeScaling).toEqual({ type: 'linear', factor: 4 });
    const inv = ropeInvFreq(cfg);
    const plain = ropeInvFreq({ ...cfg, ropeScaling: null });
    for (let i = 0; i < inv.length; i++) expect(inv[i]).toBe(Math.fround(plain[i] / 4));
  });

  it('dynamic rope_scaling is the unscaled RoPE within max_position_embeddings, which the engine never passes', () => {
    const cfg = parseModelConfig({ ...base, rope_scaling: { rope_type: 'dynamic', factor: 2 } });
    expect(cfg.ropeScaling).toBeNull();
    expect(codeOf(() => parseModelConfig({ ...base, rope_scaling: { rope_type: 'dynamic' } }))).toBe('MALFORMED_CONFIG');
  });

  it('an unsupported rope_scaling type (yarn) is UNSUPPORTED_MODEL naming the types that are supported', () => {
    let err: unknown;
    try {
      parseModelConfig({ ...base, rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 32768 } });
    } catch (e) {
      err = e;
    }
    expect((err as { code?: string }).code).toBe('UNSUPPORTED_MODEL');
    expect(String((err as Error).message)).toMatch(/"yarn".*"llama3", "linear" and "dynamic"/);
  });
});
