// Model files that are there but wrong: an index or tokenizer.json holding `null`, and files of another format
// passed to convert-llama2c. Each gives its own code and a message with the next step, never INTERNAL.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { foreignFileKind } from '../../src/model/convert/file-kind';
import { readLlama2cCheckpoint } from '../../src/model/convert/llama2c-model';
import { readLlama2cTokenizer } from '../../src/model/convert/llama2c-tokenizer';
import { nodeDirFiles } from '../../src/model/node-files';
import { readSafetensorsIndex } from '../../src/model/safetensors';
import { loadTokenizer } from '../../src/model/tokenizer';
import { AppError } from '../../src/shared/errors';
import { makeTempDir } from '../temp-dir';
import { rejectionOf } from '../caught-error';

const stories = fileURLToPath(new URL('../../../shared/fixtures/models/stories260K/', import.meta.url));
const pdfs = fileURLToPath(new URL('../../../shared/fixtures/pdfs/', import.meta.url));
const have = existsSync(join(stories, 'stories260K.gguf')) && existsSync(join(pdfs, 'TAMReview.pdf'));
if (!have) console.warn(`skipping the foreign-file conversion tests: ${stories} or ${pdfs} is absent`);

function dirWith(files: Record<string, string>): string {
  const dir = makeTempDir('badmodel-');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('JSON model files that hold the wrong kind of value', () => {
  for (const [text, what] of [['null', 'null'], ['[1, 2]', 'a list'], ['7', 'a number'], ['{"weight_map": null}', 'an object without one']]) {
    it(`model.safetensors.index.json holding ${text} is MALFORMED_WEIGHTS`, async () => {
      const dir = dirWith({ 'model.safetensors.index.json': text });
      const err = await rejectionOf(() => readSafetensorsIndex(nodeDirFiles(dir)));
      expect(err).toBeInstanceOf(AppError);
      expect(err.code).toBe('MALFORMED_WEIGHTS');
      expect(err.message).toContain(what);
      expect(err.message).toMatch(/Download it again/);
    });
  }

  it('an index mapping a tensor to a non-string is MALFORMED_WEIGHTS', async () => {
    const dir = dirWith({ 'model.safetensors.index.json': '{"weight_map": {"a.weight": 3}}' });
    const err = await rejectionOf(() => readSafetensorsIndex(nodeDirFiles(dir)));
    expect(err.code).toBe('MALFORMED_WEIGHTS');
    expect(err.message).toMatch(/not a \.safetensors file name/);
  });

  for (const text of ['null', '[]', '"tokenizer"']) {
    it(`tokenizer.json holding ${text} is TOKENIZER_ERROR (not MISSING_FILE)`, async () => {
      const dir = dirWith({ 'tokenizer.json': text, 'config.json': '{}' });
      const err = await rejectionOf(() => loadTokenizer(nodeDirFiles(dir)));
      expect(err).toBeInstanceOf(AppError);
      expect(err.code).toBe('TOKENIZER_ERROR');
      expect(err.message).toMatch(/tokenizer\.json is there but holds .* instead of a JSON object\. Download it again/);
    });
  }

  it('a config.json holding null next to a good-looking tokenizer.json is TOKENIZER_ERROR naming config.json', async () => {
    const dir = dirWith({ 'tokenizer.json': '{}', 'config.json': 'null' });
    const err = await rejectionOf(() => loadTokenizer(nodeDirFiles(dir)));
    expect(err.code).toBe('TOKENIZER_ERROR');
    expect(err.message).toContain('config.json');
  });
});

describe.skipIf(!have)('convert-llama2c inputs of another format', () => {
  it('a GGUF as --model: says it is GGUF, and what to pass instead', async () => {
    const err = await rejectionOf(() => readLlama2cCheckpoint(readFileSync(join(stories, 'stories260K.gguf'))));
    expect(err.code).toBe('MALFORMED_WEIGHTS');
    expect(err.message).toMatch(/GGUF model file/);
    expect(err.message).toMatch(/safetensors \(or GPTQ\) release/);
    expect(err.message).toMatch(/pass the llama2\.c \.bin checkpoint .* as --model/);
  });

  it('a PDF or a GGUF as --tokenizer: TOKENIZER_ERROR saying what it is, not "truncated at token 0"', async () => {
    for (const [file, what] of [[join(pdfs, 'TAMReview.pdf'), 'a PDF document'], [join(stories, 'stories260K.gguf'), 'a GGUF model file']]) {
      const err = await rejectionOf(() => readLlama2cTokenizer(readFileSync(file), 512));
      expect(err.code, file).toBe('TOKENIZER_ERROR');
      expect(err.message).toContain(`The --tokenizer file is ${what}`);
      expect(err.message).toMatch(/Pass the llama2\.c tokenizer \.bin .* as --tokenizer/);
      expect(err.message).not.toMatch(/truncated/);
    }
  });

  it('the real llama2.c files are not mistaken for another format', () => {
    expect(foreignFileKind(readFileSync(join(stories, 'stories260K.bin')))).toBeNull();
    expect(foreignFileKind(readFileSync(join(stories, 'tok512.bin')))).toBeNull();
    // A llama2.c header whose first byte is 0x7b ('{', dim 123) is still not JSON.
    expect(foreignFileKind(new Uint8Array([0x7b, 0, 0, 0, 0x40, 0, 0, 0, 2, 0, 0, 0]))).toBeNull();
  });
});
