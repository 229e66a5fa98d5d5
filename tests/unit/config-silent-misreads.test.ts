// config.json values that used to load and then run the wrong model without a word (audit 6): an MLP
// activation other than SiLU, GPTQModel's per-module "dynamic" settings, a Qwen2-MoE config without its shared
// expert's size (a default of 0 dropped the shared expert), and Mixtral / OLMoE defaults for missing fields.
import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../src/model/config';
import { thrownBy } from '../caught-error';

const llama = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 256,
  intermediate_size: 512,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 4,
  vocab_size: 1000,
  bos_token_id: 1,
  eos_token_id: 2,
};

describe('configs that would have been misread', () => {
  it('an MLP activation other than SiLU is UNSUPPORTED_MODEL naming it; silu, swish and none are accepted', () => {
    for (const act of ['gelu_pytorch_tanh', 'relu', 42]) {
      const err = thrownBy(() => parseModelConfig({ ...llama, hidden_act: act }));
      expect(err.code).toBe('UNSUPPORTED_MODEL');
      expect(err.message).toContain(`activation is ${JSON.stringify(act)}`);
    }
    for (const act of ['silu', 'SiLU', 'swish', undefined, null]) expect(parseModelConfig({ ...llama, hidden_act: act }).architecture).toBe('llama');
  });

  it('GPTQ with per-module "dynamic" settings is UNSUPPORTED_QUANTIZATION; an empty one is the uniform case', () => {
    const q = { quant_method: 'gptq', bits: 4, group_size: 128, desc_act: false, sym: true };
    const err = thrownBy(() => parseModelConfig({ ...llama, quantization_config: { ...q, dynamic: { '+:^model.layers.0.': { bits: 8 } } } }));
    expect(err.code).toBe('UNSUPPORTED_QUANTIZATION');
    expect(err.message).toMatch(/per-module settings .*pick a uniform GPTQ export/);
    expect(parseModelConfig({ ...llama, quantization_config: { ...q, dynamic: {} } }).quant).toMatchObject({ bits: 4, groupSize: 128 });
  });

  it('a qwen2_moe config without shared_expert_intermediate_size is MALFORMED_CONFIG (it used to drop the shared expert)', () => {
    const moe = { ...llama, architectures: ['Qwen2MoeForCausalLM'], model_type: 'qwen2_moe', num_experts: 4, num_experts_per_tok: 2, moe_intermediate_size: 64, rope_theta: 1e6 };
    const err = thrownBy(() => parseModelConfig(moe));
    expect(err.code).toBe('MALFORMED_CONFIG');
    expect(err.message).toContain('shared_expert_intermediate_size');
    expect(parseModelConfig({ ...moe, shared_expert_intermediate_size: 128 }).moe?.sharedExpertIntermediateSize).toBe(128);
  });

  it('missing rms_norm_eps / rope_theta take the defaults of transformers\' Mixtral and OLMoE configs', () => {
    const mixtral = parseModelConfig({ ...llama, architectures: ['MixtralForCausalLM'], model_type: 'mixtral', num_local_experts: 4, num_experts_per_tok: 2 });
    expect(mixtral).toMatchObject({ rmsNormEps: 1e-5, ropeTheta: 1e6 });
    const olmoe = parseModelConfig({ ...llama, architectures: ['OlmoeForCausalLM'], model_type: 'olmoe', num_experts: 4, num_experts_per_tok: 2 });
    expect(olmoe).toMatchObject({ rmsNormEps: 1e-5, ropeTheta: 10000 });
    expect(parseModelConfig(llama)).toMatchObject({ rmsNormEps: 1e-6, ropeTheta: 10000 });
  });
});
