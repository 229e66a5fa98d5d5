// `logits --model DIR --tokens 1,2,3`: prints {"logits": [[...vocab floats], ...]}, one array per position.
import { AppError } from '../../shared/errors';
import { checkArgs, ENGINE_FLAGS, type CliArgs, type CommandSpec } from '../args';
import { loadCliEngine } from '../engine-node';

export const LOGITS_SPEC: CommandSpec = {
  command: 'logits',
  flags: { ...ENGINE_FLAGS, model: { kind: 'string', required: true }, tokens: { kind: 'string', required: true } },
};

export async function run(given: CliArgs): Promise<void> {
  const args = checkArgs(given, LOGITS_SPEC);
  const tokens = parseTokenIds(args.require('tokens'));
  const engine = await loadCliEngine(args);
  const vocab = engine.modelConfig!.vocabSize;
  const bad = tokens.find((t) => t >= vocab);
  if (bad !== undefined) throw new AppError('BAD_ARGUMENT', `Token id ${bad} is outside the vocabulary (size ${vocab}).`);
  const rows = await engine.logits(tokens);
  process.stdout.write(JSON.stringify({ logits: rows.map((r) => Array.from(r)) }) + '\n');
  await engine.unload();
}

/** "1,403,407" → [1, 403, 407]; an empty item ("1,,403", "") or anything but a whole number ≥ 0 is BAD_ARGUMENT. */
export function parseTokenIds(list: string): number[] {
  const items = list.split(',').map((s) => s.trim());
  const bad = items.find((s) => !/^\d+$/.test(s));
  if (bad !== undefined) {
    const what = bad === '' ? 'an empty item' : JSON.stringify(bad);
    throw new AppError('BAD_ARGUMENT', `--tokens must be a comma-separated list of token ids, e.g. 1,403,407 (${JSON.stringify(list)} has ${what}).`);
  }
  return items.map(Number);
}
