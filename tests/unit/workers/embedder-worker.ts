// A worker thread for tests/unit/embedder-heartbeat.test.ts: the real embedder host (serveEmbedder) on the port it is
// handed, over a small real model of its own (hashed letter trigrams). A text containing `stuckOn` (STUCK unless told)
// gets the thread stuck in a loop that never yields; SLOW keeps it silent for `waitMs` with its event loop free; CRASH throws out of the
// thread (its 'error' event, as a worker that ran out of memory).
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { serveEmbedder } from '../../../src/retrieval/embedder-host';
import type { MessageEndpoint } from '../../../src/worker/protocol';

const { port, waitMs, stuckOn } = workerData as { port: MessagePort; waitMs: number; stuckOn: string };

function trigramVector(text: string, dim = 64): Float32Array {
  const v = new Float32Array(dim);
  const s = ` ${text.toLowerCase()} `;
  for (let i = 0; i + 3 <= s.length; i++) {
    let h = 2166136261;
    for (let j = i; j < i + 3; j++) h = Math.imul(h ^ s.charCodeAt(j), 16777619);
    v[(h >>> 0) % dim] += 1;
  }
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}

serveEmbedder(port as unknown as MessageEndpoint, async () => ({
  raw: async (texts: string[]) => {
    const all = texts.join(' ');
    if (all.includes(stuckOn)) for (;;) {
      // a loop that never awaits
    }
    if (all.includes('CRASH')) setTimeout(() => { throw new Error('out of memory (test)'); }, 0);
    if (all.includes('SLOW')) await new Promise((r) => setTimeout(r, waitMs));
    return texts.map((t) => trigramVector(t));
  },
}));
port.start();
parentPort?.postMessage('serving');
