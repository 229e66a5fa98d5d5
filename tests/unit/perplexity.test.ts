// stories260K GPTQ 4-bit (asymmetric, group 32, act-order, v1) keeps perplexity within 8% of f32 on stories
// sampled from the f32 model (a different seed than the calibration stories) and beats RTN.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { convertLlama2c, DEFAULT_CALIBRATION, type ConvertLlama2cOptions } from '../../src/model/convert/convert-llama2c';
import { perplexity, sampleSequences } from '../../src/model/convert/sample';
import { writeModelDir } from '../../src/model/convert/write-dir';
import { nodeDirFiles } from '../../src/model/node-files';
import { ReferenceLlama } from '../../src/model/reference';
import { makeTempDir } from '../temp-dir';

const stories = fileURLToPath(new URL('../../../shared/fixtures/models/stories260K/', import.meta.url));
const have = existsSync(join(stories, 'stories260K.bin'));
if (!have) console.warn(`skipping stories260K perplexity test: ${stories} is absent`);

const EVAL_SEED = 20241128;

async function load(opts: Partial<ConvertLlama2cOptions>): Promise<ReferenceLlama> {
  const dir = makeTempDir('s260-ppl-');
  const files = await convertLlama2c(readFileSync(join(stories, 'stories260K.bin')), readFileSync(join(stories, 'tok512.bin')), {
    dtype: 'f32', quantize: 'none', bits: 4, groupSize: 32, sym: false, actOrder: true, format: 'v1', shards: 1, ...opts,
  });
  await writeModelDir(dir, files);
  return ReferenceLlama.load(nodeDirFiles(dir)); // through the written checkpoint (GPTQ dequantized by dequantGptq)
}

describe.skipIf(!have)('stories260K perplexity: f32 vs GPTQ vs RTN', () => {
  it('GPTQ asym g32 act-order v1 is within 8% of f32 and better than RTN', async () => {
    expect(EVAL_SEED).not.toBe(DEFAULT_CALIBRATION.seed); // held-out text, not the calibration stories
    const f32 = await load({});
    const evalSeqs = sampleSequences(f32, { count: 8, length: 256, seed: EVAL_SEED });
    const ppl = {
      f32: perplexity(f32, evalSeqs),
      gptq: perplexity(await load({ quantize: 'gptq' }), evalSeqs),
      rtn: perplexity(await load({ quantize: 'rtn' }), evalSeqs),
      rtnSym: perplexity(await load({ quantize: 'rtn', sym: true }), evalSeqs),
    };
    const ratio = (x: number) => (x / ppl.f32).toFixed(3);
    console.log(
      `perplexity on ${evalSeqs.length}×${evalSeqs[0].length} sampled tokens: f32 ${ppl.f32.toFixed(3)}, ` +
        `gptq ${ppl.gptq.toFixed(3)} (×${ratio(ppl.gptq)}), rtn asym ${ppl.rtn.toFixed(3)} (×${ratio(ppl.rtn)}), rtn sym ${ppl.rtnSym.toFixed(3)} (×${ratio(ppl.rtnSym)})`,
    );
    expect(ppl.f32).toBeGreaterThan(1.5); // sampled text is not trivially predictable
    expect(ppl.gptq).toBeLessThan(ppl.f32 * 1.08);
    expect(ppl.gptq).toBeLessThan(ppl.rtn);
    expect(ppl.rtn).toBeLessThan(ppl.rtnSym);
  }, 120_000);
});
