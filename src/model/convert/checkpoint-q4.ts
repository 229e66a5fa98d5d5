// A GPTQ 4-bit model directory (dense llama / mistral without sliding window, no biases) gathered for
// writeQ4LlamaGguf: each linear repacked as the engine does at load (repackGptq), so Q4_0 conversion sees the
// very layout our kernels run; embedding and lm_head as stored (f16 bits or f32), norms as f32.
import { repackGptq } from '../../gpu/gptq-repack';
import { AppError } from '../../shared/errors';
import { LINEAR_NAMES, type Checkpoint } from '../checkpoint';
import type { Q4LlamaWeights } from './gguf-q4-llama';

export async function checkpointQ4Weights(ck: Checkpoint): Promise<Q4LlamaWeights> {
  const cfg = ck.config;
  if ((cfg.architecture && cfg.architecture !== 'llama' && cfg.architecture !== 'mistral') || cfg.slidingWindow || cfg.qkNorm || cfg.moe) {
    throw new AppError('UNSUPPORTED_MODEL', `Only dense llama-architecture models are exported to Q4_0 for llama.cpp, not ${cfg.architecture}. Pick a Llama / Mistral (no sliding window) GPTQ model or a synthetic shape.`);
  }
  if (cfg.quant?.bits !== 4) throw new AppError('UNSUPPORTED_QUANTIZATION', 'Only 4-bit GPTQ models are exported to Q4_0 for llama.cpp.');
  const matrix = async (name: string) => {
    const a = await ck.read(name);
    if (a instanceof Int32Array) throw new AppError('MALFORMED_WEIGHTS', `${name} is an integer tensor; a float matrix was expected.`);
    return a;
  };
  const layers: Q4LlamaWeights['layers'] = [];
  const attnNorm: Float32Array[] = [];
  const ffnNorm: Float32Array[] = [];
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `model.layers.${l}`;
    const lin: Record<string, ReturnType<typeof repackGptq>> = {};
    for (const [key, name] of LINEAR_NAMES) {
      const t = await ck.gptq(`${p}.${name}`);
      if (!t) throw new AppError('UNSUPPORTED_QUANTIZATION', `${p}.${name} is not GPTQ 4-bit; every layer linear must be for the Q4_0 export.`);
      const packed = repackGptq(t);
      if (packed.bias) throw new AppError('UNSUPPORTED_MODEL', `${p}.${name} has a bias, which the llama-architecture GGUF export does not write.`);
      lin[key] = packed;
    }
    layers.push(lin as unknown as Q4LlamaWeights['layers'][number]);
    attnNorm.push(await ck.readF32(`${p}.input_layernorm.weight`));
    ffnNorm.push(await ck.readF32(`${p}.post_attention_layernorm.weight`));
  }
  if (ck.has('lm_head.qweight')) throw new AppError('UNSUPPORTED_QUANTIZATION', 'A quantised lm_head is not exported to Q4_0 yet.');
  return {
    embedding: await matrix('model.embed_tokens.weight'),
    lmHead: ck.has('lm_head.weight') ? await matrix('lm_head.weight') : null,
    attnNorm, ffnNorm,
    finalNorm: await ck.readF32('model.norm.weight'),
    layers,
  };
}
