// The engine worker: the Llama engine runs here, off the main thread, on this worker's WebGPU device.
// Model bytes are read on demand from the app (engine-client serves the file requests).
import { LlamaEngine } from '../model/engine';
import { serveEngine } from './engine-host';
import type { MessageEndpoint } from './protocol';

serveEngine(self as unknown as MessageEndpoint, () => new LlamaEngine((self.navigator as Navigator & { gpu?: GPU }).gpu));
