// The model store against a real local HTTP hub (e2e/hub-server.ts): full download with progress, resume
// after a dropped connection (Range requests), cancel + resume, integrity errors and retries.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../e2e/hub-server';
import { AppError } from '../../src/shared/errors';
import { MemoryBackend } from '../../src/store/backend';
import { downloadModel, type DownloadProgress } from '../../src/store/download';
import { FsBackend } from '../../src/store/fs-backend';
import { cachedModelFiles, deleteCachedModel, listCachedModels } from '../../src/store/model-store';
import { formatBytes } from '../../src/store/quota';
import { sha256Hex } from '../../src/store/sha256';
import { tempDir, writeFakeRepo, type FakeRepo } from './store-helpers';

const REPO = 'test/tiny-gptq';
const SHARDED = 'test/sharded-gptq';
const WEIGHTS = 'model.safetensors';
let root: string;
let hub: Hub;
let single: FakeRepo;
let sharded: FakeRepo;

beforeAll(async () => {
  root = await tempDir('pdfchat-hub-');
  single = await writeFakeRepo(root, REPO, { weightBytes: 1_000_003 });
  sharded = await writeFakeRepo(root, SHARDED, { weightBytes: 300_001, shards: 3, seed: 99 });
  hub = await startHub({ root });
});
afterAll(async () => {
  await hub?.close();
  await rm(root, { recursive: true, force: true });
});
beforeEach(() => {
  hub.clearFaults();
  hub.requests.length = 0;
});

const settings = () => ({ endpoint: hub.url });
const weightRequests = (file = WEIGHTS) => hub.requests.filter((r) => r.path.endsWith(`/resolve/main/${file}`));

async function expectFilesEqual(backend: MemoryBackend | FsBackend, repo: string, fake: FakeRepo, names: string[]) {
  const files = await cachedModelFiles(backend, repo, 'main');
  for (const n of names) {
    expect(await files.size(n)).toBe(fake.files[n].byteLength);
    const all = await files.read(n);
    expect(await sha256Hex(all)).toBe(await sha256Hex(fake.files[n]));
  }
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    return AppError.from(e);
  }
  throw new Error('expected the promise to reject');
}

