import { describe, expect, it } from 'vitest';
import { parseModelConfig, type YarnRopeScaling } from '../../src/model/config';
import { attentionLogitScale, ropeAttentionFactor, ropeInvFreq } from '../../src/model/rope';
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

  it('parses YaRN rope_scaling (Qwen3 long context) and blends the frequencies over the ramp of dimensions', () => {
    // Qwen3-8B with the model card's YaRN setting: head_dim 128, rope_theta 1e6, factor 4 over 32768 positions.
    const cfg = parseModelConfig({
      ...base, model_type: 'qwen3', architectures: ['Qwen3ForCausalLM'], hidden_size: 4096, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 128,
      rope_theta: 1000000, max_position_embeddings: 40960, rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 32768 },
    });
    expect(cfg.ropeScaling).toEqual({ type: 'yarn', factor: 4, originalMaxPositionEmbeddings: 32768, betaFast: 32, betaSlow: 1, attentionFactor: 0.1 * Math.log(4) + 1, truncate: true });
    const inv = ropeInvFreq(cfg);
    const plain = ropeInvFreq({ ...cfg, ropeScaling: null });
    // The ramp, worked by hand: 128·ln(32768 / (32·2π)) / (2·ln 1e6) = 23.6 → 23 and 128·ln(32768 / 2π) / (2·ln 1e6)
    // = 39.7 → 40. Dimensions up to 23 keep their frequency, from 40 on it is divided by 4, between they blend.
    for (let i = 0; i <= 23; i++) expect(inv[i]).toBe(plain[i]);
    for (let i = 40; i < 64; i++) expect(inv[i]).toBeCloseTo(plain[i] / 4, 12);
    const t = (31 - 23) / (40 - 23);
    expect(inv[31]).toBeCloseTo(plain[31] / 4 * t + plain[31] * (1 - t), 10);
    expect(ropeAttentionFactor(cfg)).toBeCloseTo(1.138629, 6);
    expect(attentionLogitScale(cfg)).toBeCloseTo(1.138629 ** 2 / Math.sqrt(128), 6);
    expect(attentionLogitScale({ ...cfg, ropeScaling: null })).toBe(1 / Math.sqrt(128));
  });

  it('YaRN options: attention_factor, DeepSeek mscale, betas, truncate false, and the original context defaulting to max_position_embeddings', () => {
    const yarn = (extra: Record<string, unknown>) => parseModelConfig({ ...base, rope_scaling: { type: 'yarn', factor: 8, ...extra } }).ropeScaling as YarnRopeScaling;
    expect(yarn({}).originalMaxPositionEmbeddings).toBe(base.max_position_embeddings);
    expect(yarn({ attention_factor: 1.5 }).attentionFactor).toBe(1.5);
    // DeepSeek-V2/V3: mscale = mscale_all_dim → a ratio of 1; different values give their ratio.
    expect(yarn({ mscale: 0.707, mscale_all_dim: 0.707 }).attentionFactor).toBe(1);
    expect(yarn({ mscale: 1, mscale_all_dim: 0.5 }).attentionFactor).toBeCloseTo((0.1 * Math.log(8) + 1) / (0.05 * Math.log(8) + 1), 12);
    expect(yarn({ beta_fast: 16, beta_slow: 2 })).toMatchObject({ betaFast: 16, betaSlow: 2 });
    // Without truncation the ramp's ends are fractional: a dimension the truncated ramp keeps is now blended.
    const cfg = parseModelConfig({ ...base, rope_scaling: { type: 'yarn', factor: 8, truncate: false, original_max_position_embeddings: 256 } });
    const truncated = ropeInvFreq({ ...cfg, ropeScaling: { ...(cfg.ropeScaling as YarnRopeScaling), truncate: true } });
    expect([...ropeInvFreq(cfg)].some((v, i) => v !== truncated[i])).toBe(true);
    expect(codeOf(() => yarn({ factor: null }))).toBe('MALFORMED_CONFIG');
    expect(codeOf(() => yarn({ beta_fast: 1, beta_slow: 32 }))).toBe('MALFORMED_CONFIG');
    expect(codeOf(() => yarn({ truncate: 'yes' }))).toBe('MALFORMED_CONFIG');
    expect(codeOf(() => yarn({ attention_factor: -1 }))).toBe('MALFORMED_CONFIG');
  });

  it('an unsupported rope_scaling type (longrope) is UNSUPPORTED_MODEL naming the types that are supported', () => {
    let err: unknown;
    try {
      parseModelConfig({ ...base, rope_scaling: { rope_type: 'longrope', long_factor: [1], short_factor: [1] } });
    } catch (e) {
      err = e;
    }
    expect((err as { code?: string }).code).toBe('UNSUPPORTED_MODEL');
    expect(String((err as Error).message)).toMatch(/"longrope".*"llama3", "linear", "dynamic" and "yarn"/);
  });
});
