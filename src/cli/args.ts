// Flag parser: --name value, --name=value, --flag (boolean), repeated flags collect into arrays.
// parseArgs(argv) alone is lenient (any flag; a flag without a value reads "true"): main.ts and scripts use it
// to hand the raw flags to a command. Each command then checks them against its own spec with
// checkArgs(args, spec) BEFORE it loads anything: unknown flags (with a "did you mean"), value flags given
// without a value, empty values, repeated single flags, numbers that are not numbers or out of range, missing
// required flags and values outside a fixed set are BAD_ARGUMENT.
import { AppError } from '../shared/errors';

export interface CliArgs {
  /** The flags as given (after the command name), for checkArgs. */
  readonly argv: readonly string[];
  /** Last value of a flag, or undefined. */
  get(name: string): string | undefined;
  /** Every value of a repeated flag (e.g. --pdf a.pdf --pdf b.pdf). */
  all(name: string): string[];
  has(name: string): boolean;
  require(name: string): string;
  number(name: string, fallback: number): number;
  /** Every flag with its value, in the order given (booleans read "true"). */
  entries(): [name: string, value: string][];
}

/** What one flag takes. Integers and numbers are checked against min/max (inclusive unless `exclusiveMin`). */
export type FlagSpec =
  | { kind: 'boolean' }
  | { kind: 'string'; repeat?: boolean; required?: boolean; choices?: readonly string[] }
  | { kind: 'integer'; min?: number; max?: number }
  | { kind: 'number'; min?: number; max?: number; exclusiveMin?: boolean };

export interface CommandSpec {
  /** The command as the user typed it, for messages ("generate", "bench --peer"). */
  command: string;
  flags: Record<string, FlagSpec>;
}

/**
 * The flags loadCliEngine (engine-node.ts) reads, for the specs of the commands that load a model (generate,
 * logits, ask). Here rather than there: ask's search mode must not import the GPU modules.
 */
export const ENGINE_FLAGS: Record<string, FlagSpec> = {
  model: { kind: 'string' },
  precision: { kind: 'string', choices: ['auto', 'f16', 'f32'] },
  context: { kind: 'integer', min: 1 },
  'no-tune': { kind: 'boolean' },
};

export function parseArgs(argv: string[]): CliArgs {
  const entries: [string, string][] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new AppError('BAD_ARGUMENT', `Unexpected argument ${JSON.stringify(a)}; flags look like --name value.`);
    const eq = a.indexOf('=');
    if (eq > 0) {
      entries.push([a.slice(2, eq), a.slice(eq + 1)]);
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      entries.push([a.slice(2), next]);
      i++;
    } else entries.push([a.slice(2), 'true']);
  }
  return argsFrom(argv, entries);
}

/**
 * Parses `args.argv` again against `spec` and returns args holding only valid, checked values (a boolean
 * given as false reads as absent). Throws BAD_ARGUMENT naming the first problem.
 */
export function checkArgs(args: CliArgs, spec: CommandSpec): CliArgs {
  const argv = args.argv;
  const entries: [string, string][] = [];
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--') || a === '--') throw new AppError('BAD_ARGUMENT', `Unexpected argument ${JSON.stringify(a)} for ${spec.command}; flags look like --name value.`);
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const flag = Object.hasOwn(spec.flags, name) ? spec.flags[name] : undefined;
    if (!flag) throw unknownFlag(name, spec);
    const repeats = flag.kind === 'string' && flag.repeat === true;
    if (seen.has(name) && !repeats) throw new AppError('BAD_ARGUMENT', `--${name} is given more than once for ${spec.command}; give it once.`);
    seen.add(name);
    let value: string | undefined;
    if (eq > 0) value = a.slice(eq + 1);
    else if (flag.kind === 'boolean') {
      // `--ocr false` / `--raw true` read as before; any other next word is not this flag's.
      if (argv[i + 1] === 'true' || argv[i + 1] === 'false') value = argv[++i];
    } else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) value = argv[++i];
    if (flag.kind === 'boolean') {
      if (value === undefined || value === 'true') entries.push([name, 'true']);
      else if (value !== 'false') throw new AppError('BAD_ARGUMENT', `--${name} takes no value (got ${JSON.stringify(value)}); write --${name} alone.`);
      continue;
    }
    if (value === undefined || value === '') {
      throw new AppError('BAD_ARGUMENT', `--${name} needs a value: --${name} <${placeholder(flag)}>.`);
    }
    checkValue(name, flag, value);
    entries.push([name, value]);
  }
  for (const [name, flag] of Object.entries(spec.flags)) {
    if (flag.kind === 'string' && flag.required && !seen.has(name)) {
      throw new AppError('BAD_ARGUMENT', `Missing --${name} <${placeholder(flag)}> for ${spec.command}.`);
    }
  }
  return argsFrom(argv, entries);
}

