// Loads a model directory into a LlamaEngine on Node's WebGPU (Dawn) for the CLI commands.
import { nodeGpu } from '../gpu/node-gpu';
import { fileTuneCache } from '../gpu/autotune-cache-node';
import { LlamaEngine } from '../model/engine';
import { nodeDirFiles } from '../model/node-files';
import { AppError } from '../shared/errors';
import type { CliArgs } from './args';

export async function loadCliEngine(args: CliArgs): Promise<LlamaEngine> {
  const precision = args.get('precision') ?? 'auto';
  if (!['auto', 'f16', 'f32'].includes(precision)) throw new AppError('BAD_ARGUMENT', '--precision must be f16, f32 or auto.');
  const engine = new LlamaEngine(nodeGpu());
  await engine.load(nodeDirFiles(args.require('model')), {
    preferF16: precision !== 'f32',
    maxContext: args.has('context') ? args.number('context', 2048) : undefined,
    tune: !args.has('no-tune'),
    tuneCache: fileTuneCache(),
  });
  return engine;
}
