import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeDirFiles } from '../../src/model/node-files';
import { parseSafetensorsHeader, readSafetensorsIndex, writeSafetensors } from '../../src/model/safetensors';
import type { AppError } from '../../src/shared/errors';
import { makeTempDir } from '../temp-dir';

const tensors = [
  { name: 'a', dtype: 'F32' as const, shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6.5]) },
  { name: 'b', dtype: 'I32' as const, shape: [3], data: Int32Array.from([-1, 0, 0x7fffffff]) },
  { name: 'c', dtype: 'F16' as const, shape: [1], data: Uint16Array.from([0x3c00]) },
];

async function code(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    return e as AppError;
  }
  throw new Error('expected an error');
}

describe('safetensors', () => {
  it('round-trips tensors and metadata; data starts 8-byte aligned', () => {
    const bytes = writeSafetensors(tensors, { format: 'pt' });
    const h = parseSafetensorsHeader(bytes);
    expect(h.dataOffset % 8).toBe(0);
    expect(h.metadata).toEqual({ format: 'pt' });
    expect(h.tensors.get('a')).toMatchObject({ dtype: 'F32', shape: [2, 3], begin: 0, end: 24 });
    const a = new Float32Array(bytes.slice(h.dataOffset + 0, h.dataOffset + 24).buffer);
    expect([...a]).toEqual([1, 2, 3, 4, 5, 6.5]);
    const b = h.tensors.get('b')!;
    expect([...new Int32Array(bytes.slice(h.dataOffset + b.begin, h.dataOffset + b.end).buffer)]).toEqual([-1, 0, 0x7fffffff]);
  });

  it('reads a sharded set through its index, and names a missing shard', async () => {
    const dir = makeTempDir('st-');
    writeFileSync(join(dir, 'model-00001-of-00002.safetensors'), writeSafetensors([tensors[0]]));
    writeFileSync(join(dir, 'model-00002-of-00002.safetensors'), writeSafetensors([tensors[1], tensors[2]]));
    const index = { metadata: {}, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors', c: 'model-00002-of-00002.safetensors' } };
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
    const idx = await readSafetensorsIndex(nodeDirFiles(dir));
    expect(idx.files).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(idx.tensors.get('c')?.file).toBe('model-00002-of-00002.safetensors');

    const dir2 = makeTempDir('st-');
    writeFileSync(join(dir2, 'model-00001-of-00002.safetensors'), writeSafetensors([tensors[0]]));
    writeFileSync(join(dir2, 'model.safetensors.index.json'), JSON.stringify(index));
    const e = await code(readSafetensorsIndex(nodeDirFiles(dir2)));
    expect(e.code).toBe('MISSING_FILE');
    expect(e.message).toContain('model-00002-of-00002.safetensors');
  });

  it('reports TRUNCATED_FILE with the file name and sizes', async () => {
    const dir = makeTempDir('st-');
    const bytes = writeSafetensors(tensors);
    writeFileSync(join(dir, 'model.safetensors'), bytes.subarray(0, bytes.length - 3));
    const e = await code(readSafetensorsIndex(nodeDirFiles(dir)));
    expect(e.code).toBe('TRUNCATED_FILE');
    expect(e.message).toContain('model.safetensors');
    expect(e.message).toContain(String(bytes.length));
    expect(e.message).toContain(String(bytes.length - 3));
    // Truncated inside the header too.
    writeFileSync(join(dir, 'model.safetensors'), bytes.subarray(0, 20));
    expect((await code(readSafetensorsIndex(nodeDirFiles(dir)))).code).toBe('TRUNCATED_FILE');
  });

  it('finds old AutoGPTQ file names and rejects garbage as MALFORMED_WEIGHTS', async () => {
    const dir = makeTempDir('st-');
    writeFileSync(join(dir, 'gptq_model-4bit-128g.safetensors'), writeSafetensors(tensors));
    const idx = await readSafetensorsIndex(nodeDirFiles(dir));
    expect([...idx.tensors.keys()].sort()).toEqual(['a', 'b', 'c']);
    const bad = new Uint8Array(64);
    new DataView(bad.buffer).setBigUint64(0, 16n, true);
    bad.set(new TextEncoder().encode('{not json at all'), 8);
    writeFileSync(join(dir, 'gptq_model-4bit-128g.safetensors'), bad);
    expect((await code(readSafetensorsIndex(nodeDirFiles(dir)))).code).toBe('MALFORMED_WEIGHTS');
    expect((await code(readSafetensorsIndex(nodeDirFiles(makeTempDir('st-'))))).code).toBe('MISSING_FILE');
  });
});

describe('safetensors: headers that describe the bytes twice', () => {
  it('two tensors over overlapping bytes are MALFORMED_WEIGHTS naming both', () => {
    const header = JSON.stringify({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] } });
    const n = new TextEncoder().encode(header).length;
    const bytes = new Uint8Array(8 + n + 24);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(n), true);
    bytes.set(new TextEncoder().encode(header), 8);
    let err: AppError | undefined;
    try {
      parseSafetensorsHeader(bytes);
    } catch (e) {
      err = e as AppError;
    }
    expect(err?.code).toBe('MALFORMED_WEIGHTS');
    expect(err?.message).toMatch(/tensors a \(bytes 0\.\.16\) and b \(bytes 8\.\.24\) overlap/);
    // Adjacent (and empty) tensors are fine.
    const ok = writeSafetensors([...tensors, { name: 'e', dtype: 'F32' as const, shape: [0], data: new Float32Array(0) }]);
    expect(parseSafetensorsHeader(ok).tensors.size).toBe(4);
  });

  it('a tensor in two un-indexed weight files is refused, naming both files, instead of taking the last', async () => {
    const dir = makeTempDir('st-');
    writeFileSync(join(dir, 'gptq_model-4bit-128g.safetensors'), writeSafetensors([tensors[0]]));
    writeFileSync(join(dir, 'zzz-old.safetensors'), writeSafetensors([{ ...tensors[0], data: Float32Array.from([9, 9, 9, 9, 9, 9]) }]));
    const e = await code(readSafetensorsIndex(nodeDirFiles(dir)));
    expect(e.code).toBe('MALFORMED_WEIGHTS');
    expect(e.message).toContain('Tensor a is in two weight files, gptq_model-4bit-128g.safetensors and zzz-old.safetensors');
  });
});
