// `convert-llama2c --model M.bin --tokenizer T.bin --out DIR [--dtype f32|f16] [--quantize none|rtn|gptq]
//  [--bits 4] [--group-size N] [--sym] [--act-order] [--format v1|v2] [--shards N]`
// Writes a Hugging Face model directory and prints one JSON line describing it.
import { promises as fs } from 'node:fs';
import { AppError } from '../../shared/errors';
import { convertLlama2c, type ConvertLlama2cOptions } from '../../model/convert/convert-llama2c';
import { writeModelDir } from '../../model/convert/write-dir';
import { checkArgs, type CliArgs, type CommandSpec } from '../args';

export const CONVERT_LLAMA2C_SPEC: CommandSpec = {
  command: 'convert-llama2c',
  flags: {
    model: { kind: 'string', required: true },
    tokenizer: { kind: 'string', required: true },
    out: { kind: 'string', required: true },
    dtype: { kind: 'string', choices: ['f32', 'f16'] },
    quantize: { kind: 'string', choices: ['none', 'rtn', 'gptq'] },
    bits: { kind: 'integer' }, // only 4 is supported: anything else is UNSUPPORTED_QUANTIZATION below
    'group-size': { kind: 'integer', min: -1 }, // -1: one group per column; 0 is refused by convertLlama2c
    sym: { kind: 'boolean' },
    'act-order': { kind: 'boolean' },
    format: { kind: 'string', choices: ['v1', 'v2'] },
    shards: { kind: 'integer', min: 1 },
  },
};

async function readInput(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await fs.readFile(path));
  } catch {
    throw new AppError('MISSING_FILE', `${what} ${path} cannot be read. Check the path.`);
  }
}

function choice<T extends string>(args: CliArgs, name: string, allowed: readonly T[], fallback: T): T {
  const v = args.get(name) ?? fallback;
  if (!(allowed as readonly string[]).includes(v)) throw new AppError('BAD_ARGUMENT', `--${name} must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)}).`);
  return v as T;
}

export async function run(given: CliArgs): Promise<void> {
  const args = checkArgs(given, CONVERT_LLAMA2C_SPEC);
  const out = args.require('out');
  const opts: ConvertLlama2cOptions = {
    dtype: choice(args, 'dtype', ['f32', 'f16'] as const, 'f32'),
    quantize: choice(args, 'quantize', ['none', 'rtn', 'gptq'] as const, 'none'),
    bits: args.number('bits', 4),
    groupSize: args.number('group-size', 128),
    sym: args.has('sym'),
    actOrder: args.has('act-order'),
    format: choice(args, 'format', ['v1', 'v2'] as const, 'v1'),
    shards: args.number('shards', 1),
    onProgress: (m) => process.stderr.write(m + '\n'),
  };
  if (opts.bits !== 4) throw new AppError('UNSUPPORTED_QUANTIZATION', `--bits ${opts.bits} is not supported; only 4-bit GPTQ is. Use --bits 4.`);
  const model = await readInput(args.require('model'), 'Model file');
  const tokenizer = await readInput(args.require('tokenizer'), 'Tokenizer file');
  const started = Date.now();
  const files = await convertLlama2c(model, tokenizer, opts);
  await writeModelDir(out, files);
  const { onProgress: _drop, ...shown } = opts;
  process.stdout.write(JSON.stringify({ out, files: [...files.keys()].sort(), ...shown, seconds: (Date.now() - started) / 1000 }) + '\n');
}
