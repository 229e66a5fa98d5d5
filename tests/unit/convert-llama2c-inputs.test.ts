// convert-llama2c inputs that used to convert "successfully" into a folder the app then misreads or refuses, or
// that got a misleading error: each is refused up front with a coded error saying what to pass instead.
// Synthetic llama2.c files are built here; the tests with the real stories260K skip when it is absent.
import { chmodSync, existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inputReadError, readConverterInput, run as runConvert } from '../../src/cli/commands/convert-llama2c';
import { parseArgs } from '../../src/cli/args';
import { convertLlama2c, validateConvertOptions, type ConvertLlama2cOptions } from '../../src/model/convert/convert-llama2c';
import { readLlama2cCheckpoint } from '../../src/model/convert/llama2c-model';
import { readLlama2cTokenizer } from '../../src/model/convert/llama2c-tokenizer';
import { STALE_MODEL_METADATA_FILES, writeModelDir } from '../../src/model/convert/write-dir';
import { nodeDirFiles } from '../../src/model/node-files';
import { loadTokenizer } from '../../src/model/tokenizer';
import { MODEL_METADATA_FILES } from '../../src/store/discover';
import { AppError } from '../../src/shared/errors';
import { rejectionOf, thrownBy } from '../caught-error';
import { makeTempDir } from '../temp-dir';

const stories = new URL('../../../shared/fixtures/models/stories260K/', import.meta.url).pathname;
const have = existsSync(join(stories, 'stories260K.bin')) && existsSync(join(stories, 'tok512.bin'));
if (!have) console.warn(`skipping the stories260K convert-llama2c input tests: ${stories} is absent`);

const base: ConvertLlama2cOptions = { dtype: 'f32', quantize: 'none', bits: 4, groupSize: 32, sym: false, actOrder: false, format: 'v1', shards: 1 };

/** A llama2.c legacy checkpoint (shared classifier) with small random weights. */
function checkpoint(h: { dim: number; hidden: number; layers: number; heads: number; kvHeads: number; vocab: number; seq: number }): Uint8Array {
  const headDim = h.dim / h.heads;
  const kvDim = h.kvHeads * headDim;
  const { dim, hidden: F, layers: L, vocab: V, seq } = h;
  const floats = V * dim + L * dim * 2 + L * dim * dim * 2 + L * kvDim * dim * 2 + L * F * dim * 3 + dim + seq * headDim;
  const out = new Uint8Array(28 + Math.ceil(floats) * 4);
  const dv = new DataView(out.buffer);
  [dim, F, L, h.heads, h.kvHeads, V, seq].forEach((x, i) => dv.setInt32(i * 4, x, true));
  let s = 1;
  for (let i = 0; i < Math.ceil(floats); i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    dv.setFloat32(28 + i * 4, (s / 2 ** 32 - 0.5) * 0.2, true);
  }
  return out;
}

/** A llama2.c tokenizer.bin with `n` tokens: <unk>, <s>, </s>, then single letters / "t<i>". */
function tokenizer(n: number): Uint8Array {
  const parts: number[] = [];
  const i32 = (x: number) => parts.push(...new Uint8Array(new Int32Array([x]).buffer));
  const f32 = (x: number) => parts.push(...new Uint8Array(new Float32Array([x]).buffer));
  i32(8);
  for (let i = 0; i < n; i++) {
    const text = i === 0 ? '<unk>' : i === 1 ? '\n<s>\n' : i === 2 ? '\n</s>\n' : `t${i}`;
    const b = new TextEncoder().encode(text);
    f32(-i);
    i32(b.length);
    parts.push(...b);
  }
  return new Uint8Array(parts);
}

const TINY = { dim: 16, hidden: 24, layers: 1, heads: 2, kvHeads: 2, vocab: 16, seq: 8 };

