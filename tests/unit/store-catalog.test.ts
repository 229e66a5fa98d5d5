// Catalog facts, the GPU memory formula, checkFits, and describeRepo against the local hub.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../e2e/hub-server';
import { CATALOG, checkFits, describeRepo, estimateGpuMemory, findCatalogEntry, gptqLinearBytes, recommendedEntry, shapeFromConfig } from '../../src/store/catalog';
import { tempDir, writeFakeRepo } from './store-helpers';

const MiB = 2 ** 20;
const floorLimits = { maxBufferSize: 256 * MiB, maxStorageBufferBindingSize: 128 * MiB }; // WebGPU defaults

describe('catalog', () => {
  it('lists the models the issue asks for, with sizes, context and licence', () => {
    for (const repo of ['TheBloke/TinyLlama-1.1B-Chat-v1.0-GPTQ', 'ModelCloud/Llama-3.2-1B-Instruct-gptqmodel-4bit-vortex-v1', 'ModelCloud/Llama-3.2-3B-Instruct-gptqmodel-4bit-vortex-v3', 'TheBloke/Llama-2-7B-Chat-GPTQ']) {
      const e = findCatalogEntry(repo);
      expect(e, repo).toBeDefined();
      expect(e!.downloadBytes).toBeGreaterThan(500e6);
      expect(e!.contextLength).toBeGreaterThanOrEqual(2048);
      expect(e!.licence).not.toBe('');
    }
    expect(new Set(CATALOG.map((e) => e.id)).size).toBe(CATALOG.length);
  });

  it('gptq matrix bytes: 4-bit weights + f16 scales + 4-bit zeros + int32 g_idx', () => {
    // K=4096, N=11008, G=128: 32 groups.
    expect(gptqLinearBytes(4096, 11008, { bits: 4, groupSize: 128 })).toBe(4096 * 11008 / 2 + 32 * 11008 * 2 + 32 * 11008 / 2 + 4096 * 4);
  });

  it('the weight estimate matches the published download sizes of untied checkpoints within 2%', () => {
    for (const id of ['tinyllama-1.1b-chat', 'llama-2-7b-chat', 'llama-3.1-8b-instruct']) {
      const e = CATALOG.find((x) => x.id === id)!;
      const est = estimateGpuMemory(e.shape, e.quant, e.contextLength);
      expect(Math.abs(est.weights - e.downloadBytes) / e.downloadBytes, id).toBeLessThan(0.02);
    }
    // GPTQModel's tied checkpoints also store lm_head in the file: the download is one V×h f16 matrix larger.
    for (const id of ['llama-3.2-1b-instruct', 'llama-3.2-3b-instruct', 'smollm2-1.7b-instruct']) {
      const e = CATALOG.find((x) => x.id === id)!;
      const est = estimateGpuMemory(e.shape, e.quant, e.contextLength);
      const lmHead = e.shape.vocabSize * e.shape.hiddenSize * 2;
      expect(Math.abs(est.weights + lmHead - e.downloadBytes) / e.downloadBytes, id).toBeLessThan(0.03);
    }
  });

  it('the chat models whose repo has no chat template are loaded with the built-in one (Llama 2 Chat), no other', () => {
    expect(CATALOG.filter((c) => c.builtInChatTemplate).map((c) => c.repo)).toEqual(['TheBloke/Llama-2-7B-Chat-GPTQ']);
  });

  it('KV cache and activations follow the formula; the context defaults to min(model context, 4096)', () => {
    const e = findCatalogEntry('TheBloke/Llama-2-7B-Chat-GPTQ')!;
    const est = estimateGpuMemory(e.shape, e.quant, e.contextLength);
    expect(est.contextTokens).toBe(4096);
    expect(est.kvCache).toBe(2 * 32 * 4096 * 32 * 128 * 2); // 2 GiB in f16
    const h = 4096, I = 11008, H = 32, d = 128, P = 128, T = 4096, V = 32000;
    expect(est.activations).toBe(4 * (P * (3 * h + 3 * H * d + H * d + 2 * I) + H * P * T + V));
    expect(est.total).toBe(est.weights + est.kvCache + est.activations);
    const f32 = estimateGpuMemory(e.shape, e.quant, e.contextLength, { kvBytes: 4, contextTokens: 1024 });
    expect(f32.kvCache).toBe(2 * 32 * 1024 * 32 * 128 * 4);
    const llama32 = findCatalogEntry('ModelCloud/Llama-3.2-1B-Instruct-gptqmodel-4bit-vortex-v1')!;
    expect(estimateGpuMemory(llama32.shape, llama32.quant, llama32.contextLength).contextTokens).toBe(4096);
  });

  it('checkFits: every curated model fits the WebGPU default limits; too-small buffers or memory give a reason in plain words', () => {
    for (const e of CATALOG) expect(checkFits(e, floorLimits).ok, e.id).toBe(true);
    const llama2 = findCatalogEntry('TheBloke/Llama-2-7B-Chat-GPTQ')!;
    const small = checkFits(llama2, { maxBufferSize: 32 * MiB, maxStorageBufferBindingSize: 32 * MiB });
    expect(small.ok).toBe(false);
    if (!small.ok) expect(small.reason).toMatch(/needs GPU buffers of 67\.1 MB, but this GPU allows at most 33\.\d MB/);
    const lowMem = checkFits(llama2, floorLimits, 4e9);
    expect(lowMem.ok).toBe(false);
    if (!lowMem.ok) {
      expect(lowMem.reason).toContain('needs about 6.14 GB of GPU memory');
      expect(lowMem.reason).toContain('KV cache 2.15 GB for 4096 tokens');
      expect(lowMem.reason).toContain('4.00 GB');
    }
    expect(checkFits(findCatalogEntry('TheBloke/TinyLlama-1.1B-Chat-v1.0-GPTQ')!, floorLimits, 4e9).ok).toBe(true);
  });

  it('shapeFromConfig reads Llama config.json with quantization_config or quantize_config.json', () => {
    const cfg = { hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 16, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 64, vocab_size: 128256, tie_word_embeddings: true, max_position_embeddings: 131072, quantization_config: { bits: 4, group_size: 32, desc_act: true, sym: true } };
    const r = shapeFromConfig(cfg);
    expect(r.shape).toMatchObject({ numKvHeads: 8, headDim: 64, tiedEmbeddings: true });
    expect(r.quant).toMatchObject({ bits: 4, groupSize: 32 });
    expect(r.contextLength).toBe(131072);
    const { quantization_config: _q, num_key_value_heads: _k, ...old } = cfg;
    const r2 = shapeFromConfig(old, { bits: 4, group_size: 128 });
    expect(r2.shape.numKvHeads).toBe(32);
    expect(r2.quant.groupSize).toBe(128);
    expect(() => shapeFromConfig({ hidden_size: 8 })).toThrow(/num_attention_heads/);
  });
});

