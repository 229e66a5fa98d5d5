// The engine worker: the Llama engine runs here, off the main thread, on this worker's WebGPU device.
import { serveEngine } from './engine-host';
import type { Engine } from '../model/engine-types';
import { AppError } from '../shared/errors';
import type { MessageEndpoint } from './protocol';

// The lead's engine module (src/model/engine.ts, `class LlamaEngine implements Engine`).
const engineModules = import.meta.glob<{ LlamaEngine: new (gpu: GPU | undefined) => Engine }>('../model/engine.ts');

async function createEngine(): Promise<Engine> {
  const load = engineModules['../model/engine.ts'];
  if (!load) throw new AppError('INTERNAL', 'This build has no model engine (src/model/engine.ts is missing). Search mode still works.');
  const { LlamaEngine } = await load();
  return new LlamaEngine((self.navigator as Navigator & { gpu?: GPU }).gpu);
}

serveEngine(self as unknown as MessageEndpoint, createEngine);
