// Qwen2 / Qwen3 / Mistral configs as published, the quantisation formats we read (GPTQ 4/8-bit, AutoAWQ gemm)
// and those we refuse, AWQ's packing proven against an independent packer, GPTQ 8-bit's split into two exact
// 4-bit halves, and the CPU reference's Qwen3 q/k norm and Mistral sliding window against direct formulas.
import { describe, expect, it } from 'vitest';
import { makeRandomLlama, packAwqRows } from '../../scripts/make-random-llama';
import { gptqLinearCpu } from '../../src/gpu/cpu/gptq-linear';
import { repackGptq8Split } from '../../src/gpu/gptq-repack';
import { awqToGptq } from '../../src/model/awq-repack';
import { openCheckpoint } from '../../src/model/checkpoint';
import { parseModelConfig, type LlamaConfig } from '../../src/model/config';
import { writeModelDir } from '../../src/model/convert/write-dir';
import { dequantGptq } from '../../src/model/gptq-pack';
import { dequantGptq8, packGptq8 } from '../../src/model/gptq8-pack';
import { nodeDirFiles } from '../../src/model/node-files';
import { attend, ReferenceLlama } from '../../src/model/reference';
import { writeSafetensors } from '../../src/model/safetensors';
import { f16BitsToF32, f32ToF16Bits } from '../../src/shared/f16';
import { seededRandom } from '../../src/shared/random';
import { makeTempDir } from '../temp-dir';
import { rejectionOf, thrownBy } from '../caught-error';

// The fields of the published configs (Qwen/Qwen2.5-0.5B-Instruct, Qwen/Qwen3-4B, Mistral-7B-Instruct-v0.1).
const qwen25 = {
  architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24,
  num_attention_heads: 14, num_key_value_heads: 2, max_position_embeddings: 32768, rms_norm_eps: 1e-6, rope_theta: 1000000.0,
  sliding_window: 32768, use_sliding_window: false, max_window_layers: 21, tie_word_embeddings: true, vocab_size: 151936,
  bos_token_id: 151643, eos_token_id: 151645, hidden_act: 'silu', torch_dtype: 'bfloat16',
};
const qwen3 = {
  architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', hidden_size: 2560, intermediate_size: 9728, num_hidden_layers: 36,
  num_attention_heads: 32, num_key_value_heads: 8, head_dim: 128, attention_bias: false, max_position_embeddings: 40960,
  rms_norm_eps: 1e-6, rope_theta: 1000000, sliding_window: null, use_sliding_window: false, max_window_layers: 36,
  tie_word_embeddings: true, vocab_size: 151936, bos_token_id: 151643, eos_token_id: 151645,
};
const mistral01 = {
  architectures: ['MistralForCausalLM'], model_type: 'mistral', hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32,
  num_attention_heads: 32, num_key_value_heads: 8, max_position_embeddings: 32768, rms_norm_eps: 1e-5, rope_theta: 10000.0,
  sliding_window: 4096, tie_word_embeddings: false, vocab_size: 32000, bos_token_id: 1, eos_token_id: 2,
};

describe('configs of the Llama family', () => {
  it('Qwen2.5: architecture, head_dim = hidden/heads, rope_theta 1e6, tied, eos ids from generation_config', () => {
    const c = parseModelConfig(qwen25, undefined, { eos_token_id: [151645, 151643], bos_token_id: 151643 });
    expect(c).toMatchObject({ architecture: 'qwen2', qkNorm: false, slidingWindow: null, headDim: 64, ropeTheta: 1e6, tieWordEmbeddings: true });
    expect(c.eosTokenIds.sort()).toEqual([151643, 151645]);
  });

  it('Qwen3: per-head q/k norm, explicit head_dim 128 ≠ 2560/32', () => {
    const c = parseModelConfig(qwen3);
    expect(c).toMatchObject({ architecture: 'qwen3', qkNorm: true, headDim: 128, numHeads: 32, hiddenSize: 2560, slidingWindow: null });
  });

  it('Mistral: sliding_window 4096 (v0.1) and null (v0.2+)', () => {
    expect(parseModelConfig(mistral01).slidingWindow).toBe(4096);
    expect(parseModelConfig({ ...mistral01, sliding_window: null }).slidingWindow).toBeNull();
    expect(thrownBy(() => parseModelConfig({ ...mistral01, sliding_window: -3 })).code).toBe('MALFORMED_CONFIG');
  });

  it('refuses use_sliding_window: true on Qwen with a message that says so, and unknown model types', () => {
    const e = thrownBy(() => parseModelConfig({ ...qwen25, use_sliding_window: true }));
    expect(e.code).toBe('UNSUPPORTED_MODEL');
    expect(e.message).toMatch(/use_sliding_window/);
    for (const t of [['deepseek_v2', 'DeepseekV2ForCausalLM'], ['phi3', 'Phi3ForCausalLM'], ['gemma2', 'Gemma2ForCausalLM']]) {
      const u = thrownBy(() => parseModelConfig({ ...qwen25, model_type: t[0], architectures: [t[1]] }));
      expect(u.code).toBe('UNSUPPORTED_MODEL');
      expect(u.message).toContain(t[0]);
    }
  });
});

