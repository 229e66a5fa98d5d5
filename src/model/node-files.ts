// ModelFiles over a folder on disk (Node: CLI, tests), with ranged reads.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AppError } from '../shared/errors';
import type { ModelFiles } from './files';

export function nodeDirFiles(dir: string): ModelFiles {
  const full = (name: string) => path.join(dir, name);
  const missing = (name: string) => new AppError('MISSING_FILE', `${name} is missing from the model directory ${dir}.`);
  return {
    async list() {
      try {
        const entries = await fs.readdir(dir, { withFileTypes: true });
        return entries.filter((e) => e.isFile()).map((e) => e.name).sort();
      } catch {
        throw new AppError('MISSING_FILE', `Model directory ${dir} does not exist or cannot be read.`);
      }
    },
    async size(name) {
      try {
        return (await fs.stat(full(name))).size;
      } catch {
        throw missing(name);
      }
    },
    async read(name, start, end) {
      let fh: fs.FileHandle;
      try {
        fh = await fs.open(full(name), 'r');
      } catch {
        throw missing(name);
      }
      try {
        const size = (await fh.stat()).size;
        const s = Math.max(0, start ?? 0);
        const e = Math.min(size, end ?? size);
        const buf = new Uint8Array(Math.max(0, e - s));
        let done = 0;
        while (done < buf.byteLength) {
          const { bytesRead } = await fh.read(buf, done, buf.byteLength - done, s + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return done === buf.byteLength ? buf : buf.subarray(0, done);
      } finally {
        await fh.close();
      }
    },
  };
}