describe('describeRepo (any repo id typed by the user)', () => {
  let root: string;
  let hub: Hub;
  beforeAll(async () => {
    root = await tempDir('pdfchat-hub-');
    await writeFakeRepo(root, 'someone/custom-gptq', { weightBytes: 200_000, shards: 2 });
    hub = await startHub({ root });
  });
  afterAll(async () => {
    await hub?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('discovers files with sizes and reads the shape from config.json', async () => {
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    await writeFile(join(root, 'someone/custom-gptq/config.json'), JSON.stringify({ model_type: 'llama', hidden_size: 256, intermediate_size: 768, num_hidden_layers: 4, num_attention_heads: 8, vocab_size: 1000, max_position_embeddings: 1024 }));
    const e = await describeRepo({ endpoint: hub.url }, ' someone/custom-gptq ');
    expect(e.repo).toBe('someone/custom-gptq');
    expect(e.files).toContain('model-00002-of-00002.safetensors');
    expect(e.downloadBytes).toBeGreaterThan(400_000);
    expect(e.shape.hiddenSize).toBe(256);
    expect(e.quant.groupSize).toBe(32); // from quantize_config.json
    expect(checkFits(e, floorLimits).ok).toBe(true);
    await expect(describeRepo({ endpoint: hub.url }, 'someone/absent')).rejects.toMatchObject({ code: 'MISSING_FILE' });
    await expect(describeRepo({ endpoint: hub.url }, 'not a repo')).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });

  it('a hub that goes silent while the repo is checked fails with DOWNLOAD_FAILED within the deadline (it used to wait forever); Cancel still cancels', async () => {
    hub.setFault({ kind: 'hold', file: 'config.json', repo: 'someone/custom-gptq', afterBytes: 10, times: 3 });
    try {
      const t0 = Date.now();
      const err = await describeRepo({ endpoint: hub.url, metadataTimeoutMs: 500 }, 'someone/custom-gptq').then(() => null, (e: unknown) => e as { code: string; message: string; details?: unknown });
      expect(err).toMatchObject({ code: 'DOWNLOAD_FAILED', details: { timedOut: true } });
      expect(err!.message).toMatch(/did not answer within 0.5 s while fetching someone\/custom-gptq\/config.json/);
      expect(Date.now() - t0).toBeLessThan(15_000);
      const ac = new AbortController();
      const cancelled = describeRepo({ endpoint: hub.url, metadataTimeoutMs: 60_000 }, 'someone/custom-gptq', 'main', ac.signal).then(() => null, (e: unknown) => e as { code: string });
      await new Promise((r) => setTimeout(r, 300));
      ac.abort();
      expect(await cancelled).toMatchObject({ code: 'ABORTED' });
    } finally {
      hub.clearFaults();
    }
  });

  it('a repo the loader would refuse is refused by the check, with the loader\'s code, before any weights are fetched', async () => {
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const llama = { model_type: 'llama', hidden_size: 256, intermediate_size: 768, num_hidden_layers: 4, num_attention_heads: 8, vocab_size: 1000, max_position_embeddings: 1024 };
    const gptq = { quant_method: 'gptq', bits: 4, group_size: 32, desc_act: false, sym: true };
    const cases: [string, Record<string, unknown>, Record<string, unknown> | null, string, RegExp][] = [
      ['phi3', { ...llama, model_type: 'phi3', architectures: ['Phi3ForCausalLM'], quantization_config: gptq }, null, 'UNSUPPORTED_MODEL', /Model type "phi3"/],
      ['three-bit', { ...llama, quantization_config: { ...gptq, bits: 3 } }, null, 'UNSUPPORTED_QUANTIZATION', /bits=3/],
      ['longrope', { ...llama, model_type: 'qwen2', rope_scaling: { type: 'longrope', long_factor: [1], short_factor: [1] }, quantization_config: { quant_method: 'awq', bits: 4, group_size: 128, version: 'gemm', zero_point: true } }, null, 'UNSUPPORTED_MODEL', /longrope/],
      ['bnb', { ...llama, quantization_config: { quant_method: 'bitsandbytes', load_in_4bit: true } }, null, 'UNSUPPORTED_QUANTIZATION', /bitsandbytes/i],
      // quantize_config.json wins over config.json's block, as in the loader: its 3 bits are what would be loaded.
      ['precedence', { ...llama, quantization_config: gptq }, { ...gptq, bits: 3 }, 'UNSUPPORTED_QUANTIZATION', /bits=3/],
    ];
    for (const [name, config, quantize, code, message] of cases) {
      const repo = `someone/refused-${name}`;
      await writeFakeRepo(root, repo, { weightBytes: 1000 });
      await writeFile(join(root, repo, 'config.json'), JSON.stringify(config));
      const { rm: remove } = await import('node:fs/promises');
      if (quantize) await writeFile(join(root, repo, 'quantize_config.json'), JSON.stringify(quantize));
      else await remove(join(root, repo, 'quantize_config.json'));
      const before = hub.requests.length;
      const err = await describeRepo({ endpoint: hub.url }, repo).then(() => null, (e: unknown) => e as { code: string; message: string });
      expect(err, name).toMatchObject({ code });
      expect(err!.message, name).toMatch(message);
      expect(hub.requests.slice(before).filter((r) => r.path.endsWith('.safetensors') && r.method === 'GET' && !r.range), name).toEqual([]);
    }
    // The quantisation shown is the loader's reading: quantize_config.json's group size, config.json's ignored.
    const both = 'someone/both-quant-configs';
    await writeFakeRepo(root, both, { weightBytes: 1000 });
    await writeFile(join(root, both, 'config.json'), JSON.stringify({ ...llama, quantization_config: { ...gptq, group_size: 128 } }));
    await writeFile(join(root, both, 'quantize_config.json'), JSON.stringify({ ...gptq, group_size: 64 }));
    expect((await describeRepo({ endpoint: hub.url }, both)).quant).toMatchObject({ method: 'gptq', bits: 4, groupSize: 64 });
  });
});

describe('catalog: Qwen, Mistral, AWQ and 8-bit entries', () => {
  const qwen = ['Qwen/Qwen2.5-0.5B-Instruct-GPTQ-Int4', 'Qwen/Qwen2.5-1.5B-Instruct-GPTQ-Int4', 'Qwen/Qwen2.5-3B-Instruct-GPTQ-Int4', 'Qwen/Qwen2.5-7B-Instruct-GPTQ-Int4'];
  it('lists the Qwen2.5 GPTQ-Int4, Qwen3 GPTQ-Int8 / AWQ and Mistral v0.2 GPTQ repos with architecture, format, licence, context', () => {
    for (const repo of [...qwen, 'Qwen/Qwen3-0.6B-GPTQ-Int8', 'Qwen/Qwen3-1.7B-GPTQ-Int8', 'Qwen/Qwen3-4B-AWQ', 'Qwen/Qwen3-8B-AWQ', 'TheBloke/Mistral-7B-Instruct-v0.2-GPTQ']) {
      const e = findCatalogEntry(repo);
      expect(e, repo).toBeDefined();
      expect(e!.architecture).toMatch(/^(qwen2|qwen3|mistral)$/);
      expect(e!.licence).not.toBe('');
      expect(e!.contextLength).toBeGreaterThanOrEqual(32768);
    }
    expect(findCatalogEntry('Qwen/Qwen3-4B-AWQ')!.quant.method).toBe('awq');
    expect(findCatalogEntry('Qwen/Qwen3-0.6B-GPTQ-Int8')!.quant.bits).toBe(8);
    expect(findCatalogEntry('Qwen/Qwen2.5-3B-Instruct-GPTQ-Int4')!.licence).toBe('qwen-research');
  });

  it("the weight estimate matches Qwen2.5's published download sizes within 1% (shapes and group 128 check out)", () => {
    for (const repo of qwen) {
      const e = findCatalogEntry(repo)!;
      expect(e.sizeConfirmed, repo).not.toBe(false);
      const est = estimateGpuMemory(e.shape, e.quant, e.contextLength);
      expect(Math.abs(est.weights - e.downloadBytes) / e.downloadBytes, repo).toBeLessThan(0.01);
    }
  });

  it('estimated sizes are marked as estimates and equal the formula', () => {
    for (const e of CATALOG.filter((x) => x.sizeConfirmed === false)) {
      const est = estimateGpuMemory(e.shape, e.quant, e.contextLength);
      expect(Math.abs(est.weights - e.downloadBytes) / e.downloadBytes, e.id).toBeLessThan(0.005);
      expect(e.notes ?? '', e.id).toMatch(/estimate|not confirmed/);
    }
  });

  it('recommends a Qwen model for a Chinese UI, the first of its list that fits the adapter', () => {
    expect(recommendedEntry('zh-CN').architecture).toBe('qwen2');
    expect(recommendedEntry('zh').repo).toBe('Qwen/Qwen2.5-1.5B-Instruct-GPTQ-Int4');
    expect(recommendedEntry('en').repo).toBe('ModelCloud/Llama-3.2-1B-Instruct-gptqmodel-4bit-vortex-v1');
    const pick = recommendedEntry('zh', floorLimits);
    expect(pick.repo).toBe('Qwen/Qwen2.5-1.5B-Instruct-GPTQ-Int4');
    expect(checkFits(pick, floorLimits).ok).toBe(true);
    // Nothing fits 1 MiB buffers: still a Chinese-capable suggestion (the smallest), whose fit check says why not.
    const none = { maxBufferSize: 2 ** 20, maxStorageBufferBindingSize: 2 ** 20 };
    expect(recommendedEntry('zh', none).repo).toBe('Qwen/Qwen2.5-0.5B-Instruct-GPTQ-Int4');
  });

  it('shapeFromConfig reads an AWQ quantization_config and the model_type', () => {
    const r = shapeFromConfig({ model_type: 'qwen3', hidden_size: 2560, intermediate_size: 9728, num_hidden_layers: 36, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 128, vocab_size: 151936, tie_word_embeddings: true, max_position_embeddings: 40960, quantization_config: { quant_method: 'awq', bits: 4, group_size: 128, version: 'gemm', zero_point: true } });
    expect(r.quant).toMatchObject({ method: 'awq', bits: 4, groupSize: 128 });
    expect(r.shape.headDim).toBe(128);
  });
});

describe('mixture-of-experts fit check', () => {
  it('counts every expert (not just the active ones), reads MoE configs, and refuses a device too small for all experts', () => {
    const q3 = findCatalogEntry('Qwen/Qwen3-30B-A3B-GPTQ-Int4')!;
    const est = estimateGpuMemory(q3.shape, q3.quant, q3.contextLength);
    const expert = 2 * gptqLinearBytes(2048, 768, q3.quant) + gptqLinearBytes(768, 2048, q3.quant);
    const activeOnly = estimateGpuMemory({ ...q3.shape, moe: { ...q3.shape.moe!, numExperts: 8 } }, q3.quant, q3.contextLength);
    expect(est.weights - activeOnly.weights).toBe(48 * 120 * (expert + 2048 * 2)); // 120 more experts (+ router rows) per layer
    expect(est.weights).toBeGreaterThan(16e9);
    const tooSmall = checkFits(q3, { maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 31 }, 12e9);
    expect(tooSmall.ok).toBe(false);
    if (!tooSmall.ok) expect(tooSmall.reason).toMatch(/needs about 1\d\.\d GB of GPU memory/);
    const { shape } = shapeFromConfig({ hidden_size: 2048, intermediate_size: 5632, num_hidden_layers: 24, num_attention_heads: 16, vocab_size: 151936, num_experts: 60, num_experts_per_tok: 4, moe_intermediate_size: 1408, shared_expert_intermediate_size: 5632, decoder_sparse_step: 1, mlp_only_layers: [0] });
    expect(shape.moe).toEqual({ numExperts: 60, topK: 4, expertIntermediateSize: 1408, sharedExpertIntermediateSize: 5632, sparseLayers: 23 });
  });
});
