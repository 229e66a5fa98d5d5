// Builds model directories for the engine tests in os.tmpdir() (never committed): stories260K converted by
// the project's own converter, cached per test file and removed after its last test.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertLlama2c, type ConvertLlama2cOptions } from '../../src/model/convert/convert-llama2c';
import { writeModelDir } from '../../src/model/convert/write-dir';
import { makeTempDir } from '../temp-dir';

export const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures', import.meta.url));
export const STORIES = join(FIXTURES, 'models/stories260K');
export const haveStories = existsSync(join(STORIES, 'stories260K.bin'));
export const SKIP_STORIES = haveStories ? false : `stories260K fixture absent at ${STORIES}`;
if (!haveStories) console.warn(`skipping stories260K tests: fixture folder ${STORIES} is absent`);

const made = new Map<string, Promise<string>>();

export function convertedStories(opts: Partial<ConvertLlama2cOptions> = {}): Promise<string> {
  const o: ConvertLlama2cOptions = { dtype: 'f32', quantize: 'none', bits: 4, groupSize: 32, sym: false, actOrder: false, format: 'v1', shards: 1, ...opts };
  const key = JSON.stringify({ ...o, onProgress: undefined });
  let p = made.get(key);
  if (!p) {
    p = (async () => {
      const dir = makeTempDir('stories260k-', { scope: 'file' });
      const files = await convertLlama2c(readFileSync(join(STORIES, 'stories260K.bin')), readFileSync(join(STORIES, 'tok512.bin')), o);
      await writeModelDir(dir, files);
      return dir;
    })();
    made.set(key, p);
  }
  return p;
}

export function greedyReference(): string {
  return readFileSync(join(STORIES, 'greedy_once_upon_a_time.txt'), 'utf8');
}
