// The CLI flag parser with per-command specs (src/cli/args.ts), and each command's spec as the commands define
// it: unknown flags, value flags without a value, bad numbers, missing required flags; every flag README.md
// documents is accepted.
import { describe, expect, it } from 'vitest';
import { checkArgs, editDistance, parseArgs, type CommandSpec } from '../../src/cli/args';
import { AppError } from '../../src/shared/errors';
import { ASK_SPEC, pdfArgs } from '../../src/cli/commands/ask';
import { BENCH_PEER_SPEC, BENCH_SPEC } from '../../src/cli/commands/bench';
import { CONVERT_LLAMA2C_SPEC } from '../../src/cli/commands/convert-llama2c';
import { EXTRACT_SPEC } from '../../src/cli/commands/extract';
import { GENERATE_SPEC } from '../../src/cli/commands/generate';
import { LOGITS_SPEC, parseTokenIds } from '../../src/cli/commands/logits';

const SPEC: CommandSpec = {
  command: 'demo',
  flags: {
    model: { kind: 'string', required: true },
    pdf: { kind: 'string', repeat: true },
    precision: { kind: 'string', choices: ['f16', 'f32'] },
    raw: { kind: 'boolean' },
    'max-tokens': { kind: 'integer', min: 1 },
    temperature: { kind: 'number', min: 0 },
    'top-p': { kind: 'number', min: 0, max: 1, exclusiveMin: true },
  },
};

const check = (argv: string[], spec: CommandSpec = SPEC) => checkArgs(parseArgs(argv), spec);

function fails(argv: string[], spec: CommandSpec = SPEC): AppError {
  try {
    check(argv, spec);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('BAD_ARGUMENT');
    return e as AppError;
  }
  throw new Error(`accepted ${argv.join(' ')}`);
}

