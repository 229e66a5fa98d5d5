// writeModelDir: re-writing a model folder leaves only the new model's weight files; a failed write leaves the
// old model as it was; file-system errors come out as coded AppErrors that say what to do.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeModelDir } from '../../src/model/convert/write-dir';
import { AppError } from '../../src/shared/errors';
import { makeTempDir } from '../temp-dir';
import { rejectionOf } from '../caught-error';

const text = (s: string) => new TextEncoder().encode(s);

function sharded(tag: string): Map<string, Uint8Array> {
  return new Map([
    ['config.json', text(`config ${tag}`)],
    ['quantize_config.json', text(`quant ${tag}`)],
    ['model-00001-of-00002.safetensors', text(`shard1 ${tag}`)],
    ['model-00002-of-00002.safetensors', text(`shard2 ${tag}`)],
    ['model.safetensors.index.json', text(`index ${tag}`)],
  ]);
}

describe('writeModelDir', () => {
  it('over an earlier sharded, quantized model leaves only the new files (and the user’s own)', async () => {
    const dir = makeTempDir('wmd-');
    await writeModelDir(dir, sharded('old'));
    writeFileSync(join(dir, 'NOTES.txt'), 'mine');
    await writeModelDir(dir, new Map([['config.json', text('config new')], ['model.safetensors', text('weights new')]]));
    expect(readdirSync(dir).sort()).toEqual(['NOTES.txt', 'config.json', 'model.safetensors']);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe('config new');
    expect(readFileSync(join(dir, 'NOTES.txt'), 'utf8')).toBe('mine');
  });

  it('a write that fails while staging leaves the old model intact and no staging folder', async () => {
    const dir = makeTempDir('wmd-');
    await writeModelDir(dir, sharded('old'));
    // "sub" is written as a file, then "sub/x" needs it to be a folder: the second write fails.
    const bad = new Map([['config.json', text('config new')], ['sub', text('a file')], ['sub/x', text('under a file')]]);
    const err = await rejectionOf(writeModelDir(dir, bad));
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('BAD_ARGUMENT');
    expect(err.message).toContain(dir);
    expect(err.message).toMatch(/Choose a writable folder/);
    expect(readdirSync(dir).sort()).toEqual([...sharded('old').keys()].sort());
    for (const [name, bytes] of sharded('old')) expect(readFileSync(join(dir, name), 'utf8')).toBe(new TextDecoder().decode(bytes));
  });

  it('a target that is an existing folder fails before anything is replaced', async () => {
    const dir = makeTempDir('wmd-');
    await writeModelDir(dir, sharded('old'));
    mkdirSync(join(dir, 'tokenizer.json'));
    const err = await rejectionOf(writeModelDir(dir, new Map([['config.json', text('config new')], ['tokenizer.json', text('{}')]])));
    expect(err.code).toBe('BAD_ARGUMENT');
    expect(err.message).toMatch(/tokenizer\.json.*in the way.*choose another folder/i);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe('config old');
    expect(existsSync(join(dir, 'model.safetensors.index.json'))).toBe(true);
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('an --out under a file is BAD_ARGUMENT naming the folder, not INTERNAL', async () => {
    const dir = makeTempDir('wmd-');
    writeFileSync(join(dir, 'plain'), 'x');
    const out = join(dir, 'plain', 'model');
    const err = await rejectionOf(writeModelDir(out, new Map([['config.json', text('{}')]])));
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('BAD_ARGUMENT');
    expect(err.message).toContain(out);
    expect(err.message).toMatch(/ENOTDIR|EEXIST/);
    expect(err.message).toMatch(/Choose a writable folder/);
  });
});
