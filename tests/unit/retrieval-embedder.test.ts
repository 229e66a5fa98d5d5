import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { missingModelFiles, NodeCachedEmbedderProvider, REQUIRED_MODEL_FILES } from '../../src/retrieval/node-model-cache';
import { EMBEDDING_MODELS, embeddingModelFor, ENGLISH_EMBEDDING_MODEL, MULTILINGUAL_EMBEDDING_MODEL, profiledEmbedder } from '../../src/retrieval/embedder';
import { embeddingProfile, KNOWN_PROFILES, legacyProfileKey, profileKey } from '../../src/retrieval/embedding-profile';
import { ortWasmPaths } from '../../src/retrieval/ort-assets';
import { makeTempDir } from '../temp-dir';

describe('embedding model choice and availability (Node)', () => {
  it('picks multilingual-e5-small for CJK documents and MiniLM for English ones', () => {
    expect(ENGLISH_EMBEDDING_MODEL).toBe('Xenova/all-MiniLM-L6-v2');
    expect(MULTILINGUAL_EMBEDDING_MODEL).toBe('Xenova/multilingual-e5-small');
    expect(embeddingModelFor('Trace-based just-in-time type specialization for dynamic languages')).toBe(ENGLISH_EMBEDDING_MODEL);
    expect(embeddingModelFor('愿景 描述团队的共同目标，有利于团队成员理解目标并朝着目标努力。 Emoji 😀')).toBe(MULTILINGUAL_EMBEDDING_MODEL);
  });

  it('reports a model that is not cached, without trying to download it', async () => {
    const empty = makeTempDir('pdfchat-models-');
    expect(missingModelFiles(empty, ENGLISH_EMBEDDING_MODEL)).toEqual(REQUIRED_MODEL_FILES);
    const got = await new NodeCachedEmbedderProvider(empty).get(ENGLISH_EMBEDDING_MODEL);
    expect(got.embedder).toBeNull();
    expect('reason' in got && got.reason).toContain('not in the local cache');
  });

  it('turns a damaged cached model into a reason for lexical mode instead of a crash', async () => {
    const dir = makeTempDir('pdfchat-models-');
    const model = join(dir, ENGLISH_EMBEDDING_MODEL);
    mkdirSync(join(model, 'onnx'), { recursive: true });
    writeFileSync(join(model, 'config.json'), '{"model_type":"bert"}');
    writeFileSync(join(model, 'tokenizer.json'), '{}');
    writeFileSync(join(model, 'tokenizer_config.json'), '{}');
    writeFileSync(join(model, 'onnx/model_quantized.onnx'), 'not an onnx file');
    expect(missingModelFiles(dir, ENGLISH_EMBEDDING_MODEL)).toEqual([]);
    const got = await new NodeCachedEmbedderProvider(dir).get(ENGLISH_EMBEDDING_MODEL);
    expect(got.embedder).toBeNull();
    expect('reason' in got && got.reason).toMatch(/could not be loaded from the local cache/);
  });

  it('serves the onnxruntime wasm from the app, not a CDN', () => {
    const p = ortWasmPaths('http://127.0.0.1:4173/app/');
    expect(p.wasm).toBe('http://127.0.0.1:4173/app/ort/ort-wasm-simd-threaded.asyncify.wasm');
    expect(p.mjs).toBe('http://127.0.0.1:4173/app/ort/ort-wasm-simd-threaded.asyncify.mjs');
  });
});

describe('embedding profiles', () => {
  /** A real embedder over a model call that records what the model was given (a one-number "vector"). */
  const recording = (modelId: string) => {
    const seen: string[] = [];
    const e = profiledEmbedder(modelId, embeddingProfile(modelId), async (texts) => (seen.push(...texts), texts.map((t) => new Float32Array([t.length]))));
    return { e, seen };
  };

  it('adds "query: " to questions and "passage: " to passages for multilingual-e5-small', async () => {
    const { e, seen } = recording(MULTILINGUAL_EMBEDDING_MODEL);
    const [q] = await e.embedQueries(['如何备份数据？']);
    await e.embedPassages(['备份文件保存在用户目录中。', 'Second passage']);
    expect(seen).toEqual(['query: 如何备份数据？', 'passage: 备份文件保存在用户目录中。', 'passage: Second passage']);
    expect(q[0]).toBe('query: 如何备份数据？'.length);
    expect(e.profile).toMatchObject({ dims: 384, pooling: 'mean', normalize: true, maxTokens: 512 });
  });

  it('adds nothing for all-MiniLM-L6-v2 (and the old multilingual MiniLM), whose training used no prefixes', async () => {
    for (const id of [ENGLISH_EMBEDDING_MODEL, 'Xenova/paraphrase-multilingual-MiniLM-L12-v2']) {
      const { e, seen } = recording(id);
      await e.embedQueries(['How do I divert the console output?']);
      await e.embedPassages(['Use sink() to divert output.']);
      expect(seen).toEqual(['How do I divert the console output?', 'Use sink() to divert output.']);
      expect(e.profile).toMatchObject({ dims: 384, pooling: 'mean', normalize: true });
    }
  });

  it('finds a known profile by a local folder named after the model, else uses the plain one', () => {
    expect(embeddingProfile('/home/me/models/Xenova/multilingual-e5-small').queryPrefix).toBe('query: ');
    expect(embeddingProfile('multilingual-e5-small').id).toBe(MULTILINGUAL_EMBEDDING_MODEL);
    expect(embeddingProfile('tiny-test-model')).toMatchObject({ id: 'tiny-test-model', queryPrefix: '', passagePrefix: '', pooling: 'mean', normalize: true });
  });

  it('keys stored vectors by everything that changes them; MiniLM vectors stored before profiles stay valid, E5 ones do not', () => {
    const keys = KNOWN_PROFILES.map(profileKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(legacyProfileKey(ENGLISH_EMBEDDING_MODEL)).toBe(profileKey(embeddingProfile(ENGLISH_EMBEDDING_MODEL)));
    expect(legacyProfileKey(MULTILINGUAL_EMBEDDING_MODEL)).not.toBe(profileKey(embeddingProfile(MULTILINGUAL_EMBEDDING_MODEL)));
    const e5 = embeddingProfile(MULTILINGUAL_EMBEDDING_MODEL);
    expect(profileKey({ ...e5, maxTokens: 256 })).not.toBe(profileKey(e5));
    expect(profileKey({ ...e5, pooling: 'cls' })).not.toBe(profileKey(e5));
  });

  it('states each default model\'s download size (what the semantic-search switch shows)', () => {
    for (const id of EMBEDDING_MODELS) expect(embeddingProfile(id).downloadBytes).toBeGreaterThan(20e6);
    expect(embeddingProfile(MULTILINGUAL_EMBEDDING_MODEL).downloadBytes).toBe(135_100_000); // 118 MB ONNX (q8) + 17.1 MB tokenizer.json
  });
});
