// A worker thread for tests/unit/worker-heartbeat.test.ts: the real engine host (serveEngine) or PDF host
// (servePdfExtraction) on the port it is handed, with work that gets the thread stuck in a loop that never
// yields (`stuck`), or that takes longer than the heartbeat's timeout while yielding (`slow`).
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { serveEngine } from '../../../src/worker/engine-host';
import { servePdfExtraction } from '../../../src/pdf/worker-host';
import type { MessageEndpoint } from '../../../src/worker/protocol';
import type { ChatMessage, Engine, GenerateOptions, GeneratedToken, ModelInfo } from '../../../src/model/engine-types';

const { port, host, work, waitMs } = workerData as { port: MessagePort; host: 'engine' | 'pdf'; work: 'stuck' | 'slow'; waitMs: number };

/** The thread never comes back to its event loop. */
function loopForever(): void {
  for (;;) {
    // a loop that never awaits
  }
}

class TestEngine implements Engine {
  async load(): Promise<ModelInfo> {
    return { name: 'test', architecture: 'test', vocabSize: 2, contextLength: 8, quantization: 'none', weightBytes: 0, adapter: 'none', f16: false, hasChatTemplate: false, tuning: 'off' };
  }
  async *generate(_input: string | ChatMessage[], _opts: GenerateOptions = {}): AsyncIterable<GeneratedToken> {
    yield { id: 1, text: 'a' };
    if (work === 'stuck') loopForever();
    // Slow but alive: nothing is sent for longer than the heartbeat allows, but the event loop stays free.
    await new Promise((r) => setTimeout(r, waitMs));
    yield { id: 2, text: 'b' };
  }
  async countTokens() { return 0; }
  lastStats() { return null; }
  async unload() {}
}

if (host === 'engine') serveEngine(port as unknown as MessageEndpoint, () => new TestEngine());
else {
  servePdfExtraction(port as unknown as MessageEndpoint);
  // A PDF that sends the parser round in circles: the thread is caught in a loop once the extraction has begun.
  if (work === 'stuck') port.addListener('message', (ev: { type?: string }) => { if (ev?.type === 'extract') setTimeout(loopForever, 0); });
}
port.start();
parentPort?.postMessage('serving');
