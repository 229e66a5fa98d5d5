// Downloads a model's files from the hub into a StorageBackend: progress (bytes, speed, time left) per file
// and overall, cancel via AbortSignal, resume (HTTP Range) after a dropped connection, a cancel or a reload,
// verification (size; sha256 when the hub publishes it), quota errors explained.
//
// Exported API
//   downloadModel(opts: DownloadOptions) → Promise<DownloadResult>
//   interfaces DownloadOptions, DownloadProgress, FileProgress, DownloadResult
//
// Behaviour
// - Files already complete (a #meta record, see layout.ts) are skipped; partial files continue after their
//   last stored byte with `Range: bytes=N-`. A 200 answer to a Range request (server ignores ranges), a
//   changed ETag or a mismatching Content-Range start discards the partial bytes and starts that file over.
// - Received bytes are buffered up to `chunkBytes` (default 16 MiB) and then written as one chunk entry; when
//   the connection drops or the download is cancelled, the buffer is written first, so nothing received is
//   fetched again. A reload loses at most the unwritten buffer.
// - A dropped connection / HTTP 5xx / 429 is retried automatically (`maxAttempts` tries in a row without
//   progress, exponential backoff from `retryDelayMs`); then AppError DOWNLOAD_FAILED, and calling
//   downloadModel again resumes.
// - A connection that goes silent without closing (Wi-Fi change, laptop sleep, stuck proxy) counts as a dropped
//   one: when no response headers, or no body bytes, arrive for `stallTimeoutMs` (default 30 s), that request
//   is aborted, the bytes received are kept and the retry continues after them. Browsers put no timeout on a
//   response, so without this the download would wait forever.
// - Size check: the size the tree API listed must match what the server announces (Content-Range total /
//   Content-Length) and what was stored, else INTEGRITY_ERROR. sha256 (tree API lfs.oid, or x-linked-etag /
//   ETag of LFS files) is checked with crypto.subtle (incrementally above 256 MiB); a mismatch deletes that
//   file's bytes and throws INTEGRITY_ERROR, so a retry downloads it afresh.
// - One download per model at a time across tabs (Web Locks, when available).
// - A quota error on any write (chunk, #partial, #meta, model record) or an estimate that says it cannot fit →
//   QUOTA_EXCEEDED with how much is still needed (counting what is stored, not what was received) and which
//   cached models could be deleted.
import { AppError, throwIfAborted } from '../shared/errors';
import type { Progress } from '../shared/progress';
import { requestNamedLock } from '../shared/named-lock';
import { isQuotaError, type StorageBackend } from './backend';
import { discoverModelFiles, type RemoteFile } from './discover';
import { describeHttpFailure, hubFetch, normalizeEndpoint, resolveUrl, sha256FromHeaders, validateRepoId, type HubSettings } from './hub';
import { FileLayout, modelKey, writeJson, type ModelFileRecord, type ModelRecord } from './layout';
import { listCachedModels } from './model-store';
import { checkRoomFor, formatBytes, quotaExceededError, requestPersistentStorage } from './quota';
import { StallGuard } from './stall-guard';
import { DEFAULT_MAX_ONE_SHOT_BYTES, sha256OfChunks } from './sha256';
import { defaultClock, SpeedMeter, type Clock } from './speed-meter';

export interface DownloadOptions {
  hub: HubSettings;
  backend: StorageBackend;
  repo: string;
  /** Branch, tag or commit (default 'main'). */
  revision?: string;
  /** Files to fetch (names, or with known size/sha256). Default: discovered (tree API, else standard names). */
  files?: (string | RemoteFile)[];
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** Bytes buffered before a chunk entry is written (default 16 MiB). */
  chunkBytes?: number;
  /** Consecutive failed tries of one file before giving up (default 4). */
  maxAttempts?: number;
  /** First retry delay; doubles each time (default 500 ms). */
  retryDelayMs?: number;
  /**
   * How long to wait on the network (for the response headers, or for the next body bytes) before the
   * connection is taken for dead and retried (default 30 s). Time spent storing bytes does not count.
   */
  stallTimeoutMs?: number;
  /** Minimum time between progress events while bytes flow (default 100 ms; 0 = every network read). */
  progressIntervalMs?: number;
  /** Files up to this size are hashed in one crypto.subtle call (default 256 MiB). */
  maxOneShotHashBytes?: number;
  /** Call navigator.storage.persist() first (default true; a no-op in Node). */
  requestPersistence?: boolean;
  /** Milliseconds clock for speed, time left and progress pacing (default performance.now; tests inject one). */
  clock?: Clock;
}

