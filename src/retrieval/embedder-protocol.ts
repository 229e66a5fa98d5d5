// Messages between the page and the embedder worker (embedder.worker.ts). Errors cross as AppError JSON.
import type { ErrorCode } from '../shared/errors';
import type { Progress } from '../shared/progress';

export interface WorkerSetup {
  remoteHost?: string;
  /** false: use only what the browser cache already holds (never download). */
  allowRemote: boolean;
  wasmPaths: { mjs: string; wasm: string };
}

export type EmbedderRequest =
  | { type: 'load'; id: number; modelId: string; setup: WorkerSetup }
  /** `texts` exactly as the model sees them: the page side (profiledEmbedder) has already added the profile's prefix. */
  | { type: 'embed'; id: number; modelId: string; texts: string[] }
  /** Heartbeat (src/shared/heartbeat.ts): answered with 'pong' at once, from the worker's event loop. */
  | { type: 'ping'; id: number };

export type EmbedderResponse =
  | { type: 'loaded'; id: number }
  | { type: 'vectors'; id: number; dim: number; /** [texts × dim] row-major */ data: Float32Array }
  | { type: 'progress'; id: number; progress: Progress }
  | { type: 'error'; id: number; error: { code: ErrorCode; message: string } }
  | { type: 'pong'; id: number /* the ping's */ };
