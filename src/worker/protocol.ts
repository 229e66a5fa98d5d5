// Typed messages between the app (main thread) and the engine worker. Errors cross the boundary as
// AppError JSON ({name:'AppError', code, message}) and are revived with AppError.fromJSON.
import type { ChatMessage, GenerateOptions, GeneratedToken, GenerationStats, LoadOptions, ModelInfo } from '../model/engine-types';
import type { Progress } from '../shared/progress';
import type { ErrorCode } from '../shared/errors';

export interface WireError {
  name: 'AppError';
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** GenerateOptions without the AbortSignal (not cloneable): aborting is its own request. */
export type WireGenerateOptions = Omit<GenerateOptions, 'signal'>;
export type WireLoadOptions = Omit<LoadOptions, 'signal' | 'onProgress'>;
export type WireInput = string | ChatMessage[];

/** Requests from the app to the worker. `id` ties replies and events to the request. */
export type EngineRequest =
  | { type: 'load'; id: number; opts: WireLoadOptions }
  | { type: 'generate'; id: number; input: WireInput; opts: WireGenerateOptions }
  | { type: 'countTokens'; id: number; input: WireInput }
  | { type: 'abort'; id: number /* the request to abort */ }
  | { type: 'unload'; id: number }
  // Heartbeat (src/shared/heartbeat.ts): answered with 'pong' at once, never queued behind work.
  | { type: 'ping'; id: number }
  // Answer to a worker's file request (model bytes live on the app's side: cache, folder).
  | { type: 'fileReply'; reqId: number; ok: true; value: string[] | number | Uint8Array }
  | { type: 'fileReply'; reqId: number; ok: false; error: WireError };

/** Events from the worker to the app. */
export type EngineEvent =
  | { type: 'progress'; id: number; progress: Progress }
  | { type: 'token'; id: number; token: GeneratedToken }
  | { type: 'done'; id: number; value?: ModelInfo | number; stats?: GenerationStats | null }
  | { type: 'error'; id: number; error: WireError }
  | { type: 'pong'; id: number /* the ping's */ }
  // The worker asks the app for model file data while loading.
  | { type: 'fileRequest'; reqId: number; op: 'list' }
  | { type: 'fileRequest'; reqId: number; op: 'size'; name: string }
  | { type: 'fileRequest'; reqId: number; op: 'read'; name: string; start?: number; end?: number };

/** The part of MessagePort / Worker / DedicatedWorkerGlobalScope both sides use. */
export interface MessageEndpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
}

/**
 * The failure events the app side listens to on a Worker (or port): 'error' when the worker script fails to load
 * or throws, 'messageerror' when a message cannot be read. After either, replies may never come.
 */
export interface FailureEndpoint {
  addEventListener(type: 'error' | 'messageerror', listener: (ev: Event) => void): void;
}
