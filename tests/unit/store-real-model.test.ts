// A real model through the store: stories260K converted to HF layout (GPTQ 4-bit, 2 shards) by the project's
// CLI, served by the local hub, downloaded, and read back by the model code's safetensors reader, through
// Cache-like chunk storage and through a picked folder. Skips when ../shared/fixtures is absent.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../e2e/hub-server';
import type { ModelFiles } from '../../src/model/files';
import { nodeDirFiles } from '../../src/model/node-files';
import { loadTokenizer } from '../../src/model/tokenizer';
import { readSafetensorsIndex } from '../../src/model/safetensors';
import { MemoryBackend } from '../../src/store/backend';
import { downloadModel } from '../../src/store/download';
import { fileListModelFiles, folderModelFiles, type DirectoryHandleLike, type FileHandleLike } from '../../src/store/local-folder';
import { cachedModelFiles } from '../../src/store/model-store';
import { tempDir } from './store-helpers';

const fixtures = fileURLToPath(new URL('../../../shared/fixtures/models/stories260K/', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const haveFixtures = existsSync(join(fixtures, 'stories260K.bin'));
if (!haveFixtures) console.warn(`store-real-model: skipped, fixtures not found at ${fixtures}`);

/** A DirectoryHandleLike over a real folder (what showDirectoryPicker returns in the browser). */
function dirHandle(dir: string, name = dir.split('/').pop()!): DirectoryHandleLike {
  return {
    kind: 'directory',
    name,
    async *values() {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (e.isDirectory()) yield dirHandle(join(dir, e.name), e.name);
        else yield { kind: 'file', name: e.name, getFile: async () => new File([await readFile(join(dir, e.name))], e.name) } satisfies FileHandleLike;
      }
    },
  };
}

async function sameModel(a: ModelFiles, b: ModelFiles) {
  const ia = await readSafetensorsIndex(a);
  const ib = await readSafetensorsIndex(b);
  expect(ia.files).toEqual(ib.files);
  expect(ia.files.length).toBe(2);
  expect([...ia.tensors.entries()]).toEqual([...ib.tensors.entries()]);
  // Bytes of one tensor in the second shard, read as the loader does (a range).
  const [name, loc] = [...ia.tensors.entries()].find(([, t]) => t.file === ia.files[1])!;
  expect(Array.from(await a.read(loc.file, loc.start, loc.stop)), name).toEqual(Array.from(await b.read(loc.file, loc.start, loc.stop)));
  for (const f of await b.list()) expect(await a.size(f), f).toBe(await b.size(f));
}

describe.skipIf(!haveFixtures)('a real converted model through the store', () => {
  let tmp: string;
  let modelDir: string;
  let hub: Hub;
  beforeAll(async () => {
    tmp = await tempDir('pdfchat-real-');
    modelDir = join(tmp, 'stories260K-gptq');
    await promisify(execFile)(
      'npm',
      ['run', '--silent', 'cli', '--', 'convert-llama2c', '--model', join(fixtures, 'stories260K.bin'), '--tokenizer', join(fixtures, 'tok512.bin'), '--out', modelDir, '--quantize', 'rtn', '--group-size', '32', '--shards', '2'],
      { cwd: repoRoot, timeout: 120_000 },
    );
    hub = await startHub({ repos: { 'local/stories260K-gptq': modelDir } });
  }, 150_000);
  afterAll(async () => {
    await hub?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('downloads a chat template kept in its own file (chat_template.jinja), by the tree API and by probing, and the tokenizer uses it', async () => {
    const withTemplate = join(await tempDir('pdfchat-template-'), 'with-template'); // not beside modelDir: the folder tests pick tmp
    cpSync(modelDir, withTemplate, { recursive: true });
    const template = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";
    writeFileSync(join(withTemplate, 'chat_template.jinja'), template);
    for (const treeApi of [true, false]) {
      const h = await startHub({ repos: { 'local/with-template': withTemplate }, treeApi });
      try {
        const backend = new MemoryBackend();
        const r = await downloadModel({ hub: { endpoint: h.url }, backend, repo: 'local/with-template' });
        expect(r.files.map((f) => f.path), `tree API ${treeApi}`).toContain('chat_template.jinja');
        const tok = await loadTokenizer(await cachedModelFiles(backend, 'local/with-template'));
        expect(tok.chatTemplateSource).toBe('repo');
        expect(tok.hasChatTemplate).toBe(true);
      } finally {
        await h.close();
      }
    }
    await rm(dirname(withTemplate), { recursive: true, force: true });
  }, 60_000);

  it('downloads from the hub and reads the same tensors as the folder on disk', async () => {
    const backend = new MemoryBackend();
    const r = await downloadModel({ hub: { endpoint: hub.url }, backend, repo: 'local/stories260K-gptq', chunkBytes: 50_000 });
    expect(r.files.map((f) => f.path)).toEqual(expect.arrayContaining(['config.json', 'tokenizer.json', 'model.safetensors.index.json', 'model-00002-of-00002.safetensors']));
    await sameModel(await cachedModelFiles(backend, 'local/stories260K-gptq'), nodeDirFiles(modelDir));
  });

  it('opens the same model from a picked folder (directory handle and <input webkitdirectory> FileList)', async () => {
    await sameModel(await folderModelFiles(dirHandle(modelDir)), nodeDirFiles(modelDir));
    // The user picked the parent folder: the single model folder inside is used.
    expect((await folderModelFiles(dirHandle(tmp))).name).toBe(`${tmp.split('/').pop()}/stories260K-gptq`);
    const files: File[] = [];
    for (const name of await readdir(modelDir)) {
      const f = new File([await readFile(join(modelDir, name))], name);
      Object.defineProperty(f, 'webkitRelativePath', { value: `stories260K-gptq/${name}` });
      files.push(f);
    }
    await sameModel(await fileListModelFiles(files), nodeDirFiles(modelDir));
  });

  it('a folder without tokenizer.json or with a missing shard is refused with a clear MISSING_FILE', async () => {
    const broken = join(tmp, 'broken');
    await mkdir(broken);
    const { copyFile } = await import('node:fs/promises');
    for (const n of ['config.json', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors']) await copyFile(join(modelDir, n), join(broken, n));
    await expect(folderModelFiles(dirHandle(broken))).rejects.toMatchObject({
      code: 'MISSING_FILE',
      message: expect.stringMatching(/lacks tokenizer\.json, model-00002-of-00002\.safetensors\. Pick the folder/),
    });
    const empty = join(tmp, 'empty');
    await mkdir(empty);
    await expect(folderModelFiles(dirHandle(empty))).rejects.toMatchObject({ code: 'MISSING_FILE', message: expect.stringContaining('config.json') });
    await expect(fileListModelFiles([])).rejects.toMatchObject({ code: 'MISSING_FILE' });
  });
});