describe('finding 1: converting into a folder that held another model', () => {
  it('removes the earlier model’s chat template and other metadata files the new model does not have', async () => {
    const dir = makeTempDir('c2i-');
    for (const name of ['chat_template.jinja', 'chat_template.json', 'special_tokens_map.json', 'added_tokens.json', 'tokenizer.model', 'generation_config.json']) {
      writeFileSync(join(dir, name), name.endsWith('.json') ? '{"chat_template": "{{ messages }}"}' : 'old');
    }
    writeFileSync(join(dir, 'NOTES.txt'), 'mine');
    await writeModelDir(dir, new Map([['config.json', new TextEncoder().encode('{}')], ['model.safetensors', new Uint8Array(8)]]));
    expect(readdirSync(dir).sort()).toEqual(['NOTES.txt', 'config.json', 'model.safetensors']);
  });

  it('every metadata file the app downloads for a model is one the writer removes when it does not write it', () => {
    for (const name of MODEL_METADATA_FILES) expect(STALE_MODEL_METADATA_FILES, name).toContain(name);
  });

  it.skipIf(!have)('stories260K converted over a Qwen folder does not use the Qwen chat template', async () => {
    const dir = makeTempDir('c2i-');
    writeFileSync(join(dir, 'chat_template.jinja'), "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}<|im_start|>assistant\n");
    const files = await convertLlama2c(readFileSync(join(stories, 'stories260K.bin')), readFileSync(join(stories, 'tok512.bin')), base);
    await writeModelDir(dir, files);
    const tok = await loadTokenizer(nodeDirFiles(dir));
    expect(tok.hasChatTemplate).toBe(false);
    expect(tok.chatTemplateSource).not.toBe('repo');
    expect(existsSync(join(dir, 'chat_template.jinja'))).toBe(false);
  });
});

describe('finding 2: options and header are checked before any quantisation', () => {
  for (const groupSize of [12, 4, 100]) {
    it(`--group-size ${groupSize} (not a multiple of 8) is BAD_ARGUMENT before quantising`, async () => {
      const progress: string[] = [];
      const err = await rejectionOf(
        convertLlama2c(checkpoint(TINY), tokenizer(16), { ...base, quantize: 'gptq', groupSize, calibration: { count: 1, length: 4, seed: 1 }, onProgress: (m) => progress.push(m) }),
      );
      expect(err).toBeInstanceOf(AppError);
      expect(err.code).toBe('BAD_ARGUMENT');
      expect(err.message).toContain(`--group-size ${groupSize}`);
      expect(err.message).toMatch(/multiple of 8/);
      expect(err.message).toMatch(/128|-1/);
      expect(progress).toEqual([]);
    });
  }

  it('the CLI checks --group-size before it reads the (possibly large) inputs', async () => {
    const dir = makeTempDir('c2i-');
    const err = await rejectionOf(runConvert(parseArgs(['--model', join(dir, 'absent.bin'), '--tokenizer', join(dir, 'tok.bin'), '--out', join(dir, 'out'), '--quantize', 'gptq', '--group-size', '12'])));
    expect(err.code).toBe('BAD_ARGUMENT');
    expect(err.message).toMatch(/--group-size 12 .*Pass --group-size 8 or 16/);
  });

  it('group sizes the loader takes are still accepted', () => {
    for (const groupSize of [-1, 8, 32, 40, 128, 200]) expect(() => validateConvertOptions({ ...base, quantize: 'rtn', groupSize })).not.toThrow();
  });

  it('a header with an odd head size (dim/n_heads = 3) is UNSUPPORTED_MODEL naming it, not a later MALFORMED_CONFIG', async () => {
    const odd = checkpoint({ ...TINY, dim: 24, heads: 8, kvHeads: 8 });
    const err = thrownBy(() => readLlama2cCheckpoint(odd));
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('UNSUPPORTED_MODEL');
    expect(err.message).toMatch(/head size of 3 \(dim 24 \/ n_heads 8\)/);
    expect(err.message).toMatch(/even/);
    const viaConvert = await rejectionOf(convertLlama2c(odd, tokenizer(16), { ...base, quantize: 'rtn' }));
    expect(viaConvert.code).toBe('UNSUPPORTED_MODEL');
  });

  it('a quantised model whose key/value width is not a multiple of 8 is UNSUPPORTED_QUANTIZATION before quantising', async () => {
    // dim 48, 12 heads of 4, 3 kv heads: k/v projections have 12 outputs, which GPTQ cannot pack.
    const progress: string[] = [];
    const model = checkpoint({ ...TINY, dim: 48, heads: 12, kvHeads: 3 });
    const err = await rejectionOf(convertLlama2c(model, tokenizer(16), { ...base, quantize: 'rtn', groupSize: 16, onProgress: (m) => progress.push(m) }));
    expect(err.code).toBe('UNSUPPORTED_QUANTIZATION');
    expect(err.message).toMatch(/12 outputs/);
    expect(err.message).toMatch(/--quantize none/);
    expect(progress).toEqual([]);
    // Unquantised, the same model converts.
    await convertLlama2c(model, tokenizer(16), base);
  });
});

