// `convert-llama2c --model M.bin --tokenizer T.bin --out DIR [--dtype f32|f16] [--quantize none|rtn|gptq]
//  [--bits 4] [--group-size N] [--sym] [--act-order] [--format v1|v2] [--shards N]`
// Writes a Hugging Face model directory and prints one JSON line describing it.
import { promises as fs } from 'node:fs';
import { AppError } from '../../shared/errors';
import { convertLlama2c, validateConvertOptions, type ConvertLlama2cOptions } from '../../model/convert/convert-llama2c';
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

/** Largest file fs.readFile reads whole (2 GiB − 1); bigger ones fail with ERR_FS_FILE_TOO_LARGE. */
const READ_LIMIT = 2 ** 31 - 1;

/** The whole file, or a coded error that says why it cannot be read and what to do. */
export async function readConverterInput(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await fs.readFile(path));
  } catch (e) {
    throw await inputReadError(path, what, e);
  }
}

/** The coded error for a failed read of `path` (exported for tests: a permission error cannot be made as root). */
export async function inputReadError(path: string, what: string, e: unknown): Promise<AppError> {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new AppError('MISSING_FILE', `${what} ${path} does not exist. Check the path.`, { path });
  if (code === 'ERR_FS_FILE_TOO_LARGE' || code === 'ERR_STRING_TOO_LONG' || code === 'ERR_BUFFER_TOO_LARGE') {
    const size = await fs.stat(path).then((st) => st.size, () => undefined);
    const gib = size === undefined ? '' : ` (${(size / 2 ** 30).toFixed(1)} GiB)`;
    return new AppError(
      'UNSUPPORTED_MODEL',
      `${what} ${path} is too large${gib}: convert-llama2c reads files of up to 2 GiB, which is far more than the small llama2.c models it is for (stories260K … stories110M). Bigger exports, such as llama2.c's Llama 2 7B export (about 25 GiB), are not supported by this converter; use the model's Hugging Face safetensors or GPTQ release instead.`,
      { path, ...(size !== undefined ? { size } : {}), limit: READ_LIMIT },
    );
  }
  if (code === 'EACCES' || code === 'EPERM') return new AppError('BAD_ARGUMENT', `${what} ${path} cannot be read: permission denied. Make it readable for this user (chmod), or pass a copy you can read.`, { path, fsCode: code });
  if (code === 'EISDIR') return new AppError('BAD_ARGUMENT', `${what} ${path} is a folder, not a file. Pass the llama2.c .bin file itself.`, { path });
  const msg = e instanceof Error ? e.message : String(e);
  return new AppError('BAD_ARGUMENT', `${what} ${path} cannot be read (${code ? `${code}: ` : ''}${msg}). Check the path and that the file is readable.`, { path, ...(code ? { fsCode: code } : {}) });
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
  // Every option is checked before the (possibly large) inputs are read.
  validateConvertOptions(opts);
  const model = await readConverterInput(args.require('model'), 'Model file');
  const tokenizer = await readConverterInput(args.require('tokenizer'), 'Tokenizer file');
  const started = Date.now();
  const files = await convertLlama2c(model, tokenizer, opts);
  await writeModelDir(out, files);
  const { onProgress: _drop, ...shown } = opts;
  process.stdout.write(JSON.stringify({ out, files: [...files.keys()].sort(), ...shown, seconds: (Date.now() - started) / 1000 }) + '\n');
}
