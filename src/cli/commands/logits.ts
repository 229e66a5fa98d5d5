// `logits --model DIR --tokens 1,2,3`: prints {"logits": [[...vocab floats], ...]}, one array per position.
import { AppError } from '../../shared/errors';
import type { CliArgs } from '../args';
import { loadCliEngine } from '../engine-node';

export async function run(args: CliArgs): Promise<void> {
  const tokens = args.require('tokens').split(',').map((s) => Number(s.trim()));
  if (tokens.length === 0 || tokens.some((t) => !Number.isInteger(t) || t < 0)) {
    throw new AppError('BAD_ARGUMENT', '--tokens must be a comma-separated list of token ids, e.g. 1,403,407.');
  }
  const engine = await loadCliEngine(args);
  const vocab = engine.modelConfig!.vocabSize;
  const bad = tokens.find((t) => t >= vocab);
  if (bad !== undefined) throw new AppError('BAD_ARGUMENT', `Token id ${bad} is outside the vocabulary (size ${vocab}).`);
  const rows = await engine.logits(tokens);
  process.stdout.write(JSON.stringify({ logits: rows.map((r) => Array.from(r)) }) + '\n');
  await engine.unload();
}