describe('quantisation configs', () => {
  it('reads AutoAWQ gemm (Qwen3-4B-AWQ) as method awq, zeros as stored (v2), no act-order', () => {
    const c = parseModelConfig({ ...qwen3, quantization_config: { bits: 4, group_size: 128, modules_to_not_convert: null, quant_method: 'awq', version: 'gemm', zero_point: true } });
    expect(c.quant).toEqual({ method: 'awq', bits: 4, groupSize: 128, descAct: false, sym: false, format: 'v2' });
  });

  it('reads GPTQ 8-bit (Qwen3-0.6B-GPTQ-Int8)', () => {
    const c = parseModelConfig({ ...qwen3, quantization_config: { bits: 8, group_size: 128, desc_act: false, sym: true, quant_method: 'gptq' } });
    expect(c.quant).toEqual({ method: 'gptq', bits: 8, groupSize: 128, descAct: false, sym: true, format: 'v1' });
  });

  it('refuses each unsupported format naming it and what to pick instead', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ quant_method: 'gptq', bits: 3, group_size: 128 }, /bits=3/],
      [{ quant_method: 'gptq', bits: 2, group_size: 128 }, /bits=2/],
      [{ quant_method: 'gptq', bits: 4, group_size: 128, checkpoint_format: 'marlin' }, /Marlin/],
      [{ quant_method: 'gptq', bits: 4, group_size: 128, is_marlin_format: true }, /Marlin/],
      [{ quant_method: 'awq', bits: 4, group_size: 128, version: 'gemv' }, /gemv/],
      [{ quant_method: 'awq', bits: 4, group_size: 128, version: 'exllama' }, /exllama/],
      [{ quant_method: 'awq', bits: 3, group_size: 128 }, /AWQ with bits=3/],
      [{ quant_method: 'eetq' }, /EETQ/],
      [{ quant_method: 'bitsandbytes', load_in_4bit: true }, /bitsandbytes/],
      [{ quant_method: 'exl2', bits: 4 }, /ExLlamaV2/],
    ];
    for (const [q, name] of cases) {
      const e = thrownBy(() => parseModelConfig({ ...qwen3, quantization_config: q }));
      expect(e.code, JSON.stringify(q)).toBe('UNSUPPORTED_QUANTIZATION');
      expect(e.message).toMatch(name);
      expect(e.message).toMatch(/[Pp]ick/);
    }
  });
});