describe('checkArgs', () => {
  it('reads values, --name=value, booleans, repeated flags in order, and numbers', () => {
    const a = check(['--model', 'm', '--pdf', 'a.pdf', '--raw', '--pdf=b.pdf', '--max-tokens', '3', '--temperature', '0.5', '--top-p', '1']);
    expect(a.get('model')).toBe('m');
    expect(a.all('pdf')).toEqual(['a.pdf', 'b.pdf']);
    expect(a.has('raw')).toBe(true);
    expect(a.number('max-tokens', 256)).toBe(3);
    expect(a.number('temperature', 0)).toBe(0.5);
    expect(a.number('top-p', 1)).toBe(1);
    expect(a.entries()).toEqual([['model', 'm'], ['pdf', 'a.pdf'], ['raw', 'true'], ['pdf', 'b.pdf'], ['max-tokens', '3'], ['temperature', '0.5'], ['top-p', '1']]);
    expect(a.has('precision')).toBe(false);
  });

  it('takes a negative number as a value (and then checks its range)', () => {
    expect(check(['--model', 'm', '--temperature', '-0']).number('temperature', 1)).toBe(-0);
    expect(fails(['--model', 'm', '--temperature', '-2']).message).toBe('--temperature must be a number ≥ 0, got -2.');
  });

  it('reads a boolean given as true/false, and false as absent', () => {
    expect(check(['--model', 'm', '--raw', 'false']).has('raw')).toBe(false);
    expect(check(['--model', 'm', '--raw=false']).has('raw')).toBe(false);
    expect(check(['--model', 'm', '--raw', 'true']).has('raw')).toBe(true);
    expect(fails(['--model', 'm', '--raw=yes']).message).toMatch(/--raw takes no value/);
    expect(fails(['--model', 'm', '--raw', 'yes']).message).toMatch(/Unexpected argument "yes"/);
  });

  it('rejects an unknown flag, suggesting the nearest known one', () => {
    expect(fails(['--model', 'm', '--max-token', '3']).message).toBe('Unknown flag --max-token for demo; did you mean --max-tokens?');
    expect(fails(['--model', 'm', '--temprature', '1']).message).toMatch(/did you mean --temperature\?/);
    expect(fails(['--model', 'm', '--max', '3']).message).toMatch(/did you mean --max-tokens\?/);
    const far = fails(['--model', 'm', '--zzzzzz']).message;
    expect(far).toMatch(/^Unknown flag --zzzzzz for demo; its flags are --model, --pdf, /);
    expect(fails(['--model', 'm', '--constructor', 'x']).message).toMatch(/Unknown flag --constructor/);
  });

  it('rejects a value flag without a value, or with an empty one', () => {
    expect(fails(['--model']).message).toBe('--model needs a value: --model <value>.');
    expect(fails(['--model', '--raw']).message).toBe('--model needs a value: --model <value>.');
    expect(fails(['--model', '']).message).toMatch(/--model needs a value/);
    expect(fails(['--model=']).message).toMatch(/--model needs a value/);
    expect(fails(['--model', 'm', '--max-tokens']).message).toBe('--max-tokens needs a value: --max-tokens <N>.');
  });

  it('rejects numbers that are not numbers, not whole, or out of range', () => {
    expect(fails(['--model', 'm', '--max-tokens', '2.5']).message).toBe('--max-tokens must be a whole number ≥ 1, got "2.5".');
    expect(fails(['--model', 'm', '--max-tokens', '0']).message).toBe('--max-tokens must be a whole number ≥ 1, got 0.');
    expect(fails(['--model', 'm', '--max-tokens', '-5']).message).toMatch(/≥ 1, got -5/);
    expect(fails(['--model', 'm', '--max-tokens', '0x10']).message).toMatch(/got "0x10"/);
    expect(fails(['--model', 'm', '--max-tokens', '3k']).message).toMatch(/got "3k"/);
    expect(fails(['--model', 'm', '--temperature', 'hot']).message).toMatch(/--temperature must be a number ≥ 0, got "hot"/);
    expect(fails(['--model', 'm', '--temperature', 'Infinity']).message).toMatch(/got "Infinity"/);
    expect(fails(['--model', 'm', '--top-p', '0']).message).toBe('--top-p must be a number in (0, 1], got 0.');
    expect(fails(['--model', 'm', '--top-p', '1.5']).message).toMatch(/in \(0, 1\], got 1.5/);
    expect(check(['--model', 'm', '--top-p', '.9', '--temperature', '1e-1']).number('temperature', 0)).toBe(0.1);
  });

  it('rejects a missing required flag, a single flag given twice, a value outside its set, and a stray word', () => {
    expect(fails([]).message).toBe('Missing --model <value> for demo.');
    expect(fails(['--model', 'a', '--model', 'b']).message).toBe('--model is given more than once for demo; give it once.');
    expect(fails(['--model', 'm', '--precision', 'f8']).message).toBe('--precision must be one of f16, f32 (got "f8").');
    expect(fails(['--model', 'm', 'extra']).message).toMatch(/Unexpected argument "extra"/);
  });

  it('editDistance counts single-character edits', () => {
    expect(editDistance('max-token', 'max-tokens')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });
});

describe('command specs', () => {
  // Every command line README.md's "Command line" section shows, with each optional flag given.
  const documented: [CommandSpec, string[]][] = [
    [CONVERT_LLAMA2C_SPEC, ['--model', 's.bin', '--tokenizer', 't.bin', '--out', '/tmp/x', '--dtype', 'f16', '--quantize', 'gptq', '--bits', '4', '--group-size', '-1', '--sym', '--act-order', '--format', 'v2', '--shards', '2']],
    [GENERATE_SPEC, ['--model', 'd', '--prompt', 'Once upon a time', '--raw', '--temperature', '0', '--max-tokens', '200', '--stats', '--top-k', '40', '--top-p', '0.9', '--repetition-penalty', '1.1', '--seed', '7', '--precision', 'f32', '--context', '512', '--no-tune']],
    [LOGITS_SPEC, ['--model', 'd', '--tokens', '1,403,407', '--precision', 'f16']],
    [BENCH_SPEC, ['--model', 'synthetic:tinyllama-1.1b', '--profile', '--prompt-tokens', '64', '--gen-tokens', '8', '--no-tune', '--tune-cache', '/tmp/t.json', '--tune-budget-ms', '4000', '--lockstep', '--no-fuse', '--tune-min-layer-bytes', '0', '--precision', 'f32']],
    [BENCH_PEER_SPEC, ['--model', 'synthetic:tiny-test', '--peer', 'llama.cpp', '--peer-backend', 'cpu', '--prompt-tokens', '12', '--gen-tokens', '4', '--peer-runs', '2', '--check-tokens', '10', '--peer-threads', '1', '--peer-gguf', '/tmp/p.gguf', '--peer-tolerance', '0.1', '--no-tune', '--tune-cache', '/tmp/t.json']],
    [EXTRACT_SPEC, ['--pdf', 'file.pdf', '--password', 'PW', '--ocr', '--ocr-lang', 'eng+chi_sim']],
    [ASK_SPEC, ['--pdf', 'a.pdf', '--pdf', 'b.pdf', '--password', 'pw', '--question', 'q1', '--question', 'follow-up', '--top-k', '5', '--json', '--show-prompt', '--model', '/tmp/s260', '--max-tokens', '8', '--temperature', '0.7', '--precision', 'f16', '--context', '1024', '--rewrite', '--no-tune']],
  ];
  it.each(documented)('$command accepts its documented flags', (spec, argv) => {
    const a = check(argv, spec);
    for (const [name] of a.entries()) expect(spec.flags[name]).toBeDefined();
    expect(a.entries().length).toBeGreaterThan(0);
  });

  it('generate: the typo, nonsense numbers and a missing prompt are refused before anything loads', () => {
    const base = ['--model', 'd', '--prompt', 'Once upon a time'];
    expect(fails([...base, '--raw', '--max-token', '3', '--stats'], GENERATE_SPEC).message).toBe('Unknown flag --max-token for generate; did you mean --max-tokens?');
    expect(fails([...base, '--max-tokens', '-5', '--temperature', '-2'], GENERATE_SPEC).message).toMatch(/--max-tokens must be a whole number ≥ 1, got -5/);
    expect(fails([...base, '--temperature', '-2'], GENERATE_SPEC).message).toMatch(/--temperature must be a number ≥ 0/);
    expect(fails([...base, '--context', '0'], GENERATE_SPEC).message).toMatch(/--context must be a whole number ≥ 1, got 0/);
    expect(fails([...base, '--context', '2.5'], GENERATE_SPEC).message).toMatch(/--context must be a whole number/);
    expect(fails([...base, '--top-p', '0'], GENERATE_SPEC).message).toMatch(/--top-p/);
    expect(fails([...base, '--repetition-penalty', '0'], GENERATE_SPEC).message).toMatch(/--repetition-penalty must be a number > 0/);
    expect(fails([...base, '--precision', 'f8'], GENERATE_SPEC).message).toMatch(/--precision must be one of auto, f16, f32/);
    expect(fails(['--model', 'd'], GENERATE_SPEC).message).toBe('Missing --prompt <value> for generate.');
  });

  it('extract and bench --peer: a value flag without its value', () => {
    expect(fails(['--pdf', 'f.pdf', '--password'], EXTRACT_SPEC).message).toBe('--password needs a value: --password <value>.');
    expect(fails(['--model', 'synthetic:tiny-test', '--peer', 'llama.cpp', '--peer-gguf'], BENCH_PEER_SPEC).message).toMatch(/^--peer-gguf needs a value/);
    expect(fails(['--model', 'synthetic:tiny-test', '--peer', 'llama.cpp', '--peer-backend', 'metal'], BENCH_PEER_SPEC).message).toMatch(/vulkan, cpu/);
    expect(check(['--pdf', 'f.pdf', '--ocr', 'false'], EXTRACT_SPEC).has('ocr')).toBe(false);
  });

  it('logits: token ids, with empty items and non-numbers refused', () => {
    expect(parseTokenIds('1,403, 407')).toEqual([1, 403, 407]);
    for (const bad of ['1,,403', '1,403,', ',1', '1,-2', '1,2.5', '1,x', ' ']) {
      expect(() => parseTokenIds(bad), bad).toThrow(/--tokens must be a comma-separated list of token ids/);
    }
    expect(fails(['--model', 'd', '--tokens', ''], LOGITS_SPEC).message).toMatch(/--tokens needs a value/);
  });

  it('ask: each --password belongs to the --pdf right before it', () => {
    const a = check(['--pdf', 'a.pdf', '--password', 'abc', '--pdf', 'b.pdf', '--question', 'q', '--pdf', 'c.pdf', '--password', 'x y'], ASK_SPEC);
    expect(pdfArgs(a)).toEqual([{ file: 'a.pdf', password: 'abc' }, { file: 'b.pdf' }, { file: 'c.pdf', password: 'x y' }]);
    const before = () => pdfArgs(check(['--password', 'abc', '--pdf', 'a.pdf', '--question', 'q'], ASK_SPEC));
    expect(before).toThrow(/--password applies to the --pdf right before it/);
    const twice = () => pdfArgs(check(['--pdf', 'a.pdf', '--password', 'p', '--password', 'q', '--question', 'q'], ASK_SPEC));
    expect(twice).toThrow(/a.pdf has two --password/);
    expect(fails(['--pdf', 'a.pdf', '--question', 'q', '--password'], ASK_SPEC).message).toMatch(/--password needs a value/);
    expect(fails(['--pdf', 'a.pdf'], ASK_SPEC).message).toBe('Missing --question <value> for ask.');
  });
});
