// llama2.c → HF conversion of the real stories260K: layout, padding, dtypes, shards, and behaviour (greedy text).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../src/model/checkpoint';
import { convertLlama2c, type ConvertLlama2cOptions } from '../../src/model/convert/convert-llama2c';
import { permuteInterleavedToHalf, readLlama2cCheckpoint } from '../../src/model/convert/llama2c-model';
import { writeModelDir } from '../../src/model/convert/write-dir';
import { nodeDirFiles } from '../../src/model/node-files';
import { ReferenceLlama } from '../../src/model/reference';
import { loadTokenizer } from '../../src/model/tokenizer';
import { makeTempDir } from '../temp-dir';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const stories = fileURLToPath(new URL('../../../shared/fixtures/models/stories260K/', import.meta.url));
const have = existsSync(join(stories, 'stories260K.bin'));
if (!have) console.warn(`skipping stories260K conversion tests: ${stories} is absent`);

const base: ConvertLlama2cOptions = { dtype: 'f32', quantize: 'none', bits: 4, groupSize: 32, sym: false, actOrder: false, format: 'v1', shards: 1 };

async function convertTo(opts: Partial<ConvertLlama2cOptions>): Promise<string> {
  const dir = makeTempDir('s260-');
  const files = await convertLlama2c(readFileSync(join(stories, 'stories260K.bin')), readFileSync(join(stories, 'tok512.bin')), { ...base, ...opts });
  await writeModelDir(dir, files);
  return dir;
}

function greedy(m: ReferenceLlama, prompt: number[], steps: number): number[] {
  m.reset();
  let logits: Float32Array = new Float32Array();
  prompt.forEach((t, i) => (logits = m.forward(t, i)));
  const out = [...prompt];
  for (let s = 0; s < steps; s++) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    out.push(best);
    logits = m.forward(best, out.length - 1);
  }
  return out;
}

describe('RoPE row permutation', () => {
  it('maps interleaved row 2i+h to HF row h*(d/2)+i within each head', () => {
    const heads = 2, d = 4, cols = 1;
    const w = Float32Array.from({ length: heads * d }, (_, r) => r);
    // head 0: rows [0,1,2,3] = pairs (0,1),(2,3) → HF [0,2,1,3]; head 1 likewise offset by 4.
    expect([...permuteInterleavedToHalf(w, heads, d, cols)]).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
  });
});