describe('AutoAWQ gemm → GPTQ repack', () => {
  it('reads the interleaved nibble order: columns 0..7 holding 0..7 pack to 0x75316420', () => {
    // From AutoAWQ's formula: bits 4i hold column order_map[i], order_map = [0, 2, 4, 6, 1, 3, 5, 7].
    const packed = packAwqRows([0, 1, 2, 3, 4, 5, 6, 7], 1, 8);
    expect(packed[0] >>> 0).toBe(0x75316420);
    const K = 8, N = 8;
    const intweight = new Uint8Array(K * N);
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) intweight[k * N + n] = n; // q(k, n) = n
    const g = awqToGptq({ qweight: packAwqRows(intweight, K, N), qzeros: packAwqRows(new Uint8Array(N).fill(3), 1, N), scales: new Uint16Array(N).fill(f32ToF16Bits(1)), K, N, groupSize: -1 });
    const W = dequantGptq(g);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) expect(W[n * K + k]).toBe(n - 3);
  });

  it('dequantises independently packed random layers to exactly s·(q − z), groups 32 and -1', () => {
    const rand = seededRandom(7);
    for (const [K, N, G] of [[64, 48, 32], [96, 16, -1]]) {
      const Ge = G === -1 ? K : G, nG = K / Ge;
      const q = Uint8Array.from({ length: K * N }, () => Math.floor(rand() * 16)); // [K, N] as AWQ's intweight
      const z = Uint8Array.from({ length: nG * N }, () => Math.floor(rand() * 16));
      const s = Uint16Array.from({ length: nG * N }, () => f32ToF16Bits(0.01 + rand() * 0.1));
      const bias = Uint16Array.from({ length: N }, () => f32ToF16Bits(rand() - 0.5));
      const g = awqToGptq({ qweight: packAwqRows(q, K, N), qzeros: packAwqRows(z, nG, N), scales: s, bias, K, N, groupSize: G });
      expect(g.format).toBe('v2');
      expect(g.bias).toBe(bias);
      const W = dequantGptq(g);
      let worst = 0;
      for (let k = 0; k < K; k++) {
        const gi = Math.floor(k / Ge);
        for (let n = 0; n < N; n++) worst = Math.max(worst, Math.abs(W[n * K + k] - f16BitsToF32(s[gi * N + n]) * (q[k * N + n] - z[gi * N + n])));
      }
      expect(worst).toBe(0);
    }
  });

  it('an AWQ file whose qweight has the wrong shape gives MALFORMED_WEIGHTS naming AWQ and the layer', async () => {
    const dir = makeTempDir('awq-bad-');
    const K = 64, N = 32;
    const files = new Map<string, Uint8Array>();
    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    files.set('config.json', enc({ ...qwen3, hidden_size: 64, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 16, vocab_size: 32, num_hidden_layers: 1, intermediate_size: 32, quantization_config: { quant_method: 'awq', bits: 4, group_size: 32, version: 'gemm', zero_point: true } }));
    const p = 'model.layers.0.self_attn.q_proj';
    files.set('model.safetensors', writeSafetensors([
      // GPTQ's [K/8, N] layout under an AWQ config: the shape AWQ would have is [K, N/8].
      { name: `${p}.qweight`, dtype: 'I32', shape: [K / 8, N], data: new Int32Array((K / 8) * N) },
      { name: `${p}.qzeros`, dtype: 'I32', shape: [2, N / 8], data: new Int32Array(2 * (N / 8)) },
      { name: `${p}.scales`, dtype: 'F16', shape: [2, N], data: new Uint16Array(2 * N) },
    ]));
    await writeModelDir(dir, files);
    const ck = await openCheckpoint(nodeDirFiles(dir));
    const e = await rejectionOf(ck.gptq(p));
    expect(e.code).toBe('MALFORMED_WEIGHTS');
    expect(e.message).toContain('AWQ');
    expect(e.message).toContain(p);
  });
});