function checkValue(name: string, flag: FlagSpec, value: string): void {
  if (flag.kind === 'string') {
    if (flag.choices && !flag.choices.includes(value)) {
      throw new AppError('BAD_ARGUMENT', `--${name} must be one of ${flag.choices.join(', ')} (got ${JSON.stringify(value)}).`);
    }
    return;
  }
  if (flag.kind !== 'integer' && flag.kind !== 'number') return;
  const integer = flag.kind === 'integer';
  const syntax = integer ? /^[+-]?\d+$/ : /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
  const x = Number(value);
  const range = rangeText(flag);
  const what = `${integer ? 'a whole number' : 'a number'}${range ? ` ${range}` : ''}`;
  if (!syntax.test(value.trim()) || !Number.isFinite(x)) throw new AppError('BAD_ARGUMENT', `--${name} must be ${what}, got ${JSON.stringify(value)}.`);
  const belowMin = flag.min !== undefined && (flag.kind === 'number' && flag.exclusiveMin ? x <= flag.min : x < flag.min);
  const aboveMax = flag.max !== undefined && x > flag.max;
  if (belowMin || aboveMax) throw new AppError('BAD_ARGUMENT', `--${name} must be ${what}, got ${value}.`);
}

function rangeText(flag: { kind: 'integer' | 'number'; min?: number; max?: number; exclusiveMin?: boolean }): string {
  const exclusive = flag.kind === 'number' && flag.exclusiveMin === true;
  if (flag.min !== undefined && flag.max !== undefined) return `in ${exclusive ? '(' : '['}${flag.min}, ${flag.max}]`;
  if (flag.min !== undefined) return `${exclusive ? '>' : '≥'} ${flag.min}`;
  if (flag.max !== undefined) return `≤ ${flag.max}`;
  return '';
}

function placeholder(flag: FlagSpec): string {
  if (flag.kind === 'integer') return 'N';
  if (flag.kind === 'number') return 'X';
  if (flag.kind === 'string' && flag.choices) return flag.choices.join('|');
  return 'value';
}

function unknownFlag(name: string, spec: CommandSpec): AppError {
  const known = Object.keys(spec.flags);
  const near = known
    .map((k) => ({ k, d: editDistance(name, k) }))
    .filter(({ k, d }) => d <= Math.max(1, Math.min(3, Math.floor(k.length / 3))) || (name.length >= 3 && k.startsWith(name)))
    .sort((a, b) => a.d - b.d)[0];
  const hint = near ? `did you mean --${near.k}?` : `its flags are ${known.map((k) => `--${k}`).join(', ')}.`;
  return new AppError('BAD_ARGUMENT', `Unknown flag --${name} for ${spec.command}; ${hint}`);
}

/** Levenshtein distance (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length];
}

function argsFrom(argv: readonly string[], entries: [string, string][]): CliArgs {
  const values = new Map<string, string[]>();
  for (const [name, value] of entries) values.set(name, [...(values.get(name) ?? []), value]);
  const args: CliArgs = {
    argv,
    get: (n) => values.get(n)?.at(-1),
    all: (n) => values.get(n) ?? [],
    has: (n) => values.has(n),
    require: (n) => {
      const v = args.get(n);
      if (v === undefined || v === 'true') throw new AppError('BAD_ARGUMENT', `Missing --${n} <value>.`);
      return v;
    },
    number: (n, fallback) => {
      const v = args.get(n);
      if (v === undefined) return fallback;
      const x = Number(v);
      if (!Number.isFinite(x)) throw new AppError('BAD_ARGUMENT', `--${n} must be a number, got ${JSON.stringify(v)}.`);
      return x;
    },
    entries: () => entries.map(([n, v]) => [n, v]),
  };
  return args;
}