export interface FileProgress {
  path: string;
  loaded: number;
  /** 0 when unknown. */
  total: number;
  state: 'waiting' | 'downloading' | 'verifying' | 'done';
}

export interface DownloadProgress extends Progress {
  phase: 'download' | 'verify' | 'done';
  /** Overall bytes stored / expected. */
  loaded: number;
  total: number;
  /** The file being worked on. */
  file?: string;
  fileLoaded: number;
  fileTotal: number;
  /** Network speed over the last few seconds (bytes/s), 0 before there is a measure. */
  bytesPerSecond: number;
  /** Estimated seconds left, null when unknown. */
  secondsLeft: number | null;
  files: FileProgress[];
}

export interface DownloadResult {
  repo: string;
  revision: string;
  files: ModelFileRecord[];
  /** Bytes of the model in storage. */
  bytes: number;
  /** Bytes fetched over the network by this call (less than `bytes` after a resume). */
  fetchedBytes: number;
  /** navigator.storage.persist() outcome (null: not available). */
  persisted: boolean | null;
}

const DEFAULT_CHUNK = 16 * 1024 * 1024;
const DEFAULT_STALL_MS = 30_000;

class RetryableError extends AppError {}

/** What a stalled download tells the user: what went silent, how long, what to do, and that nothing is lost. */
function stallMessage(opts: { url: string; what: string; ms: number; received: number; total: number | undefined }): string {
  const host = new URL(opts.url).host;
  const kept = opts.received > 0 ? `the ${formatBytes(opts.received)} already downloaded${opts.total ? ` (of ${formatBytes(opts.total)})` : ''} are kept and the download resumes from there` : 'nothing of it had arrived yet';
  return `No data arrived for ${opts.ms / 1000} s from ${host} while downloading ${opts.what}: the connection went silent (network change, sleep, or a stuck proxy). Check the connection and press Download again; ${kept}.`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AppError('ABORTED', 'The download was cancelled.'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new AppError('ABORTED', 'The download was cancelled.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function parseContentRange(v: string | null): { start: number; end: number; total: number | null } | null {
  const m = v && /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(v.trim());
  if (!m) return null;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? null : Number(m[3]) };
}

function concat(parts: Uint8Array[], n: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * Downloads (or resumes) a model. In browsers a Web Lock per model keeps two tabs from writing the same
 * files at once; the second one gets DOWNLOAD_FAILED saying so.
 */
export async function downloadModel(opts: DownloadOptions): Promise<DownloadResult> {
  const repo = validateRepoId(opts.repo);
  const revision = opts.revision?.trim() || 'main';
  // (Node: no Web Locks, the in-process chain; a browser that refuses them: the same, for this page only.)
  return requestNamedLock(`pdfchat-model-download:${repo}@${revision}`, { ifAvailable: true }, async (held) => {
    if (!held) throw new AppError('DOWNLOAD_FAILED', `${repo} is already being downloaded in another tab or window. Wait for it there, or close it and retry here.`);
    return downloadUnlocked(opts);
  });
}

async function downloadUnlocked(opts: DownloadOptions): Promise<DownloadResult> {
  const repo = validateRepoId(opts.repo);
  const revision = opts.revision?.trim() || 'main';
  const { hub, backend, signal } = opts;
  const chunkBytes = Math.max(1, opts.chunkBytes ?? DEFAULT_CHUNK);
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 4);
  const retryDelayMs = opts.retryDelayMs ?? 500;
  const stallMs = Math.max(1, opts.stallTimeoutMs ?? DEFAULT_STALL_MS);
  const interval = opts.progressIntervalMs ?? 100;
  const endpoint = normalizeEndpoint(hub.endpoint);

  throwIfAborted(signal);
  const persisted = opts.requestPersistence === false ? null : await requestPersistentStorage();
  const planned: RemoteFile[] = opts.files
    ? opts.files.map((f) => (typeof f === 'string' ? { path: f } : f))
    : (await discoverModelFiles(hub, repo, revision, signal)).files;

  // What is stored already.
  const layouts = planned.map((f) => new FileLayout(backend, repo, revision, f.path));
  const fileStates: FileProgress[] = [];
  for (let i = 0; i < planned.length; i++) {
    const meta = await layouts[i].meta();
    const stored = meta ? meta.size : (await layouts[i].contiguousBytes()).bytes;
    const total = planned[i].size ?? meta?.size ?? 0;
    fileStates.push({ path: planned[i].path, loaded: stored, total, state: meta ? 'done' : 'waiting' });
  }
  const overallTotal = () => fileStates.reduce((n, f) => n + Math.max(f.total, f.loaded), 0);
  const overallLoaded = () => fileStates.reduce((n, f) => n + f.loaded, 0);

  const record: ModelRecord = {
    repo,
    revision,
    files: planned.map((f) => ({ path: f.path, size: f.size ?? 0, ...(f.sha256 ? { sha256: f.sha256 } : {}) })),
    complete: false,
    endpoint,
    updatedAt: new Date().toISOString(),
  };
  const others = async () => (await listCachedModels(backend)).filter((m) => !(m.repo === repo && m.revision === revision));
  const remaining = () => Math.max(0, overallTotal() - overallLoaded());
  checkRoomFor(remaining(), await backend.estimate(), await others());

  /**
   * Bytes of the model not stored yet. `stored` counts file `i` by what is written of it (`written`), not by
   * what was received: bytes still buffered, or in the chunk whose write failed, are still needed.
   */
  const notStoredYet = (stored?: { i: number; written: number }) =>
    fileStates.reduce((n, f, j) => n + Math.max(0, Math.max(f.total, f.loaded) - (stored && j === stored.i ? stored.written : f.loaded)), 0);
  /**
   * Every write of the download goes through here: a quota error becomes QUOTA_EXCEEDED saying how much is
   * still needed (plus `extraBytes`, the size of a write that is no model bytes: a JSON record) and what to free.
   */
  const storeOrExplain = async (write: () => Promise<void>, at: { extraBytes?: number; file?: string; stored?: { i: number; written: number } } = {}) => {
    try {
      await write();
    } catch (e) {
      if (!isQuotaError(e)) throw e;
      throw quotaExceededError({
        neededBytes: notStoredYet(at.stored) + (at.extraBytes ?? 0),
        estimate: await backend.estimate(),
        cachedModels: await others(),
        ...(at.file ? { file: at.file } : {}),
      });
    }
  };
  const writeRecord = () => storeOrExplain(() => writeJson(backend, modelKey(repo, revision), record), { extraBytes: jsonBytes(record) });
  await writeRecord();

  const clock = opts.clock ?? defaultClock;
  const meter = new SpeedMeter(clock);
  let fetched = 0;
  meter.add(0);
  let lastEmit = -Infinity;
  const emit = (phase: DownloadProgress['phase'], i: number | null, force: boolean) => {
    if (!opts.onProgress) return;
    const now = clock();
    if (!force && now - lastEmit < interval) return;
    lastEmit = now;
    const total = overallTotal();
    const loaded = overallLoaded();
    const bps = meter.bytesPerSecond();
    const f = i === null ? null : fileStates[i];
    opts.onProgress({
      phase,
      loaded,
      total,
      file: f?.path,
      fileLoaded: f?.loaded ?? 0,
      fileTotal: f?.total ?? 0,
      bytesPerSecond: bps,
      secondsLeft: phase === 'done' ? 0 : total > 0 ? meter.secondsLeft(total - loaded) : null,
      files: fileStates.map((s) => ({ ...s })),
      message:
        phase === 'done'
          ? `Downloaded ${formatBytes(loaded)}`
          : `${phase === 'verify' ? 'Verifying' : 'Downloading'} ${f?.path ?? ''}: ${formatBytes(f?.loaded ?? 0)} of ${f && f.total ? formatBytes(f.total) : '?'}`,
    });
  };
  emit('download', null, true);

  /** Chunk `bytes` of file `i` at `offset` (= the bytes of it stored so far). */
  const writeChunk = (i: number, offset: number, bytes: Uint8Array) =>
    storeOrExplain(() => layouts[i].writeChunk(offset, bytes), { file: layouts[i].path, stored: { i, written: offset } });

  /** One try at one file. Returns when the file is stored and verified. */
  const attemptFile = async (i: number): Promise<void> => {
    const file = planned[i];
    const layout = layouts[i];
    const state = fileStates[i];
    let { bytes: offset } = await layout.contiguousBytes();
    const partial = offset > 0 ? await layout.partialInfo() : null;
    if (offset > 0 && (!partial || (file.size !== undefined && offset > file.size))) {
      await layout.deleteAll();
      offset = 0;
    }
    state.loaded = offset;
    state.state = 'downloading';
    emit('download', i, true);

    let sha256 = file.sha256 ?? (partial?.etag && /^[0-9a-f]{64}$/.test(partial.etag) ? partial.etag : undefined);
    let total = file.size ?? (partial?.total || undefined);
    if (!(total !== undefined && offset === total && offset > 0)) {
      const url = resolveUrl(hub, repo, revision, file.path);
      const what = `${repo}/${file.path}`;
      let from = url; // where the bytes come from: the final URL once the headers came (after redirects)
      const guard = new StallGuard(stallMs, () => new AppError('DOWNLOAD_FAILED', stallMessage({ url: from, what, ms: stallMs, received: state.loaded, total }), { stalled: true }), signal);
      try {
        let res: Response;
        try {
          res = await guard.wait(hubFetch(hub, url, { headers: offset > 0 ? { range: `bytes=${offset}-` } : {}, signal: guard.signal }));
        } catch (e) {
          if (guard.stall && !signal?.aborted) throw new RetryableError(guard.stall.code, guard.stall.message, guard.stall.details); // no answer: try again
          const err = AppError.from(e);
          if (err.code === 'DOWNLOAD_FAILED') throw new RetryableError(err.code, err.message, err.details); // connection refused/reset: try again
          throw err;
        }
        from = res.url || url;
        if (res.status === 416 && offset > 0) {
          // Stored more than the server has: the file changed. Start it over.
          await res.body?.cancel().catch(() => undefined);
          await layout.deleteAll();
          throw new RetryableError('DOWNLOAD_FAILED', `${what} changed on the server; starting that file over.`);
        }
        if (!res.ok) {
          await res.body?.cancel().catch(() => undefined);
          const msg = describeHttpFailure(res.status, what, hub);
          if (res.status >= 500 || res.status === 429 || res.status === 408) throw new RetryableError('DOWNLOAD_FAILED', msg, { status: res.status });
          throw new AppError('DOWNLOAD_FAILED', msg, { status: res.status });
        }
        const etag = sha256FromHeaders(res.headers) ?? res.headers.get('etag')?.replace(/^W\//, '') ?? '';
        let start = 0;
        let announced: number | undefined;
        if (res.status === 206) {
          const cr = parseContentRange(res.headers.get('content-range'));
          if (!cr || cr.start !== offset || (partial && partial.etag && etag && partial.etag !== etag)) {
            await res.body?.cancel().catch(() => undefined);
            await layout.deleteAll();
            throw new RetryableError('DOWNLOAD_FAILED', `${what}: the server's copy changed or it answered the wrong range; starting that file over.`);
          }
          start = offset;
          announced = cr.total ?? undefined;
        } else {
          // Content-Length is the size of the file only when the body is not compressed. Browsers hide
          // Content-Encoding from cross-origin scripts, so trust it only for LFS files (binary, never
          // compressed: the hub marks them with a sha256 ETag / X-Linked-Size); small JSON files are checked
          // against the tree API size after the download instead.
          const len = res.headers.get('content-length');
          const linked = res.headers.get('x-linked-size');
          const binary = !!sha256FromHeaders(res.headers) || !!linked;
          if (!res.headers.get('content-encoding') && binary) announced = len ? Number(len) : linked ? Number(linked) : undefined;
        }
        if (start === 0) {
          // Fresh start (first try, or the server ignored our Range): drop any old partial bytes.
          if (offset > 0 || partial) await layout.deleteAll();
          offset = 0;
          const info = { etag, total: announced ?? 0 };
          await storeOrExplain(() => layout.writePartialInfo(info), { extraBytes: jsonBytes(info), file: file.path, stored: { i, written: 0 } });
        }
        if (file.size !== undefined && announced !== undefined && announced !== file.size) {
          await res.body?.cancel().catch(() => undefined);
          throw new AppError(
            'INTEGRITY_ERROR',
            `${what}: the server sends ${formatBytes(announced)} (${announced} bytes) but the hub lists ${file.size} bytes, so the file on the server (or a proxy) is truncated or damaged. Retry later or use another hub endpoint.`,
            { file: file.path, expected: file.size, announced },
          );
        }
        total = file.size ?? announced;
        sha256 ??= sha256FromHeaders(res.headers);
        state.total = total ?? 0;
        state.loaded = offset;

        // Stream the body into chunk entries.
        const reader = res.body!.getReader();
        let pending: Uint8Array[] = [];
        let pendingBytes = 0;
        let written = offset;
        const flush = async () => {
          if (pendingBytes === 0) return;
          const bytes = concat(pending, pendingBytes);
          pending = [];
          pendingBytes = 0;
          await writeChunk(i, written, bytes);
          written += bytes.byteLength;
        };
        try {
          for (;;) {
            const { done, value } = await guard.wait(reader.read());
            if (done) break;
            if (total !== undefined && written + pendingBytes + value.byteLength > total) {
              throw new AppError('INTEGRITY_ERROR', `${what}: the server sent more than the ${total} bytes it announced. Retry; if it happens again, the file on the server is damaged.`);
            }
            pending.push(value);
            pendingBytes += value.byteLength;
            fetched += value.byteLength;
            meter.add(fetched);
            state.loaded = written + pendingBytes;
            if (pendingBytes >= chunkBytes) await flush();
            emit('download', i, false);
          }
        } catch (e) {
          await reader.cancel().catch(() => undefined);
          await flush(); // keep every byte received so far: a resume continues after them
          state.loaded = written;
          if (signal?.aborted) throw new AppError('ABORTED', 'The download was cancelled; what was downloaded is kept and the download resumes from there.');
          // Silent for too long: retried like a dropped connection, from the bytes just stored.
          if (guard.stall) throw new RetryableError(guard.stall.code, guard.stall.message, guard.stall.details);
          if (e instanceof AppError) throw e;
          throw new RetryableError(
            'DOWNLOAD_FAILED',
            `The connection dropped while downloading ${what} (${formatBytes(written)} of ${total ? formatBytes(total) : '?'} stored). Retry to resume from there.`,
          );
        }
        await flush();
        state.loaded = written;
        if (total !== undefined && written < total) {
          throw new RetryableError('DOWNLOAD_FAILED', `The connection to ${endpoint} closed before ${what} was complete (${written} of ${total} bytes). Retry to resume.`);
        }
      } finally {
        guard.dispose();
      }
    }

    // Verify what is stored, then mark the file complete.
    const stored = await layout.contiguousBytes();
    if (total !== undefined && stored.bytes !== total) {
      await layout.deleteAll();
      throw new AppError('INTEGRITY_ERROR', `${repo}/${file.path}: stored ${stored.bytes} bytes but expected ${total}. Retry the download.`);
    }
    if (sha256) {
      state.state = 'verifying';
      emit('verify', i, true);
      // Cancel takes effect between chunks (a multi-GB shard takes seconds to hash); the file stays unverified.
      const actual = await sha256OfChunks(untilAborted(layout.readChunks(stored.chunks), opts.signal), stored.bytes, opts.maxOneShotHashBytes ?? DEFAULT_MAX_ONE_SHOT_BYTES);
      if (actual !== sha256) {
        await layout.deleteAll();
        state.loaded = 0;
        throw new AppError(
          'INTEGRITY_ERROR',
          `${repo}/${file.path} is damaged: its sha256 is ${actual.slice(0, 12)}… but the hub says ${sha256.slice(0, 12)}…. The damaged copy was deleted; retry the download.`,
          { file: file.path, expected: sha256, actual },
        );
      }
    }
    const meta = { path: file.path, size: stored.bytes, ...(sha256 ? { sha256 } : {}), chunks: stored.chunks, storedAt: new Date().toISOString() };
    await storeOrExplain(() => layout.writeMeta(meta), { extraBytes: jsonBytes(meta), file: file.path, stored: { i, written: stored.bytes } });
    await backend.delete(`${layout.base}#partial`);
    state.total = stored.bytes;
    state.loaded = stored.bytes;
    state.state = 'done';
    record.files[i] = { path: file.path, size: stored.bytes, ...(sha256 ? { sha256 } : {}) };
    emit('download', i, true);
  };

  for (let i = 0; i < planned.length; i++) {
    if (fileStates[i].state === 'done') continue;
    let failures = 0;
    for (;;) {
      throwIfAborted(signal);
      const before = fileStates[i].loaded;
      try {
        await attemptFile(i);
        break;
      } catch (e) {
        if (!(e instanceof RetryableError)) throw AppError.from(e);
        failures = fileStates[i].loaded > before ? 1 : failures + 1;
        if (failures >= maxAttempts) throw new AppError('DOWNLOAD_FAILED', e.message, e.details);
        await sleep(retryDelayMs * 2 ** (failures - 1), signal);
      }
    }
  }

  record.complete = true;
  record.updatedAt = new Date().toISOString();
  await writeRecord();
  emit('done', null, true);
  return {
    repo,
    revision,
    files: record.files,
    bytes: record.files.reduce((n, f) => n + f.size, 0),
    fetchedBytes: fetched,
    persisted,
  };
}

/** Bytes of `value` as writeJson stores it (UTF-8 JSON). */
function jsonBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).byteLength;
}

/** The chunks of `source`, stopping with ABORTED before each one once `signal` is aborted. */
async function* untilAborted(source: AsyncIterable<Uint8Array>, signal?: AbortSignal): AsyncIterable<Uint8Array> {
  for await (const chunk of source) {
    throwIfAborted(signal);
    yield chunk;
  }
}
