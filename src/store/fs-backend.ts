// Node-only storage backend: one file per key in a folder (used by tests and the CLI; never imported by the
// browser bundle). Keys are percent-encoded into flat file names; writes go to a temporary file and are
// renamed into place, so a crash never leaves a half-written value under its real name.
//
// Exported API
//   class FsBackend(dir) implements StorageBackend (estimate() = bytes used here + free disk space).
import { mkdir, open, readdir, readFile, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StorageBackend, StorageEstimateInfo, StoredEntry } from './backend';

const TMP_SUFFIX = '.tmp-write';

export class FsBackend implements StorageBackend {
  readonly name: string;
  private ready: Promise<unknown> | null = null;

  constructor(private readonly dir: string) {
    this.name = `folder ${dir}`;
  }

  private ensureDir(): Promise<unknown> {
    this.ready ??= mkdir(this.dir, { recursive: true });
    return this.ready;
  }

  private fileOf(key: string): string {
    return join(this.dir, encodeURIComponent(key).replace(/\./g, '%2E'));
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    await this.ensureDir();
    const file = this.fileOf(key);
    const tmp = file + TMP_SUFFIX;
    await writeFile(tmp, data);
    await rename(tmp, file);
  }

  async get(key: string, start?: number, end?: number): Promise<Uint8Array | null> {
    const file = this.fileOf(key);
    try {
      if (start === undefined && end === undefined) return new Uint8Array(await readFile(file));
      const fh = await open(file, 'r');
      try {
        const size = (await fh.stat()).size;
        const s = Math.min(start ?? 0, size);
        const e = Math.min(end ?? size, size);
        const out = new Uint8Array(Math.max(0, e - s));
        let done = 0;
        while (done < out.length) {
          const { bytesRead } = await fh.read(out, done, out.length - done, s + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return out;
      } finally {
        await fh.close();
      }
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') return null;
      throw e;
    }
  }

  async list(prefix: string): Promise<StoredEntry[]> {
    await this.ensureDir();
    const out: StoredEntry[] = [];
    for (const name of await readdir(this.dir)) {
      if (name.endsWith(TMP_SUFFIX)) continue;
      const key = decodeURIComponent(name);
      if (!key.startsWith(prefix)) continue;
      try {
        out.push({ key, size: (await stat(join(this.dir, name))).size });
      } catch {
        // deleted meanwhile
      }
    }
    return out;
  }

  async delete(key: string): Promise<void> {
    await rm(this.fileOf(key), { force: true });
  }

  async estimate(): Promise<StorageEstimateInfo | null> {
    const usage = (await this.list('')).reduce((n, e) => n + e.size, 0);
    try {
      const s = await statfs(this.dir);
      return { usage, quota: usage + s.bavail * s.bsize };
    } catch {
      return null;
    }
  }
}
