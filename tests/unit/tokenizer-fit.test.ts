// A tokenizer with ids past the embedding (config vocab_size) is refused at load with TOKENIZER_ERROR, before
// any GPU work: such ids would be read out of bounds on the GPU and give silently wrong text.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { convertLlama2c } from '../../src/model/convert/convert-llama2c';
import { writeModelDir } from '../../src/model/convert/write-dir';
import { LlamaEngine } from '../../src/model/engine';
import { nodeDirFiles } from '../../src/model/node-files';
import { openCheckpoint } from '../../src/model/checkpoint';
import { loadTokenizer } from '../../src/model/tokenizer';
import { checkTokenizerFitsWeights } from '../../src/model/tokenizer-fit';
import { AppError } from '../../src/shared/errors';
import { makeTempDir } from '../temp-dir';

const stories = fileURLToPath(new URL('../../../shared/fixtures/models/stories260K/', import.meta.url));
const have = existsSync(join(stories, 'stories260K.bin'));
if (!have) console.warn(`skipping tokenizer-fit tests: ${stories} is absent`);

async function storiesDir(): Promise<string> {
  const dir = makeTempDir('tokfit-');
  const files = await convertLlama2c(readFileSync(join(stories, 'stories260K.bin')), readFileSync(join(stories, 'tok512.bin')), {
    dtype: 'f32', quantize: 'none', bits: 4, groupSize: 32, sym: false, actOrder: false, format: 'v1', shards: 1,
  });
  await writeModelDir(dir, files);
  return dir;
}

/** Adds a special token with id `id` to tokenizer.json (as a tokenizer of a bigger vocabulary has). */
function addTokenTo(dir: string, id: number): void {
  const path = join(dir, 'tokenizer.json');
  const tj = JSON.parse(readFileSync(path, 'utf8'));
  tj.added_tokens.push({ id, content: '<|extra|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  tj.model.vocab['<|extra|>'] = id;
  writeFileSync(path, JSON.stringify(tj));
}

describe.skipIf(!have)('tokenizer vs config vocab_size', () => {
  it('the matching stories260K tokenizer fits (max id 511 < vocab_size 512)', async () => {
    const dir = await storiesDir();
    const tok = await loadTokenizer(nodeDirFiles(dir));
    const cfg = (await openCheckpoint(nodeDirFiles(dir))).config;
    expect(tok.maxTokenId).toBe(511);
    expect(cfg.vocabSize).toBe(512);
    expect(() => checkTokenizerFitsWeights(tok, cfg)).not.toThrow();
    expect(() => checkTokenizerFitsWeights(tok, { vocabSize: 511 })).toThrow(/token id 511, but config\.json's vocab_size is 511/);
    // Without a GPU, the load of a fitting model gets past the check and stops at the GPU.
    const err = await new LlamaEngine(undefined).load(nodeDirFiles(dir), { tune: false }).catch((e) => AppError.from(e));
    expect((err as AppError).code).toBe('NO_WEBGPU');
  });

  it('an id at vocab_size is refused by LlamaEngine.load with TOKENIZER_ERROR, before the GPU is asked for', async () => {
    const dir = await storiesDir();
    addTokenTo(dir, 512);
    const tok = await loadTokenizer(nodeDirFiles(dir));
    expect(tok.maxTokenId).toBe(512);
    // No GPU is given: a load that got past the check would fail with NO_WEBGPU instead.
    let err: AppError | undefined;
    try {
      await new LlamaEngine(undefined).load(nodeDirFiles(dir), { tune: false });
    } catch (e) {
      err = AppError.from(e);
    }
    expect(err?.code).toBe('TOKENIZER_ERROR');
    expect(err?.message).toMatch(/^The tokenizer does not match the weights: it has token id 512, but config\.json's vocab_size is 512/);
    expect(err?.message).toMatch(/download this model's tokenizer\.json .* again, or pick another model/);
  });
});