describe('GPTQ 8-bit', () => {
  function random8(K: number, N: number, G: number, format: 'v1' | 'v2', seed: number) {
    const rand = seededRandom(seed);
    const nG = G === -1 ? 1 : K / G;
    const q = Uint8Array.from({ length: N * K }, () => Math.floor(rand() * 256));
    // Include the extremes: zero 0 (v2) and 256 (v1 stores 255), where the high half's zero is 16.
    const zeros = Uint16Array.from({ length: nG * N }, (_, i) => (i === 0 ? (format === 'v1' ? 256 : 0) : (format === 'v1' ? 1 : 0) + Math.floor(rand() * 255)));
    const scales = Float32Array.from({ length: nG * N }, () => 0.001 + rand() * 0.01);
    return { q, zeros, scales, K, N, groupSize: G, format };
  }

  it('packs four values per int32 and dequantises s·(q − z) straight from the formula', () => {
    const p = random8(32, 16, 16, 'v1', 3);
    const t = packGptq8(p);
    expect(t.qweight.length).toBe((32 / 4) * 16);
    expect((t.qweight[0] & 255) >>> 0).toBe(p.q[0]); // q(0, 0) in byte 0 of word [0][0]
    expect((t.qweight[1 * 16 + 1] >>> 8) & 255).toBe(p.q[1 * 32 + 5]); // q(5, 1): word [5 >> 2][1], byte 5 & 3
    expect(t.qzeros[0] & 255).toBe(255); // v1 stores 256 − 1
    const W = dequantGptq8(t);
    for (let n = 0; n < 16; n++) for (let k = 0; k < 32; k++) {
      const g = Math.floor(k / 16);
      expect(W[n * 32 + k]).toBe(f16BitsToF32(f32ToF16Bits(p.scales[g * 16 + n])) * (p.q[n * 32 + k] - p.zeros[g * 16 + n]));
    }
  });

  it('splits into two 4-bit halves whose sum is the 8-bit layer (v1/v2, act-order, bias)', () => {
    for (const [K, N, G, format, actOrder] of [[64, 24, 32, 'v1', true], [48, 16, -1, 'v2', false]] as const) {
      const p = random8(K, N, G, format, K + N);
      const rand = seededRandom(5);
      let gIdx: Int32Array | undefined;
      if (actOrder) {
        const order = Array.from({ length: K }, (_, k) => k).sort(() => rand() - 0.5);
        gIdx = new Int32Array(K);
        order.forEach((k, i) => (gIdx![k] = Math.floor(i / G)));
      }
      const bias = Float32Array.from({ length: N }, () => rand() - 0.5);
      const t = packGptq8({ ...p, ...(gIdx ? { gIdx } : {}), bias });
      const { hi, lo } = repackGptq8Split(t);
      expect(hi.perm !== null).toBe(actOrder);
      const M = 3;
      const x = Float32Array.from({ length: M * K }, () => rand() * 2 - 1);
      const y = gptqLinearCpu(x, lo, gptqLinearCpu(x, hi));
      const W = dequantGptq8(t);
      let worst = 0;
      for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
        let want = f16BitsToF32(t.bias![n]);
        for (let k = 0; k < K; k++) want += W[n * K + k] * x[m * K + k];
        worst = Math.max(worst, Math.abs(y[m * N + n] - want));
      }
      expect(worst).toBeLessThan(1e-4);
    }
  });

  it('refuses a qweight of the wrong length with MALFORMED_WEIGHTS', () => {
    const t = packGptq8(random8(32, 16, 16, 'v2', 1));
    expect(thrownBy(() => repackGptq8Split({ ...t, qweight: t.qweight.subarray(4) })).code).toBe('MALFORMED_WEIGHTS');
  });
});

describe('CPU reference: Qwen3 q/k norm and Mistral sliding window', () => {
  it('a sliding window W attends exactly to the last W positions', () => {
    const cfg = { numHeads: 2, numKvHeads: 1, headDim: 4, slidingWindow: 3 } as LlamaConfig;
    const rand = seededRandom(2);
    const T = 6, kv = 4;
    const keys = Float32Array.from({ length: T * kv }, () => rand() - 0.5);
    const values = Float32Array.from({ length: T * kv }, () => rand() - 0.5);
    const q = Float32Array.from({ length: 8 }, () => rand() - 0.5);
    const windowed = new Float32Array(8);
    attend(windowed, q, keys, values, 5, cfg);
    // Same as full attention over positions 3, 4, 5 only.
    const sub = new Float32Array(8);
    attend(sub, q, keys.subarray(3 * kv), values.subarray(3 * kv), 2, { ...cfg, slidingWindow: null });
    for (let i = 0; i < 8; i++) expect(windowed[i]).toBeCloseTo(sub[i], 6);
    const full = new Float32Array(8);
    attend(full, q, keys, values, 5, { ...cfg, slidingWindow: null });
    expect(Math.max(...full.map((v, i) => Math.abs(v - windowed[i])))).toBeGreaterThan(1e-3);
  });

  it('a random Qwen3 checkpoint loads its q_norm/k_norm and they change the logits', async () => {
    const dir = makeTempDir('qwen3-');
    await makeRandomLlama(dir, { arch: 'qwen3', hidden: 32, intermediate: 48, layers: 1, heads: 2, kvHeads: 1, headDim: 24, vocab: 300, tied: true, seed: 4 });
    const ref = await ReferenceLlama.load(nodeDirFiles(dir));
    expect(ref.config.qkNorm).toBe(true);
    const withNorm = ref.logitsFor([1, 5, 9]);
    const noNorm = new ReferenceLlama(ref.config, { ...ref.weights, layers: ref.weights.layers.map((l) => ({ ...l, qNorm: undefined, kNorm: undefined })) }).logitsFor([1, 5, 9]);
    expect(Math.max(...withNorm[2].map((v, i) => Math.abs(v - noNorm[2][i])))).toBeGreaterThan(1e-3);
  });
});
