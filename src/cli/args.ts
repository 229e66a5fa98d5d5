// Minimal flag parser: --name value, --flag (boolean), repeated flags collect into arrays.
import { AppError } from '../shared/errors';

export interface CliArgs {
  /** Last value of a flag, or undefined. */
  get(name: string): string | undefined;
  /** Every value of a repeated flag (e.g. --pdf a.pdf --pdf b.pdf). */
  all(name: string): string[];
  has(name: string): boolean;
  require(name: string): string;
  number(name: string, fallback: number): number;
}

export function parseArgs(argv: string[]): CliArgs {
  const values = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new AppError('BAD_ARGUMENT', `Unexpected argument ${JSON.stringify(a)}; flags look like --name value.`);
    const eq = a.indexOf('=');
    let name: string, value: string;
    if (eq > 0) {
      name = a.slice(2, eq);
      value = a.slice(eq + 1);
    } else {
      name = a.slice(2);
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        value = next;
        i++;
      } else value = 'true';
    }
    const list = values.get(name) ?? [];
    list.push(value);
    values.set(name, list);
  }
  const args: CliArgs = {
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
  };
  return args;
}
