// A small local "Hugging Face hub" for tests (node:http, no dependencies): serves model folders under
// /{owner}/{name}/resolve/main/{file} the way huggingface.co does for the parts the app uses, and can
// inject faults. Used by the store's unit tests and by the app's Playwright tests (point the app's hub
// endpoint at `url`).
//
//   const hub = await startHub({ root, repos: { 'test/tiny-llama': '/tmp/x' }, port: 0 });
//   hub.url                   'http://127.0.0.1:PORT'
//   hub.requests              log of every request: { method, path, range, authorization, referer, status, sent }
//   hub.setFault(fault)       add a fault (see HubFault; fires `times` times: default once for 'drop', else
//                             until hub.clearFaults())
//   hub.release()             lets every response held by a 'hold' fault so far go on (clearFaults() does too)
//   await hub.close()
//
// Served:
//   GET|HEAD /{owner}/{name}/resolve/main/{path}   the file; Content-Length, Accept-Ranges, Range → 206 with
//       Content-Range (416 when unsatisfiable), ETag; files that huggingface.co keeps in LFS (*.safetensors,
//       *.bin, *.gguf, *.model, or ≥ 1 MiB) carry ETag = X-Linked-Etag = "sha256" and X-Linked-Size like the
//       hub; other files get the git blob sha1 as ETag (40 hex, so it is NOT a sha256).
//   GET /api/models/{owner}/{name}/tree/main   [{ type, oid, size, path, lfs?: { oid, size, pointerSize } }]
//       (top level; ?recursive=true for all) — like the hub's tree API; `treeApi: false` makes it 404 (a mirror
//       without /api/).
//   CORS for any origin (preflight with Range/Authorization allowed; ETag, Content-Range, X-Linked-* exposed).
// A repo 'owner/name' lives at repos['owner/name'] if given, else at {root}/owner/name. Revisions other than
// 'main' are 404.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, sep } from 'node:path';

export type HubFault =
  /** Sends the response headers (full length) and `afterBytes` bytes, then destroys the connection. */
  | { kind: 'drop'; file: string; repo?: string; afterBytes: number; times?: number }
  /** Serves the file as if it were only its first `bytes` bytes (Content-Length says so too), while the
   *  tree API and X-Linked-Size / ETag still describe the real file: a truncated copy on a mirror/proxy. */
  | { kind: 'truncate'; file: string; repo?: string; bytes: number; times?: number }
  /** Flips one byte (at `offset`, default the middle) of the served content; headers unchanged. */
  | { kind: 'corrupt'; file: string; repo?: string; offset?: number; times?: number }
  /** Answers with an HTTP error status. */
  | { kind: 'status'; file: string; repo?: string; status: number; times?: number }
  /** Sends the body at `bytesPerSecond` (to make progress visible or to cancel mid-file). */
  | { kind: 'slow'; file: string; repo?: string; bytesPerSecond: number; times?: number }
  /** Sends the headers (full length) and the first `afterBytes` bytes, then holds the rest until hub.release()
   *  or hub.clearFaults(): a stalled network, without timing; the bytes that follow are the real ones. A
   *  response shorter than `afterBytes` (e.g. a Range request for the first byte) is not held. */
  | { kind: 'hold'; file: string; repo?: string; afterBytes: number; times?: number };

export interface HubRequest {
  method: string;
  path: string;
  range?: string;
  authorization?: string;
  referer?: string;
  status?: number;
  /** Bytes of body written. */
  sent?: number;
  /** True while a 'hold' fault holds this response. */
  held?: boolean;
}

export interface HubOptions {
  /** Folder with {owner}/{name}/ model folders. */
  root?: string;
  /** Extra repos: id → folder. */
  repos?: Record<string, string>;
  port?: number;
  host?: string;
  /** Serve /api/models/.../tree (default true). */
  treeApi?: boolean;
}

export interface Hub {
  url: string;
  requests: HubRequest[];
  setFault(f: HubFault): void;
  /** Removes every fault and releases the responses held so far. */
  clearFaults(): void;
  /** Releases the responses held so far (later requests are held again while the 'hold' fault lasts). */
  release(): void;
  close(): Promise<void>;
}

const LFS_EXT = /\.(safetensors|bin|gguf|model|pt|pth|onnx)$/;
const LFS_MIN = 1024 * 1024;

interface FileFacts {
  size: number;
  lfs: boolean;
  sha256?: string;
  gitSha1: string;
}

/** How often a fault fires: `times`, default once for 'drop', until clearFaults() for the others. */
const timesOf = (f: HubFault): number => f.times ?? (f.kind === 'drop' ? 1 : Infinity);

const factsCache = new Map<string, { mtimeMs: number; size: number; facts: FileFacts }>();