describe('finding 3: a tokenizer with more tokens than the model’s vocabulary', () => {
  it('is TOKENIZER_ERROR saying how many tokens it has', () => {
    const err = thrownBy(() => readLlama2cTokenizer(tokenizer(40), 16));
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('TOKENIZER_ERROR');
    expect(err.message).toMatch(/40 tokens/);
    expect(err.message).toMatch(/vocabulary of 16/);
    expect(err.message).toMatch(/tokenizer the model was trained with/);
  });

  it('bytes after the last token that are not whole tokens are TOKENIZER_ERROR too', () => {
    const bytes = new Uint8Array([...tokenizer(16), 1, 2, 3]);
    const err = thrownBy(() => readLlama2cTokenizer(bytes, 16));
    expect(err.code).toBe('TOKENIZER_ERROR');
    expect(err.message).toMatch(/3 bytes/);
  });

  it('an exact-size tokenizer is accepted', () => {
    expect(readLlama2cTokenizer(tokenizer(16), 16).pieces).toHaveLength(16);
  });

  it.skipIf(!have)('tok512.bin for a 256-token model is refused', () => {
    const err = thrownBy(() => readLlama2cTokenizer(readFileSync(join(stories, 'tok512.bin')), 256));
    expect(err.code).toBe('TOKENIZER_ERROR');
    expect(err.message).toMatch(/512 tokens/);
  });
});

describe('finding 4: a model file that cannot be read', () => {
  it('absent: MISSING_FILE', async () => {
    const err = await rejectionOf(readConverterInput('/nonexistent/pdfchat/m.bin', 'Model file'));
    expect(err.code).toBe('MISSING_FILE');
    expect(err.message).toMatch(/does not exist/);
  });

  it('over 2 GiB (a sparse file): UNSUPPORTED_MODEL naming the limit, not MISSING_FILE', async () => {
    const dir = makeTempDir('c2i-');
    const big = join(dir, 'llama2_7b.bin');
    writeFileSync(big, '');
    truncateSync(big, 2 ** 31 + 4096);
    const err = await rejectionOf(runConvert(parseArgs(['--model', big, '--tokenizer', join(dir, 'tok.bin'), '--out', join(dir, 'out')])));
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('UNSUPPORTED_MODEL');
    expect(err.message).toMatch(/2 GiB/);
    expect(err.message).toMatch(/7B/);
    expect(err.message).not.toMatch(/Check the path/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it.skipIf(process.getuid?.() === 0)('unreadable (permission): BAD_ARGUMENT saying so', async () => {
    const dir = makeTempDir('c2i-');
    const f = join(dir, 'm.bin');
    writeFileSync(f, 'x');
    chmodSync(f, 0o000);
    const err = await rejectionOf(readConverterInput(f, 'Model file'));
    chmodSync(f, 0o600);
    expect(err.code).toBe('BAD_ARGUMENT');
    expect(err.message).toMatch(/permission/i);
  });

  it('a permission error (as the read reports it) is BAD_ARGUMENT saying so, also when running as root', async () => {
    const e = Object.assign(new Error("EACCES: permission denied, open '/x/m.bin'"), { code: 'EACCES' });
    const err = await inputReadError('/x/m.bin', 'Model file', e);
    expect(err.code).toBe('BAD_ARGUMENT');
    expect(err.message).toMatch(/permission denied.*chmod/);
  });

  it('a folder: BAD_ARGUMENT saying it is a folder', async () => {
    const err = await rejectionOf(readConverterInput(makeTempDir('c2i-'), 'Model file'));
    expect(err.code).toBe('BAD_ARGUMENT');
    expect(err.message).toMatch(/folder/);
  });
});

describe('finding 5: a llama2.c version 1/2 export', () => {
  for (const version of [1, 2]) {
    it(`version ${version} ('ak42' magic) is named as such, with the re-export to do`, () => {
      const bytes = new Uint8Array(256 + 64);
      const dv = new DataView(bytes.buffer);
      dv.setUint32(0, 0x616b3432, true);
      dv.setInt32(4, version, true);
      [288, 768, 6, 6, 6, 32000, 256].forEach((x, i) => dv.setInt32(8 + i * 4, x, true));
      const err = thrownBy(() => readLlama2cCheckpoint(bytes));
      expect(err).toBeInstanceOf(AppError);
      expect(err.code).toBe('MALFORMED_WEIGHTS');
      expect(err.message).toContain(`llama2.c version-${version} export`);
      expect(err.message).toMatch(/--version 0/);
      expect(err.message).not.toMatch(/This is not a llama2\.c checkpoint/);
    });
  }
});
