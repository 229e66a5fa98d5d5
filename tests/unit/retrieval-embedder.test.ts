import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { missingModelFiles, NodeCachedEmbedderProvider, REQUIRED_MODEL_FILES } from '../../src/retrieval/node-model-cache';
import { embeddingModelFor, ENGLISH_EMBEDDING_MODEL, MULTILINGUAL_EMBEDDING_MODEL } from '../../src/retrieval/embedder';
import { ortWasmPaths } from '../../src/retrieval/ort-assets';
import { makeTempDir } from '../temp-dir';

describe('embedding model choice and availability (Node)', () => {
  it('picks the multilingual model for CJK documents and MiniLM for English ones', () => {
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