async function hashFile(file: string, algo: 'sha256' | 'sha1', prefix?: string): Promise<string> {
  const h = createHash(algo);
  if (prefix) h.update(prefix);
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function factsOf(file: string, name: string): Promise<FileFacts> {
  const st = await stat(file);
  const hit = factsCache.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.facts;
  const lfs = LFS_EXT.test(name) || st.size >= LFS_MIN;
  let facts: FileFacts;
  if (lfs) {
    const sha256 = await hashFile(file, 'sha256');
    const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${st.size}\n`;
    facts = { size: st.size, lfs, sha256, gitSha1: createHash('sha1').update(`blob ${pointer.length}\0${pointer}`).digest('hex') };
  } else {
    facts = { size: st.size, lfs, gitSha1: await hashFile(file, 'sha1', `blob ${st.size}\0`) };
  }
  factsCache.set(file, { mtimeMs: st.mtimeMs, size: st.size, facts });
  return facts;
}

function cors(res: ServerResponse): void {
  res.setHeader('access-control-allow-origin', '*');
  res.setHeader('access-control-allow-methods', 'GET, HEAD, OPTIONS');
  res.setHeader('access-control-allow-headers', 'range, authorization, content-type, if-range');
  res.setHeader('access-control-expose-headers', 'content-length, content-range, accept-ranges, etag, x-linked-etag, x-linked-size, x-repo-commit');
  res.setHeader('access-control-max-age', '600');
}

function parseRange(h: string | undefined, size: number): { start: number; end: number } | 'invalid' | null {
  if (!h) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  let start: number, end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'invalid';
  return { start, end };
}

async function walk(dir: string, base: string, recursive: boolean, out: { path: string; dir: boolean }[]): Promise<void> {
  for (const ent of await readdir(dir, { withFileTypes: true })) {
    if (ent.name.startsWith('.')) continue;
    const full = join(dir, ent.name);
    const rel = relative(base, full).split(sep).join('/');
    if (ent.isDirectory()) {
      out.push({ path: rel, dir: true });
      if (recursive) await walk(full, base, recursive, out);
    } else if (ent.isFile()) out.push({ path: rel, dir: false });
  }
}

export async function startHub(opts: HubOptions): Promise<Hub> {
  const requests: HubRequest[] = [];
  let faults: (HubFault & { used: number })[] = [];
  /** Resolvers of the responses a 'hold' fault holds now. */
  const held = new Set<() => void>();
  const release = () => {
    for (const r of [...held]) r();
    held.clear();
  };

  const repoDir = (repo: string): string | null => {
    if (opts.repos?.[repo]) return opts.repos[repo];
    if (opts.root) return join(opts.root, ...repo.split('/'));
    return null;
  };
  const takeFault = (repo: string, file: string): HubFault | null => {
    const f = faults.find((x) => x.file === file && (!x.repo || x.repo === repo) && x.used < timesOf(x));
    if (!f) return null;
    f.used++;
    return f;
  };

  const send = (res: ServerResponse, log: HubRequest, status: number, body: string, type = 'text/plain; charset=utf-8') => {
    log.status = status;
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const u = new URL(req.url ?? '/', 'http://localhost');
    const path = decodeURIComponent(u.pathname);
    const log: HubRequest = {
      method: req.method ?? 'GET',
      path: u.pathname + u.search,
      ...(req.headers.range ? { range: String(req.headers.range) } : {}),
      ...(req.headers.authorization ? { authorization: String(req.headers.authorization) } : {}),
      ...(req.headers.referer ? { referer: String(req.headers.referer) } : {}),
    };
    requests.push(log);
    cors(res);
    if (req.method === 'OPTIONS') {
      log.status = 204;
      res.writeHead(204);
      res.end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, log, 405, 'method not allowed');

    const api = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)\/?$/.exec(path);
    if (api) {
      const [, repo, rev] = api;
      const dir = repoDir(repo);
      if (opts.treeApi === false || !dir || rev !== 'main') return send(res, log, 404, JSON.stringify({ error: 'Not found' }), 'application/json');
      try {
        const entries: { path: string; dir: boolean }[] = [];
        await walk(dir, dir, u.searchParams.get('recursive') === 'true', entries);
        const out = [];
        for (const e of entries) {
          if (e.dir) {
            out.push({ type: 'directory', oid: createHash('sha1').update(e.path).digest('hex'), size: 0, path: e.path });
            continue;
          }
          const f = await factsOf(join(dir, e.path), e.path);
          out.push({
            type: 'file',
            oid: f.gitSha1,
            size: f.size,
            path: e.path,
            ...(f.lfs ? { lfs: { oid: f.sha256, size: f.size, pointerSize: 134 } } : {}),
          });
        }
        return send(res, log, 200, JSON.stringify(out), 'application/json');
      } catch {
        return send(res, log, 404, JSON.stringify({ error: 'Repository not found' }), 'application/json');
      }
    }

    const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (!m) return send(res, log, 404, 'Not found');
    const [, repo, rev, file] = m;
    const dir = repoDir(repo);
    if (!dir || rev !== 'main' || file.split('/').some((s) => s === '..' || s === '')) return send(res, log, 404, 'Entry not found');
    const full = join(dir, ...file.split('/'));
    let facts: FileFacts;
    try {
      if (!(await stat(full)).isFile()) return send(res, log, 404, 'Entry not found');
      facts = await factsOf(full, file);
    } catch {
      return send(res, log, 404, 'Entry not found');
    }

    const fault = takeFault(repo, file);
    if (fault?.kind === 'status') return send(res, log, fault.status, `injected HTTP ${fault.status}`);
    const servedSize = fault?.kind === 'truncate' ? Math.min(fault.bytes, facts.size) : facts.size;
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream',
      'accept-ranges': 'bytes',
      etag: `"${facts.lfs ? facts.sha256 : facts.gitSha1}"`,
    };
    if (facts.lfs) {
      headers['x-linked-etag'] = `"${facts.sha256}"`;
      headers['x-linked-size'] = String(facts.size);
    }
    const range = parseRange(req.headers.range, servedSize);
    if (range === 'invalid') {
      log.status = 416;
      res.writeHead(416, { ...headers, 'content-range': `bytes */${servedSize}`, 'content-length': '0' });
      res.end();
      return;
    }
    const start = range ? range.start : 0;
    const end = range ? range.end : servedSize - 1; // inclusive
    const length = Math.max(0, end - start + 1);
    log.status = range ? 206 : 200;
    res.writeHead(log.status, { ...headers, 'content-length': String(length), ...(range ? { 'content-range': `bytes ${start}-${end}/${servedSize}` } : {}) });
    if (req.method === 'HEAD' || length === 0) {
      res.end();
      return;
    }

    const corruptAt = fault?.kind === 'corrupt' ? (fault.offset ?? Math.floor(facts.size / 2)) : -1;
    const dropAfter = fault?.kind === 'drop' ? fault.afterBytes : Infinity;
    const bytesPerSecond = fault?.kind === 'slow' ? fault.bytesPerSecond : Infinity;
    let holdAfter = fault?.kind === 'hold' ? fault.afterBytes : Infinity;
    let pos = start;
    let sent = 0;
    log.sent = 0;
    const stream = createReadStream(full, { start, end, highWaterMark: 64 * 1024 });
    try {
      for await (const raw of stream) {
        let chunk = raw as Buffer;
        if (corruptAt >= pos && corruptAt < pos + chunk.length) {
          chunk = Buffer.from(chunk);
          chunk[corruptAt - pos] ^= 0xff;
        }
        if (sent + chunk.length > dropAfter) {
          const keep = Math.max(0, dropAfter - sent);
          if (keep > 0) await new Promise<void>((r) => res.write(chunk.subarray(0, keep), () => r()));
          log.sent = sent + keep;
          stream.destroy();
          // Close the connection without finishing the response. Wait first: browsers discard body bytes
          // that the page has not read yet when the stream errors, so give the client time to take them
          // (then it holds exactly `afterBytes`). FIN after the written bytes; a hard close if it lingers.
          await new Promise((r) => setTimeout(r, 250));
          const socket = res.socket;
          socket?.end();
          setTimeout(() => socket?.destroy(), 1000).unref();
          return;
        }
        if (sent + chunk.length > holdAfter) {
          const first = chunk.subarray(0, Math.max(0, holdAfter - sent));
          if (first.length > 0) await new Promise<void>((r) => res.write(first, () => r()));
          sent += first.length;
          pos += first.length;
          log.sent = sent;
          chunk = chunk.subarray(first.length);
          holdAfter = Infinity;
          // Held until released, or until the client goes away (then nothing more is sent).
          log.held = true;
          await new Promise<void>((r) => {
            const done = () => {
              held.delete(done);
              res.off('close', done);
              r();
            };
            if (res.destroyed) return r();
            held.add(done);
            res.once('close', done);
          });
          log.held = false;
          if (res.destroyed) {
            stream.destroy();
            return;
          }
        }
        if (Number.isFinite(bytesPerSecond)) {
          for (let i = 0; i < chunk.length; i += 4096) {
            const part = chunk.subarray(i, i + 4096);
            if (!res.write(part)) await new Promise((r) => res.once('drain', r));
            await new Promise((r) => setTimeout(r, (part.length / bytesPerSecond) * 1000));
            if (res.destroyed) return;
          }
        } else if (!res.write(chunk)) {
          await new Promise((r) => res.once('drain', r));
        }
        pos += chunk.length;
        sent += chunk.length;
        log.sent = sent;
        if (res.destroyed) {
          stream.destroy();
          return;
        }
      }
      res.end();
    } catch {
      stream.destroy();
      res.destroy();
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    requests,
    setFault: (f) => faults.push({ ...f, used: 0 }),
    clearFaults: () => {
      faults = [];
      release();
    },
    release,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// `node --import tsx e2e/hub-server.ts --root DIR [--port 8080]`: serve a folder by hand.
if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (n: string) => {
    const i = process.argv.indexOf(`--${n}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const root = arg('root');
  if (!root) {
    process.stderr.write('usage: node --import tsx e2e/hub-server.ts --root DIR [--port N]\n');
    process.exit(2);
  }
  startHub({ root, port: Number(arg('port') ?? 8080) }).then((h) => process.stdout.write(`hub serving ${root} at ${h.url}\n`));
}