describe.skipIf(!have)('stories260K → HF', () => {
  let f32Dir: string;
  beforeAll(async () => {
    f32Dir = await convertTo({});
  });

  it('writes an HF Llama config: padded intermediate 176, tied embeddings, no lm_head', async () => {
    const cfg = JSON.parse(readFileSync(join(f32Dir, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 64, intermediate_size: 176, num_hidden_layers: 5, num_attention_heads: 8, num_key_value_heads: 4, vocab_size: 512, tie_word_embeddings: true });
    expect(cfg.quantization_config).toBeUndefined();
    const ck = await openCheckpoint(nodeDirFiles(f32Dir));
    expect(ck.has('lm_head.weight')).toBe(false);
    expect(ck.info('model.layers.0.mlp.gate_proj.weight').shape).toEqual([176, 64]);
    expect(ck.info('model.layers.0.mlp.down_proj.weight').shape).toEqual([64, 176]);
    const gate = await ck.readF32('model.layers.0.mlp.gate_proj.weight');
    const down = await ck.readF32('model.layers.0.mlp.down_proj.weight');
    expect(gate.subarray(172 * 64).every((v) => v === 0)).toBe(true); // zero rows
    for (let n = 0; n < 64; n++) for (let k = 172; k < 176; k++) expect(down[n * 176 + k]).toBe(0); // zero columns
    // The llama2.c q rows, permuted: HF row h*(d/2)+i <- row 2i+h (head 0, d = 8).
    const orig = readLlama2cCheckpoint(readFileSync(join(stories, 'stories260K.bin')));
    expect(orig.header).toMatchObject({ dim: 64, hiddenDim: 172, nLayers: 5, nHeads: 8, nKvHeads: 4, vocabSize: 512, sharedClassifier: true });
    const bin = new Float32Array(readFileSync(join(stories, 'stories260K.bin')).buffer.slice(28));
    const wqStart = 512 * 64 + 5 * 64; // after token embedding and rms_att
    const q = await ck.readF32('model.layers.0.self_attn.q_proj.weight');
    for (const [hfRow, srcRow] of [[0, 0], [1, 2], [4, 1], [5, 3], [8 + 3, 8 + 6]]) {
      expect([...q.subarray(hfRow * 64, hfRow * 64 + 64)]).toEqual([...bin.subarray(wqStart + srcRow * 64, wqStart + srcRow * 64 + 64)]);
    }
    const gen = JSON.parse(readFileSync(join(f32Dir, 'generation_config.json'), 'utf8'));
    expect(gen.eos_token_id).toBe(2);
    const tc = JSON.parse(readFileSync(join(f32Dir, 'tokenizer_config.json'), 'utf8'));
    expect(tc).toMatchObject({ bos_token: '<s>', eos_token: '</s>', add_bos_token: true });
  });

  it('greedy continuation of BOS + "Once upon a time" reproduces greedy_once_upon_a_time.txt', async () => {
    const files = nodeDirFiles(f32Dir);
    const m = await ReferenceLlama.load(files);
    const tok = await loadTokenizer(files);
    const prompt = tok.encode('Once upon a time', { addBos: true });
    const text = tok.decode(greedy(m, prompt, 200));
    const expected = readFileSync(join(stories, 'greedy_once_upon_a_time.txt'), 'utf8');
    expect(text.length).toBeGreaterThan(400); // 200 tokens ≈ 470 characters
    expect(expected.startsWith(text)).toBe(true);
  });

  it('f16 and sharded outputs load and stay close to f32', async () => {
    const f16Dir = await convertTo({ dtype: 'f16', shards: 3 });
    expect(existsSync(join(f16Dir, 'model-00003-of-00003.safetensors'))).toBe(true);
    const index = JSON.parse(readFileSync(join(f16Dir, 'model.safetensors.index.json'), 'utf8'));
    expect(new Set(Object.values(index.weight_map)).size).toBe(3);
    const ck = await openCheckpoint(nodeDirFiles(f16Dir));
    expect(ck.info('model.embed_tokens.weight').dtype).toBe('F16');
    expect(await ck.read("model.norm.weight")).toBeInstanceOf(Uint16Array);
    const a = await ReferenceLlama.load(nodeDirFiles(f32Dir));
    const b = await ReferenceLlama.load(nodeDirFiles(f16Dir));
    const toks = [1, 403, 407, 261, 378, 432];
    const la = a.logitsFor(toks);
    const lb = b.logitsFor(toks);
    let worst = 0;
    la.forEach((l, i) => l.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - lb[i][j])))));
    expect(worst).toBeGreaterThan(0); // really rounded
    expect(worst).toBeLessThan(0.1);
  });

  it('writes GPTQ tensors and quantization config for --quantize rtn --format v2', async () => {
    const dir = await convertTo({ quantize: 'rtn', groupSize: -1, sym: true, format: 'v2' });
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(cfg.quantization_config).toMatchObject({ quant_method: 'gptq', bits: 4, group_size: -1, sym: true, desc_act: false, checkpoint_format: 'gptq_v2' });
    expect(JSON.parse(readFileSync(join(dir, 'quantize_config.json'), 'utf8')).checkpoint_format).toBe('gptq_v2');
    const ck = await openCheckpoint(nodeDirFiles(dir));
    expect(ck.config.quant).toEqual({ method: 'gptq', bits: 4, groupSize: -1, descAct: false, sym: true, format: 'v2' });
    expect(ck.info('model.layers.0.mlp.down_proj.qweight')).toMatchObject({ dtype: 'I32', shape: [22, 64] });
    expect(ck.info('model.layers.0.mlp.down_proj.qzeros').shape).toEqual([1, 8]);
    expect(ck.info('model.layers.0.mlp.down_proj.scales')).toMatchObject({ dtype: 'F16', shape: [1, 64] });
    // symmetric v2 stores the zero 8 as is
    const qz = (await ck.read('model.layers.0.self_attn.q_proj.qzeros')) as Int32Array;
    expect([...qz].every((w) => w >>> 0 === 0x88888888)).toBe(true);
    expect(ck.has('model.layers.0.self_attn.q_proj.weight')).toBe(false);
  });

  it('CLI: converts, and rejects --bits 3 with UNSUPPORTED_QUANTIZATION as one JSON line (exit 2)', () => {
    const out = makeTempDir('s260-cli-');
    const cli = (args: string[]) =>
      execFileSync('node', ['--import', 'tsx', '--import', './scripts/raw-loader.mjs', 'src/cli/main.ts', 'convert-llama2c', '--model', join(stories, 'stories260K.bin'), '--tokenizer', join(stories, 'tok512.bin'), '--out', out, ...args], { cwd: repoRoot, encoding: 'utf8' });
    const ok = JSON.parse(cli(['--dtype', 'f16', '--shards', '2', '--group-size', '-1']).trim());
    expect(ok.files).toContain('model.safetensors.index.json');
    expect(existsSync(join(out, 'model-00002-of-00002.safetensors'))).toBe(true);
    let stdout = '';
    let status = 0;
    try {
      cli(['--quantize', 'gptq', '--bits', '3']);
    } catch (e) {
      stdout = (e as { stdout: string }).stdout;
      status = (e as { status: number }).status;
    }
    expect(status).toBe(2);
    const err = JSON.parse(stdout.trim());
    expect(err.error.code).toBe('UNSUPPORTED_QUANTIZATION');
    expect(err.error.message).toMatch(/only 4-bit/);
  });
});
