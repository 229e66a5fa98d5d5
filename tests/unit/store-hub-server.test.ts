// The local test hub behaves like huggingface.co where the app depends on it (Range, ETag/x-linked-etag,
// tree API, CORS), and the model store's list/delete keep models apart.
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../e2e/hub-server';
import { MemoryBackend } from '../../src/store/backend';
import { downloadModel } from '../../src/store/download';
import { normalizeEndpoint, resolveUrl, sha256FromHeaders, validateRepoId } from '../../src/store/hub';
import { cachedModelFiles, deleteCachedModel, listCachedModels } from '../../src/store/model-store';
import { tempDir, writeFakeRepo, type FakeRepo } from './store-helpers';

let root: string;
let hub: Hub;
let fake: FakeRepo;
beforeAll(async () => {
  root = await tempDir('pdfchat-hub-');
  fake = await writeFakeRepo(root, 'org/model', { weightBytes: 100_000 });
  hub = await startHub({ root });
});
afterAll(async () => {
  await hub?.close();
  await rm(root, { recursive: true, force: true });
});

describe('local hub server', () => {
  it('serves ranges, 416, HEAD and hub-like ETags', async () => {
    const url = `${hub.url}/org/model/resolve/main/model.safetensors`;
    const sha = createHash('sha256').update(fake.files['model.safetensors']).digest('hex');
    const full = await fetch(url);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-length')).toBe('100000');
    expect(full.headers.get('x-linked-etag')).toBe(`"${sha}"`);
    expect(sha256FromHeaders(full.headers)).toBe(sha);
    expect((await full.arrayBuffer()).byteLength).toBe(100_000);

    const part = await fetch(url, { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 10-19/100000');
    expect(Array.from(new Uint8Array(await part.arrayBuffer()))).toEqual(Array.from(fake.files['model.safetensors'].subarray(10, 20)));
    const tail = await fetch(url, { headers: { range: 'bytes=-5' } });
    expect(tail.headers.get('content-range')).toBe('bytes 99995-99999/100000');
    await tail.arrayBuffer();
    const bad = await fetch(url, { headers: { range: 'bytes=100000-' } });
    expect(bad.status).toBe(416);
    expect(bad.headers.get('content-range')).toBe('bytes */100000');

    const head = await fetch(url, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe('100000');

    // Small JSON files are not LFS: their ETag is a git sha1, which must not pass for a sha256.
    const cfg = await fetch(`${hub.url}/org/model/resolve/main/config.json`);
    await cfg.arrayBuffer();
    expect(cfg.headers.get('etag')).toMatch(/^"[0-9a-f]{40}"$/);
    expect(sha256FromHeaders(cfg.headers)).toBeUndefined();

    expect((await fetch(`${hub.url}/org/model/resolve/v2/config.json`)).status).toBe(404);
    expect((await fetch(`${hub.url}/org/model/resolve/main/../../etc/passwd`)).status).toBe(404);
  });

  it('answers CORS preflights for Range and Authorization and exposes the headers the store reads', async () => {
    const pre = await fetch(`${hub.url}/org/model/resolve/main/model.safetensors`, {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:4173', 'access-control-request-method': 'GET', 'access-control-request-headers': 'range,authorization' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-headers')).toContain('range');
    expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');
    const get = await fetch(`${hub.url}/org/model/resolve/main/config.json`);
    await get.arrayBuffer();
    for (const h of ['content-range', 'etag', 'x-linked-etag', 'x-linked-size']) expect(get.headers.get('access-control-expose-headers')).toContain(h);
  });

  it('lists files like the hub tree API (size, lfs.oid = sha256)', async () => {
    const list = (await (await fetch(`${hub.url}/api/models/org/model/tree/main`)).json()) as { path: string; size: number; lfs?: { oid: string } }[];
    const w = list.find((e) => e.path === 'model.safetensors')!;
    expect(w.size).toBe(100_000);
    expect(w.lfs?.oid).toBe(createHash('sha256').update(fake.files['model.safetensors']).digest('hex'));
    expect(list.find((e) => e.path === 'config.json')?.lfs).toBeUndefined();
  });
});

describe('hub URLs', () => {
  it('builds /resolve/ URLs from the endpoint setting and validates input', () => {
    expect(resolveUrl({ endpoint: 'https://mirror.example/hf/' }, 'TheBloke/Llama-2-7B-Chat-GPTQ', 'gptq-4bit-32g-actorder_True', 'model.safetensors')).toBe(
      'https://mirror.example/hf/TheBloke/Llama-2-7B-Chat-GPTQ/resolve/gptq-4bit-32g-actorder_True/model.safetensors',
    );
    expect(resolveUrl({ endpoint: '' }, 'a/b', 'refs/pr/1', 'sub dir/x.json')).toBe('https://huggingface.co/a/b/resolve/refs%2Fpr%2F1/sub%20dir/x.json');
    expect(normalizeEndpoint(' http://127.0.0.1:8080 ')).toBe('http://127.0.0.1:8080');
    expect(() => normalizeEndpoint('ftp://x')).toThrow(/https/);
    expect(validateRepoId('https://huggingface.co/TheBloke/Llama-2-7B-Chat-GPTQ')).toBe('TheBloke/Llama-2-7B-Chat-GPTQ');
    expect(() => validateRepoId('Llama-2-7B')).toThrow(/owner\/name/);
  });
});

describe('model store bookkeeping', () => {
  it('lists models with sizes and deletes exactly one model (revision-aware)', async () => {
    const backend = new MemoryBackend();
    await downloadModel({ hub: { endpoint: hub.url }, backend, repo: 'org/model' });
    // Same repo, another revision whose name shares a prefix: must survive deleting main.
    const { writeJson, modelKey } = await import('../../src/store/layout');
    const chunk = await backend.get('org/model@main/config.json#chunk/0000000000000000');
    await backend.put('org/model@main-old/config.json#chunk/0000000000000000', chunk!);
    await writeJson(backend, modelKey('org/model', 'main-old'), { repo: 'org/model', revision: 'main-old', files: [{ path: 'config.json', size: chunk!.byteLength }], complete: false, updatedAt: '' });
    const models = await listCachedModels(backend);
    expect(models.map((m) => `${m.repo}@${m.revision}`)).toEqual(['org/model@main', 'org/model@main-old']);
    const main = models[0];
    expect(main.bytes).toBe(Object.entries(fake.files).filter(([n]) => n !== 'README.md').reduce((n, [, b]) => n + b.byteLength, 0));
    expect(await deleteCachedModel(backend, 'org/model', 'main')).toBeGreaterThan(main.bytes);
    expect((await listCachedModels(backend)).map((m) => m.revision)).toEqual(['main-old']);
    await expect(cachedModelFiles(backend, 'org/model', 'main')).rejects.toMatchObject({ code: 'MISSING_FILE' });
  });
});
