// Writes a file map (name → bytes) into a model directory on disk (Node), replacing an earlier model there.
//
// The new files are first written into a staging folder inside `dir`; only when every file is written are they
// renamed into place (a failed write leaves the old model untouched). Then the weight and quantization files of
// an earlier model that the new map does not have are removed: a stale model.safetensors.index.json would make
// the loader pick the OLD shards, a stale quantize_config.json would make it read float weights as GPTQ.
// Other files in `dir` (a README, the user's own files) are left alone.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AppError } from '../../shared/errors';

/** Files an earlier model in the folder may have left that would change how the new one loads. */
export function isModelWeightsOrQuantFile(name: string): boolean {
  return /^model.*\.safetensors(\.index\.json)?$/.test(name) || name === 'quantize_config.json';
}

function writeError(dir: string, e: unknown): AppError {
  if (e instanceof AppError) return e;
  const err = e as NodeJS.ErrnoException;
  const msg = String(err?.message ?? e);
  const why = err?.code && !msg.startsWith(err.code) ? `${err.code}: ${msg}` : msg;
  const full = err?.code === 'ENOSPC' || err?.code === 'EDQUOT';
  return new AppError(
    full ? 'QUOTA_EXCEEDED' : 'BAD_ARGUMENT',
    full
      ? `Cannot write to ${dir} (${why}). Free some disk space or choose a folder on another disk (--out).`
      : `Cannot write to ${dir} (${why}). Choose a writable folder (--out).`,
    { dir, ...(err?.code ? { fsCode: err.code } : {}) },
  );
}

export async function writeModelDir(dir: string, files: Map<string, Uint8Array>): Promise<void> {
  for (const name of files.keys()) {
    if (path.isAbsolute(name) || name.split(/[\\/]/).includes('..') || name.startsWith('.model-write-')) {
      throw new AppError('INTERNAL', `Refusing to write ${JSON.stringify(name)} outside the model folder.`);
    }
  }
  let staging: string | undefined;
  try {
    await fs.mkdir(dir, { recursive: true });
    staging = await fs.mkdtemp(path.join(dir, '.model-write-'));
    for (const [name, bytes] of files) {
      const target = path.join(staging, name);
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, bytes);
    }
    // Before anything of the old model is replaced: every target must be free or a plain file.
    for (const name of files.keys()) {
      const st = await fs.lstat(path.join(dir, name)).catch(() => undefined);
      if (st && !st.isFile()) {
        throw new AppError('BAD_ARGUMENT', `Cannot write ${name} into ${dir}: a folder or link of that name is in the way. Move it away or choose another folder (--out).`, { dir, name });
      }
    }
    for (const name of files.keys()) {
      const target = path.join(dir, name);
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.rename(path.join(staging, name), target);
    }
    for (const name of await fs.readdir(dir)) {
      if (isModelWeightsOrQuantFile(name) && !files.has(name)) await fs.rm(path.join(dir, name), { force: true });
    }
  } catch (e) {
    throw writeError(dir, e);
  } finally {
    if (staging) await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
}
