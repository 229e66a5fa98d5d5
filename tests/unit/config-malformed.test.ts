// config.json values that used to slip through: llama3 rope_scaling without factor (NaN frequencies, blank
// answers), low_freq_factor == high_freq_factor (division by zero), and inherited names as model types.
import { describe, expect, it } from 'vitest';
import { parseModelConfig, type Llama3RopeScaling } from '../../src/model/config';
import { ropeInvFreq } from '../../src/model/rope';
import { AppError } from '../../src/shared/errors';
import { thrownBy } from '../caught-error';

const base = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 256,
  intermediate_size: 512,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 4,
  rms_norm_eps: 1e-5,
  rope_theta: 500000,
  max_position_embeddings: 131072,
  vocab_size: 1000,
  bos_token_id: 1,
  eos_token_id: 2,
};
const llama3 = { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };

describe('config.json rope_scaling checks', () => {
  it('a llama3 rope_scaling without factor is MALFORMED_CONFIG naming rope_scaling.factor', () => {
    const { factor: _f, ...noFactor } = llama3;
    const err = thrownBy(() => parseModelConfig({ ...base, rope_scaling: noFactor }));
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('MALFORMED_CONFIG');
    expect(err.message).toContain('rope_scaling.factor');
    expect(err.message).toMatch(/Check that the model's config files/);
  });

  it('high_freq_factor must be larger than low_freq_factor', () => {
    for (const [low, high] of [[2, 2], [4, 1]]) {
      const err = thrownBy(() => parseModelConfig({ ...base, rope_scaling: { ...llama3, low_freq_factor: low, high_freq_factor: high } }));
      expect(err.code).toBe('MALFORMED_CONFIG');
      expect(err.message).toContain('rope_scaling.high_freq_factor');
      expect(err.message).toContain('low_freq_factor');
    }
  });

  it('a valid llama3 rope_scaling still parses and gives finite frequencies', () => {
    const inv = ropeInvFreq(parseModelConfig({ ...base, rope_scaling: llama3 }));
    expect(inv.length).toBe(32);
    expect([...inv].every((v) => Number.isFinite(v) && v > 0)).toBe(true);
  });

  it('ropeInvFreq refuses non-finite frequencies (a config built without the parser)', () => {
    const cfg = parseModelConfig({ ...base, rope_scaling: llama3 });
    const scaling = cfg.ropeScaling as Llama3RopeScaling;
    const nanFactor = thrownBy(() => ropeInvFreq({ ...cfg, ropeScaling: { ...scaling, factor: NaN } }));
    expect(nanFactor.code).toBe('MALFORMED_CONFIG');
    expect(nanFactor.message).toMatch(/rope_scaling/);
    const sameFactors = thrownBy(() => ropeInvFreq({ ...cfg, ropeScaling: { ...scaling, lowFreqFactor: 4, highFreqFactor: 4 } }));
    expect(sameFactors.code).toBe('MALFORMED_CONFIG');
  });
});

describe('config.json model_type lookup', () => {
  it('inherited object names are not model types: UNSUPPORTED_MODEL, not a crash', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const err = thrownBy(() => parseModelConfig({ ...base, model_type: name, architectures: [name] }));
      expect(err.code, name).toBe('UNSUPPORTED_MODEL');
      expect(err.message).toMatch(/Pick one of those/);
    }
  });

  it('an inherited name as quant_method is not mistaken for a refused method', () => {
    const err = thrownBy(() => parseModelConfig({ ...base, quantization_config: { quant_method: 'constructor', bits: 4 } }));
    expect(err.message).not.toMatch(/function|native code/);
    expect(err.code).not.toBe('INTERNAL');
  });
});
