// How model files are laid out in a StorageBackend. Keys do not contain the hub endpoint, so a model
// downloaded from a mirror is the same cached model as one from huggingface.co.
//
//   {repo}@{revision}#model                  JSON ModelRecord: the model's file list and whether it is complete
//   {repo}@{revision}/{path}#chunk/{offset}  bytes [offset, offset+len) of the file (offset zero-padded to 16 digits)
//   {repo}@{revision}/{path}#partial         JSON PartialInfo: validator of the bytes stored so far (for resume)
//   {repo}@{revision}/{path}#meta            JSON FileMeta: written last, after verification = the file is complete
//
// A file is stored as chunk entries written as the download goes (Cache Storage cannot append), so a dropped
// connection, a cancel or a reload keeps every chunk already written; resume continues after the last
// contiguous chunk with an HTTP Range request.
//
// Exported API
//   modelKey, fileKey, chunkKey; class FileLayout (chunks, meta, partial info, reading ranges, deleting)
//   interfaces FileMeta, PartialInfo, ModelRecord, ModelFileRecord
import type { StorageBackend } from './backend';

export interface FileMeta {
  path: string;
  size: number;
  /** Hex sha256 when the hub published one and it was verified. */
  sha256?: string;
  /** Chunk offsets and lengths, in order, covering [0, size). */
  chunks: [offset: number, length: number][];
  storedAt: string;
}

export interface PartialInfo {
  /** ETag / x-linked-etag of the response the stored chunks came from ('' when the server sent none). */
  etag: string;
  /** Total file size the server announced (0 when unknown). */
  total: number;
}

export interface ModelFileRecord {
  path: string;
  /** Expected size (0 when unknown before download). */
  size: number;
  sha256?: string;
}

export interface ModelRecord {
  repo: string;
  revision: string;
  files: ModelFileRecord[];
  /** All files downloaded and verified. */
  complete: boolean;
  /** Endpoint it was last downloaded from (informational; not part of the key). */
  endpoint?: string;
  updatedAt: string;
}

export const modelPrefix = (repo: string, revision: string): string => `${repo}@${revision}`;
export const modelKey = (repo: string, revision: string): string => `${modelPrefix(repo, revision)}#model`;
export const fileKey = (repo: string, revision: string, path: string): string => `${modelPrefix(repo, revision)}/${path}`;
export const chunkKey = (base: string, offset: number): string => `${base}#chunk/${String(offset).padStart(16, '0')}`;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export async function readJson<T>(backend: StorageBackend, key: string): Promise<T | null> {
  const bytes = await backend.get(key);
  if (!bytes) return null;
  try {
    return JSON.parse(decoder.decode(bytes)) as T;
  } catch {
    return null; // a damaged record counts as absent
  }
}

export function writeJson(backend: StorageBackend, key: string, value: unknown): Promise<void> {
  return backend.put(key, encoder.encode(JSON.stringify(value)));
}

/** The stored pieces of one model file. */
export class FileLayout {
  readonly base: string;

  constructor(
    readonly backend: StorageBackend,
    readonly repo: string,
    readonly revision: string,
    readonly path: string,
  ) {
    this.base = fileKey(repo, revision, path);
  }

  meta(): Promise<FileMeta | null> {
    return readJson<FileMeta>(this.backend, `${this.base}#meta`);
  }

  writeMeta(meta: FileMeta): Promise<void> {
    return writeJson(this.backend, `${this.base}#meta`, meta);
  }

  partialInfo(): Promise<PartialInfo | null> {
    return readJson<PartialInfo>(this.backend, `${this.base}#partial`);
  }

  writePartialInfo(info: PartialInfo): Promise<void> {
    return writeJson(this.backend, `${this.base}#partial`, info);
  }

  writeChunk(offset: number, bytes: Uint8Array): Promise<void> {
    return this.backend.put(chunkKey(this.base, offset), bytes);
  }

  /** Stored chunks sorted by offset. */
  async chunks(): Promise<[offset: number, length: number][]> {
    const prefix = `${this.base}#chunk/`;
    const entries = await this.backend.list(prefix);
    return entries.map((e) => [Number(e.key.slice(prefix.length)), e.size] as [number, number]).sort((a, b) => a[0] - b[0]);
  }

  /**
   * Bytes stored contiguously from offset 0 (what a resume can keep). Chunks after a gap, or overlapping,
   * are deleted so they never get mixed into the file.
   */
  async contiguousBytes(): Promise<{ bytes: number; chunks: [number, number][] }> {
    const all = await this.chunks();
    const kept: [number, number][] = [];
    let end = 0;
    for (const [off, len] of all) {
      if (off === end && len > 0) {
        kept.push([off, len]);
        end += len;
      } else {
        await this.backend.delete(chunkKey(this.base, off));
      }
    }
    return { bytes: end, chunks: kept };
  }

  /** Reads [start, end) from the given chunk list. */
  async readRange(chunks: [number, number][], start: number, end: number): Promise<Uint8Array> {
    const out = new Uint8Array(Math.max(0, end - start));
    for (const [off, len] of chunks) {
      const s = Math.max(start, off);
      const e = Math.min(end, off + len);
      if (s >= e) continue;
      const part = await this.backend.get(chunkKey(this.base, off), s - off, e - off);
      if (!part || part.byteLength !== e - s) throw new Error(`chunk at ${off} of ${this.path} is missing or short`);
      out.set(part, s - start);
    }
    return out;
  }

  /** Yields the chunks' bytes in order (for hashing without holding the whole file). */
  async *readChunks(chunks: [number, number][]): AsyncIterable<Uint8Array> {
    for (const [off, len] of chunks) {
      const part = await this.backend.get(chunkKey(this.base, off));
      if (!part || part.byteLength !== len) throw new Error(`chunk at ${off} of ${this.path} is missing or short`);
      yield part;
    }
  }

  /** Deletes partial data (chunks and partial info) but keeps nothing about the file. */
  async deleteAll(): Promise<void> {
    for (const e of await this.backend.list(`${this.base}#`)) await this.backend.delete(e.key);
  }
}