describe('downloadModel against the local hub', () => {
  it('downloads a whole model with per-file and overall progress, then reads ranges back', async () => {
    const backend = new MemoryBackend();
    const events: DownloadProgress[] = [];
    // A clock that advances 20 ms each time it is read: the speed becomes known after a few network reads
    // however fast or slow this machine is (a real clock left it 0 when the download took < 50 ms).
    let now = 0;
    const clock = () => (now += 20);
    const result = await downloadModel({ hub: settings(), backend, repo: REPO, chunkBytes: 128 * 1024, progressIntervalMs: 0, onProgress: (p) => events.push(p), clock });

    // Discovered via the tree API: model files only (README.md is not part of a model).
    expect(result.files.map((f) => f.path).sort()).toEqual(['config.json', 'model.safetensors', 'quantize_config.json', 'tokenizer.json', 'tokenizer_config.json']);
    const expectedBytes = Object.entries(single.files).filter(([n]) => n !== 'README.md').reduce((n, [, b]) => n + b.byteLength, 0);
    expect(result.bytes).toBe(expectedBytes);
    expect(result.fetchedBytes).toBe(expectedBytes);
    expect(result.files.find((f) => f.path === WEIGHTS)?.sha256).toBe(await sha256Hex(single.files[WEIGHTS]));

    // Progress: overall total known from the start, monotonic, ends complete; per-file progress for the weights.
    const last = events.at(-1)!;
    expect(last.phase).toBe('done');
    expect(last.loaded).toBe(expectedBytes);
    expect(last.total).toBe(expectedBytes);
    expect(last.files.every((f) => f.state === 'done')).toBe(true);
    for (let i = 1; i < events.length; i++) expect(events[i].loaded).toBeGreaterThanOrEqual(events[i - 1].loaded);
    expect(events[0].total).toBe(expectedBytes);
    const weightEvents = events.filter((e) => e.file === WEIGHTS && e.phase === 'download');
    expect(weightEvents.length).toBeGreaterThan(3);
    expect(weightEvents.some((e) => e.fileLoaded > 0 && e.fileLoaded < e.fileTotal)).toBe(true);
    expect(events.some((e) => e.phase === 'verify' && e.file === WEIGHTS)).toBe(true);
    const timed = events.filter((e) => e.bytesPerSecond > 0 && e.phase !== 'done');
    expect(timed.length).toBeGreaterThan(0);
    // Time left is exactly what is missing at the measured speed; unknown (null) while the speed is unknown.
    for (const e of timed) expect(e.secondsLeft).toBe(Math.max(0, e.total - e.loaded) / e.bytesPerSecond);
    for (const e of events.filter((x) => x.bytesPerSecond === 0 && x.phase !== 'done')) expect(e.secondsLeft).toBeNull();
    expect(last.secondsLeft).toBe(0);

    // Stored as chunk entries; ModelFiles reads any range, across chunk borders.
    await expectFilesEqual(backend, REPO, single, ['config.json', WEIGHTS]);
    const files = await cachedModelFiles(backend, REPO);
    const cross = await files.read(WEIGHTS, 128 * 1024 - 10, 128 * 1024 + 10);
    expect(Array.from(cross)).toEqual(Array.from(single.files[WEIGHTS].subarray(128 * 1024 - 10, 128 * 1024 + 10)));
    await expect(files.size('nope.json')).rejects.toMatchObject({ code: 'MISSING_FILE' });

    // A second call fetches nothing: everything is complete.
    hub.requests.length = 0;
    const again = await downloadModel({ hub: settings(), backend, repo: REPO });
    expect(again.fetchedBytes).toBe(0);
    expect(hub.requests.filter((r) => r.path.includes('/resolve/'))).toHaveLength(0);
  });

  it('resumes after the server drops the connection mid-file without fetching stored bytes again', async () => {
    const backend = new MemoryBackend();
    const dropAt = 400_000;
    hub.setFault({ kind: 'drop', file: WEIGHTS, afterBytes: dropAt });
    const result = await downloadModel({ hub: settings(), backend, repo: REPO, chunkBytes: 64 * 1024, retryDelayMs: 10 });
    const reqs = weightRequests();
    expect(reqs).toHaveLength(2);
    expect(reqs[0].range).toBeUndefined();
    expect(reqs[0].sent).toBe(dropAt);
    // Everything received before the drop was stored (buffer flushed), so the retry starts exactly there.
    expect(reqs[1].range).toBe(`bytes=${dropAt}-`);
    expect(reqs[1].status).toBe(206);
    expect(reqs[1].sent).toBe(single.files[WEIGHTS].byteLength - dropAt);
    expect(result.fetchedBytes).toBe(result.bytes);
    await expectFilesEqual(backend, REPO, single, [WEIGHTS]);
  });

  it('gives up with DOWNLOAD_FAILED when the connection keeps dropping, and a later call resumes', async () => {
    const dir = await tempDir('pdfchat-store-');
    try {
      const backend = new FsBackend(dir);
      hub.setFault({ kind: 'drop', file: WEIGHTS, afterBytes: 0, times: 100 });
      const err = await rejection(downloadModel({ hub: settings(), backend, repo: REPO, chunkBytes: 64 * 1024, retryDelayMs: 1, maxAttempts: 3 }));
      expect(err.code).toBe('DOWNLOAD_FAILED');
      expect(err.message).toMatch(/retry/i);
      expect(weightRequests()).toHaveLength(3);
      expect((await listCachedModels(backend))[0]).toMatchObject({ repo: REPO, complete: false });
      await expect(cachedModelFiles(backend, REPO)).rejects.toMatchObject({ code: 'MISSING_FILE' });

      hub.clearFaults();
      hub.requests.length = 0;
      // "Reload": a new backend object over the same folder.
      const result = await downloadModel({ hub: settings(), backend: new FsBackend(dir), repo: REPO });
      expect(result.fetchedBytes).toBe(single.files[WEIGHTS].byteLength);
      await expectFilesEqual(new FsBackend(dir), REPO, single, [WEIGHTS]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('cancel via AbortSignal keeps the partial data; the next download resumes with a Range request', async () => {
    const dir = await tempDir('pdfchat-store-');
    try {
      const ac = new AbortController();
      hub.setFault({ kind: 'slow', file: WEIGHTS, bytesPerSecond: 2_000_000 });
      const err = await rejection(
        downloadModel({
          hub: settings(),
          backend: new FsBackend(dir),
          repo: REPO,
          chunkBytes: 1024 * 1024, // larger than what arrives before the cancel: the buffer is flushed on abort
          progressIntervalMs: 0,
          signal: ac.signal,
          onProgress: (p) => {
            if (p.file === WEIGHTS && p.fileLoaded >= 200_000) ac.abort();
          },
        }),
      );
      expect(err.code).toBe('ABORTED');
      hub.clearFaults();
      hub.requests.length = 0;
      const backend = new FsBackend(dir); // as after a reload
      const stored = (await listCachedModels(backend))[0];
      expect(stored.complete).toBe(false);
      const partialWeights = stored.bytes - Object.entries(single.files).filter(([n]) => n !== WEIGHTS && n !== 'README.md').reduce((n, [, b]) => n + b.byteLength, 0);
      expect(partialWeights).toBeGreaterThanOrEqual(200_000);
      const result = await downloadModel({ hub: settings(), backend, repo: REPO });
      const reqs = weightRequests();
      expect(reqs).toHaveLength(1);
      expect(reqs[0].range).toBe(`bytes=${partialWeights}-`);
      expect(result.fetchedBytes).toBe(single.files[WEIGHTS].byteLength - partialWeights);
      await expectFilesEqual(backend, REPO, single, [WEIGHTS]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('cancel while a file is verified (sha256) stops the download there; the file is not taken for verified, and the next download completes it', async () => {
    const backend = new MemoryBackend();
    const ac = new AbortController();
    const phases: string[] = [];
    const err = await rejection(
      downloadModel({
        hub: settings(), backend, repo: REPO, chunkBytes: 64 * 1024, signal: ac.signal,
        onProgress: (p) => {
          phases.push(p.phase);
          if (p.phase === 'verify' && p.file === WEIGHTS) ac.abort();
        },
      }),
    );
    expect(err.code).toBe('ABORTED');
    expect(phases).toContain('verify');
    expect(phases).not.toContain('done');
    expect((await listCachedModels(backend))[0].complete).toBe(false);
    const result = await downloadModel({ hub: settings(), backend, repo: REPO, chunkBytes: 64 * 1024 });
    expect(result.files.map((f) => f.path)).toContain(WEIGHTS);
    expect((await listCachedModels(backend))[0].complete).toBe(true);
    await expectFilesEqual(backend, REPO, single, [WEIGHTS]);
  });

  it('sha256 mismatch → INTEGRITY_ERROR, the damaged copy is deleted, and a retry succeeds', async () => {
    const backend = new MemoryBackend();
    hub.setFault({ kind: 'corrupt', file: WEIGHTS, offset: 12345 });
    const err = await rejection(downloadModel({ hub: settings(), backend, repo: REPO, chunkBytes: 64 * 1024 }));
    expect(err.code).toBe('INTEGRITY_ERROR');
    expect(err.message).toContain('sha256');
    expect(err.message).toMatch(/retry/i);
    expect((await listCachedModels(backend))[0].bytes).toBeLessThan(single.files[WEIGHTS].byteLength);

    hub.clearFaults();
    hub.requests.length = 0;
    await downloadModel({ hub: settings(), backend, repo: REPO, chunkBytes: 64 * 1024 });
    expect(weightRequests()[0].range).toBeUndefined(); // started over, not resumed onto damaged bytes
    await expectFilesEqual(backend, REPO, single, [WEIGHTS]);
  });

  it('the sha256 from the ETag is checked even when the file list came without one (mirror without the tree API)', async () => {
    const noApi = await startHub({ root, treeApi: false });
    try {
      const backend = new MemoryBackend();
      noApi.setFault({ kind: 'corrupt', file: WEIGHTS });
      const err = await rejection(downloadModel({ hub: { endpoint: noApi.url }, backend, repo: REPO }));
      expect(err.code).toBe('INTEGRITY_ERROR');
      noApi.clearFaults();
      await downloadModel({ hub: { endpoint: noApi.url }, backend, repo: REPO });
      await expectFilesEqual(backend, REPO, single, [WEIGHTS, 'tokenizer.json']);
    } finally {
      await noApi.close();
    }
  });

  it('a truncated file on the server → INTEGRITY_ERROR naming the sizes; retry works once the server is fixed', async () => {
    const backend = new MemoryBackend();
    hub.setFault({ kind: 'truncate', file: WEIGHTS, bytes: 500_000 });
    const err = await rejection(downloadModel({ hub: settings(), backend, repo: REPO }));
    expect(err.code).toBe('INTEGRITY_ERROR');
    expect(err.message).toContain('truncated');
    expect(err.message).toContain(String(single.files[WEIGHTS].byteLength));
    hub.clearFaults();
    await downloadModel({ hub: settings(), backend, repo: REPO });
    await expectFilesEqual(backend, REPO, single, [WEIGHTS]);
  });

  it('server errors are retried; a persistent 503 → DOWNLOAD_FAILED, a 404 fails at once', async () => {
    const backend = new MemoryBackend();
    hub.setFault({ kind: 'status', file: WEIGHTS, status: 503, times: 2 });
    await downloadModel({ hub: settings(), backend, repo: REPO, retryDelayMs: 1 });
    expect(weightRequests().map((r) => r.status)).toEqual([503, 503, 200]);

    hub.setFault({ kind: 'status', file: 'tokenizer.json', status: 503 });
    const err = await rejection(downloadModel({ hub: settings(), backend: new MemoryBackend(), repo: REPO, retryDelayMs: 1, maxAttempts: 2 }));
    expect(err.code).toBe('DOWNLOAD_FAILED');
    expect(err.message).toContain('503');

    hub.clearFaults();
    const missing = await rejection(downloadModel({ hub: settings(), backend: new MemoryBackend(), repo: REPO, files: ['config.json', 'absent.safetensors'] }));
    expect(missing.code).toBe('DOWNLOAD_FAILED');
    expect(missing.message).toContain('404');
  });

  it('discovers the shards of a sharded model from its index, with and without the tree API', async () => {
    const shardNames = Object.keys(sharded.files).filter((n) => n.endsWith('.safetensors')).sort();
    expect(shardNames).toHaveLength(3);
    const backend = new MemoryBackend();
    const viaApi = await downloadModel({ hub: settings(), backend, repo: SHARDED });
    expect(viaApi.files.map((f) => f.path)).toEqual(expect.arrayContaining([...shardNames, 'model.safetensors.index.json', 'config.json']));
    for (const s of shardNames) expect(viaApi.files.find((f) => f.path === s)?.sha256).toBe(await sha256Hex(sharded.files[s]));
    await expectFilesEqual(backend, SHARDED, sharded, shardNames);

    const noApi = await startHub({ root, treeApi: false });
    try {
      const b2 = new MemoryBackend();
      const viaProbe = await downloadModel({ hub: { endpoint: noApi.url }, backend: b2, repo: SHARDED });
      expect(viaProbe.files.map((f) => f.path).sort()).toEqual(viaApi.files.map((f) => f.path).sort());
      expect(noApi.requests.some((r) => r.path.startsWith('/api/models/'))).toBe(true);
      await expectFilesEqual(b2, SHARDED, sharded, shardNames);
    } finally {
      await noApi.close();
    }
  });

  it('quota: a full store → QUOTA_EXCEEDED saying how much is needed and which model to delete', async () => {
    const backend = new MemoryBackend({ quotaBytes: 1_500_000 });
    await downloadModel({ hub: settings(), backend, repo: SHARDED }); // ~0.9 MB
    const err = await rejection(downloadModel({ hub: settings(), backend, repo: REPO }));
    expect(err.code).toBe('QUOTA_EXCEEDED');
    expect(err.message).toContain(SHARDED);
    expect(err.message).toMatch(/needs 1\.\d+ MB more/);
    expect(err.details?.neededBytes).toBeGreaterThan(1_000_000);

    // The same error when the estimate looked fine but the write itself fails (quota shared with other data).
    const tight = new MemoryBackend({ quotaBytes: 700_000 });
    tight.estimate = async () => null;
    const writeErr = await rejection(downloadModel({ hub: settings(), backend: tight, repo: REPO, chunkBytes: 64 * 1024 }));
    expect(writeErr.code).toBe('QUOTA_EXCEEDED');

    // Deleting the other model makes room.
    expect(await deleteCachedModel(backend, SHARDED, 'main')).toBeGreaterThan(900_000);
    expect((await listCachedModels(backend)).map((m) => m.repo)).not.toContain(SHARDED);
    await downloadModel({ hub: settings(), backend, repo: REPO });
    await expectFilesEqual(backend, REPO, single, [WEIGHTS]);
  });

  /**
   * Other data (another tab, another app on the disk) takes all but `leave` bytes of the store's quota at the
   * download's first progress event of `phase` for `file`; the fill lands before the download's next write
   * (it is an in-memory write, the download waits on the network or on crypto.subtle in between). If it landed
   * late, the write would succeed and the test would fail, never pass by chance.
   */
  function fillAt(backend: MemoryBackend, phase: DownloadProgress['phase'], file: string, leave: number) {
    let filled = false;
    return (p: DownloadProgress) => {
      if (filled || p.phase !== phase || p.file !== file) return;
      filled = true;
      void backend.estimate().then((e) => backend.put('other-data', new Uint8Array(Math.max(0, e!.quota - e!.usage - leave))));
    };
  }
  const weightFile = () => [{ path: WEIGHTS, size: single.files[WEIGHTS].byteLength }];
  const storedChunkBytes = async (backend: MemoryBackend) => (await backend.list(`${REPO}@main/${WEIGHTS}#chunk/`)).reduce((n, e) => n + e.size, 0);

  it('quota: a full store when the file\'s #meta record (or its #partial record) is written → QUOTA_EXCEEDED with what to free, not INTERNAL; a retry after freeing space completes without fetching again', async () => {
    const size = single.files[WEIGHTS].byteLength;
    const backend = new MemoryBackend({ quotaBytes: 3_000_000 });
    const err = await rejection(downloadModel({ hub: settings(), backend, repo: REPO, files: weightFile(), chunkBytes: 128 * 1024, onProgress: fillAt(backend, 'verify', WEIGHTS, 0) }));
    expect(err.code).toBe('QUOTA_EXCEEDED');
    expect(err.message).toMatch(/free disk space/);
    expect(err.details?.neededBytes).toBeGreaterThan(0); // the #meta record itself
    expect(err.details?.neededBytes).toBeLessThan(4096);
    expect(await storedChunkBytes(backend)).toBe(size);
    await backend.delete('other-data');
    hub.requests.length = 0;
    const again = await downloadModel({ hub: settings(), backend, repo: REPO, files: weightFile() });
    expect(again.fetchedBytes).toBe(0);
    expect(weightRequests()).toHaveLength(0);
    await expectFilesEqual(backend, REPO, single, [WEIGHTS]);

    // The #partial record (written when the first bytes arrive) is a write like the others.
    const fresh = new MemoryBackend({ quotaBytes: 3_000_000 });
    const partialErr = await rejection(downloadModel({ hub: settings(), backend: fresh, repo: REPO, files: weightFile(), onProgress: fillAt(fresh, 'download', WEIGHTS, 0) }));
    expect(partialErr.code).toBe('QUOTA_EXCEEDED');
    expect(partialErr.details?.neededBytes).toBeGreaterThanOrEqual(size);
  });

  it('quota: the last chunk does not fit → "needs N more" counts the bytes not yet stored (not 0), and a retry after freeing space resumes after the stored chunk', async () => {
    const size = single.files[WEIGHTS].byteLength;
    // Two chunk entries: the first (600 kB and whatever the last network read added) fits, the last does not.
    const backend = new MemoryBackend({ quotaBytes: 3_000_000 });
    const err = await rejection(downloadModel({ hub: settings(), backend, repo: REPO, files: weightFile(), chunkBytes: 600_000, onProgress: fillAt(backend, 'download', WEIGHTS, 700_000) }));
    expect(err.code).toBe('QUOTA_EXCEEDED');
    const stored = await storedChunkBytes(backend);
    expect(stored).toBeGreaterThanOrEqual(600_000);
    expect(stored).toBeLessThan(size);
    expect(err.details?.neededBytes).toBe(size - stored);
    expect(err.message).toContain(`needs ${formatBytes(size - stored)} more`);
    expect(err.details?.file).toBe(WEIGHTS);

    await backend.delete('other-data');
    hub.requests.length = 0;
    const again = await downloadModel({ hub: settings(), backend, repo: REPO, files: weightFile(), chunkBytes: 600_000 });
    expect(again.fetchedBytes).toBe(size - stored);
    expect(weightRequests().map((r) => r.range)).toEqual([`bytes=${stored}-`]);
    await expectFilesEqual(backend, REPO, single, [WEIGHTS]);

    // One chunk for the whole file: nothing of it is stored, so all of it is needed.
    const one = new MemoryBackend({ quotaBytes: 3_000_000 });
    const oneErr = await rejection(downloadModel({ hub: settings(), backend: one, repo: REPO, files: weightFile(), chunkBytes: 2 * size, onProgress: fillAt(one, 'download', WEIGHTS, size / 2) }));
    expect(oneErr.code).toBe('QUOTA_EXCEEDED');
    expect(oneErr.details?.neededBytes).toBe(size);
  });

  it('sends the access token only to the hub endpoint, and never a Referer', async () => {
    const other = await startHub({ root });
    try {
      const backend = new MemoryBackend();
      await downloadModel({ hub: { endpoint: hub.url, token: 'hf_secret' }, backend, repo: REPO });
      const sent = hub.requests.filter((r) => r.path.includes('/resolve/') || r.path.includes('/api/'));
      expect(sent.length).toBeGreaterThan(3);
      for (const r of sent) {
        expect(r.authorization).toBe('Bearer hf_secret');
        expect(r.referer).toBeUndefined();
      }
      // A request built for another origin carries no token.
      const { hubFetch } = await import('../../src/store/hub');
      await (await hubFetch({ endpoint: hub.url, token: 'hf_secret' }, `${other.url}/${REPO}/resolve/main/config.json`)).arrayBuffer();
      expect(other.requests[0].authorization).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});

// A connection that goes silent without closing (Wi-Fi change, laptop sleep, stuck proxy): neither fetch nor a
// body read ever times out by itself, so before the stall timeout these downloads stayed pending forever. The
// hub's 'hold' fault stalls a response after `afterBytes` bytes; `afterBytes: 0` holds even the headers.
describe('downloadModel when the connection goes silent', () => {
  // Long enough that a busy test machine never pauses this long between two chunks of a flowing download
  // (the hub runs in this process), short enough to keep the tests quick.
  const STALL_MS = 1000;
  const HELD_AT = 1024;
  /** Bytes of the weights stored for REPO in `backend`: what the model record counts, less the other files. */
  const storedWeightBytes = async (backend: MemoryBackend | FsBackend) =>
    (await listCachedModels(backend))[0].bytes - Object.entries(single.files).filter(([n]) => n !== WEIGHTS && n !== 'README.md').reduce((n, [, b]) => n + b.byteLength, 0);

  it('a body that stalls after 1 KiB is aborted after the stall timeout and resumed with a Range request; the file is complete and intact', { timeout: 30_000 }, async () => {
    const backend = new MemoryBackend();
    hub.setFault({ kind: 'hold', file: WEIGHTS, afterBytes: HELD_AT, times: 1 });
    const result = await downloadModel({ hub: settings(), backend, repo: REPO, chunkBytes: 64 * 1024, retryDelayMs: 10, stallTimeoutMs: STALL_MS });
    const reqs = weightRequests();
    expect(reqs).toHaveLength(2);
    expect(reqs[0].range).toBeUndefined();
    expect(reqs[0].sent).toBe(HELD_AT);
    // The 1 KiB received before the stall was kept: the retry asks for exactly the rest.
    expect(reqs[1].range).toBe(`bytes=${HELD_AT}-`);
    expect(reqs[1].status).toBe(206);
    expect(reqs[1].sent).toBe(single.files[WEIGHTS].byteLength - HELD_AT);
    expect(result.fetchedBytes).toBe(result.bytes);
    await expectFilesEqual(backend, REPO, single, [WEIGHTS]);
  });

  it('a connection that stays silent → DOWNLOAD_FAILED saying so, within a bounded time; the bytes received are kept and a later call resumes after them', { timeout: 30_000 }, async () => {
    const dir = await tempDir('pdfchat-store-');
    try {
      const backend = new FsBackend(dir);
      // 1 KiB, then silence; every retry then gets not even the headers. (A server that sends 1 KiB more
      // before each stall makes progress each time, which is retried without limit, like any progress.)
      hub.setFault({ kind: 'hold', file: WEIGHTS, afterBytes: HELD_AT, times: 1 });
      hub.setFault({ kind: 'hold', file: WEIGHTS, afterBytes: 0 });
      const t0 = Date.now();
      const err = await rejection(downloadModel({ hub: settings(), backend, repo: REPO, chunkBytes: 64 * 1024, retryDelayMs: 10, maxAttempts: 3, stallTimeoutMs: STALL_MS }));
      const elapsed = Date.now() - t0;
      expect(err.code).toBe('DOWNLOAD_FAILED');
      expect(err.message).toContain(`No data arrived for ${STALL_MS / 1000} s from ${new URL(hub.url).host}`);
      expect(err.message).toMatch(/press Download again/);
      expect(err.message).toContain(`the ${formatBytes(HELD_AT)} already downloaded`);
      // 3 stalls of 1 s plus two short back-offs; generous for a slow machine, far below "forever".
      expect(elapsed).toBeLessThan(15_000);
      expect(weightRequests().map((r) => r.range)).toEqual([undefined, `bytes=${HELD_AT}-`, `bytes=${HELD_AT}-`]);

      hub.clearFaults();
      hub.requests.length = 0;
      const reloaded = new FsBackend(dir);
      expect(await storedWeightBytes(reloaded)).toBe(HELD_AT);
      const result = await downloadModel({ hub: settings(), backend: reloaded, repo: REPO });
      expect(weightRequests().map((r) => r.range)).toEqual([`bytes=${HELD_AT}-`]);
      expect(result.fetchedBytes).toBe(single.files[WEIGHTS].byteLength - HELD_AT);
      await expectFilesEqual(reloaded, REPO, single, [WEIGHTS]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('Cancel while the retry after a stall waits on a silent server → ABORTED at once (not a stall error), the bytes received kept', { timeout: 30_000 }, async () => {
    const backend = new MemoryBackend();
    hub.setFault({ kind: 'hold', file: WEIGHTS, afterBytes: HELD_AT, times: 1 });
    hub.setFault({ kind: 'hold', file: WEIGHTS, afterBytes: 0 });
    const ac = new AbortController();
    const download = rejection(downloadModel({ hub: settings(), backend, repo: REPO, chunkBytes: 64 * 1024, retryDelayMs: 10, maxAttempts: 100, stallTimeoutMs: STALL_MS, signal: ac.signal }));
    // The first response stalled and was given up; the retry (after the 1 KiB kept) is held now.
    await expect.poll(() => weightRequests()[1]?.held, { timeout: 10_000, interval: 10 }).toBe(true);
    expect(weightRequests()[1].range).toBe(`bytes=${HELD_AT}-`);
    const t0 = Date.now();
    ac.abort();
    const err = await download;
    expect(err.code).toBe('ABORTED');
    expect(err.message).not.toMatch(/No data arrived/);
    // However the abort met the download (this held request, a back-off, or the next request), it ends it at
    // once; "at once" is far below a stall timeout plus retries on any machine.
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(await storedWeightBytes(backend)).toBe(HELD_AT);
    // The held request was given up: the hub sees the client go away.
    await expect.poll(() => weightRequests().every((r) => !r.held)).toBe(true);
  });
});
