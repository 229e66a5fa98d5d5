// Writes a file map (name → bytes) into a model directory on disk (Node), replacing an earlier model there.
//
// The new files are first written into a staging folder inside `dir`; only when every file is written are they
// renamed into place (a failed write leaves the old model untouched). Then the weight and quantization files of
// an earlier model that the new map does not have are removed: a stale model.safetensors.index.json would make
// the loader pick the OLD shards, a stale quantize_config.json would make it read float weights as GPTQ.
// So are the earlier model's metadata files (STALE_MODEL_METADATA_FILES): a Qwen chat_template.jinja left next
// to a converted llama2.c model would make the tokenizer loader use it (hasChatTemplate, no BOS, <|im_start|>
// as plain text), a stale generation_config.json would add its EOS ids. They are removed rather than the write
// refused: writing here already replaces that model's config.json and tokenizer files, so what is left of it is
// no longer a model, only files that would mislead the loader (or transformers) about the new one.
// Other files in `dir` (a README, the user's own files) are left alone.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AppError } from '../../shared/errors';

/** Files an earlier model in the folder may have left that would change how the new one loads. */
export function isModelWeightsOrQuantFile(name: string): boolean {
  return /^model.*\.safetensors(\.index\.json)?$/.test(name) || name === 'quantize_config.json';
}

/**
 * Model metadata files an earlier model may have left that the new file map may not have: every one the app
 * downloads with a model (MODEL_METADATA_FILES in src/store/discover.ts) and the loader reads (tokenizer.ts:
 * tokenizer.json, tokenizer_config.json, generation_config.json, config.json, chat_template.jinja / .json;
 * checkpoint.ts / config.ts: config.json, quantize_config.json, generation_config.json), plus the tokenizer
 * files of other Hugging Face layouts that transformers would read next to ours.
 */
export const STALE_MODEL_METADATA_FILES: readonly string[] = [
  'config.json',
  'quantize_config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
  'chat_template.json',
  'added_tokens.json',
  'tokenizer.model',
];

/** A file of an earlier model that must not outlive it when another model is written into the folder. */
export function isStaleModelFile(name: string): boolean {
  return isModelWeightsOrQuantFile(name) || STALE_MODEL_METADATA_FILES.includes(name);
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
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      // Only files (and links): a folder of such a name is not an earlier model's file; it is left alone.
      if (isStaleModelFile(entry.name) && !files.has(entry.name) && !entry.isDirectory()) await fs.rm(path.join(dir, entry.name), { force: true });
    }
  } catch (e) {
    throw writeError(dir, e);
  } finally {
    if (staging) await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
}
