/// <reference lib="webworker" />
// Web Worker that runs the transformers.js embedding models off the main thread (embedder-host.ts serves the
// messages of embedder-protocol.ts); started by worker-embedder.ts.
import { serveEmbedder } from './embedder-host';
import { loadTransformersModel } from './transformers-embedder';
import type { MessageEndpoint } from '../worker/protocol';

declare const self: DedicatedWorkerGlobalScope;
serveEmbedder(self as unknown as MessageEndpoint, loadTransformersModel);
