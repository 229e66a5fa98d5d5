// Loads a model directory into a LlamaEngine on Node's WebGPU (Dawn) for the CLI commands.
import { nodeGpu } from '../gpu/node-gpu';
import { fileTuneCache } from '../gpu/autotune-cache-node';
import { LlamaEngine } from '../model/engine';
import { nodeDirFiles } from '../model/node-files';
import type { Progress } from '../shared/progress';
import type { CliArgs } from './args';

/** `args` checked against a spec holding ENGINE_FLAGS (args.ts, checkArgs), so values are valid here. */
export async function loadCliEngine(args: CliArgs): Promise<LlamaEngine> {
  const precision = args.get('precision') ?? 'auto';
  const engine = new LlamaEngine(nodeGpu());
  const onProgress = process.stderr.isTTY ? loadProgressPrinter((line) => process.stderr.write(line + '\n')) : undefined;
  await engine.load(nodeDirFiles(args.require('model')), {
    preferF16: precision !== 'f32',
    maxContext: args.has('context') ? args.number('context', 2048) : undefined,
    tune: !args.has('no-tune'),
    tuneCache: fileTuneCache(),
    ...(onProgress ? { onProgress } : {}),
  });
  return engine;
}

/**
 * Turns the engine's load progress into a few short lines (a terminal's stderr; stdout stays the command's
 * output): each new message, and the weights upload in steps of a quarter.
 */
export function loadProgressPrinter(print: (line: string) => void): (p: Progress) => void {
  let lastMessage = '';
  let lastQuarter = -1;
  return (p) => {
    if (p.phase === 'upload' && p.total > 0) {
      const quarter = Math.floor((4 * p.loaded) / p.total);
      if (quarter === lastQuarter) return;
      lastQuarter = quarter;
      print(`model: uploading weights ${Math.round((100 * p.loaded) / p.total)} %`);
      return;
    }
    const message = p.message ?? p.phase;
    if (message === lastMessage) return;
    lastMessage = message;
    print(`model: ${message}${p.phase === 'tune' && p.total > 0 ? ` (${p.loaded}/${p.total})` : ''}`);
  };
}
