// The one engine interface, with two transports: in-process (CLI, tests) and a Web Worker (the app).
import type { ProgressCallback } from '../shared/progress';
import type { ModelFiles } from './files';
import type { TuneCache } from '../gpu/autotune-cache';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GenerateOptions {
  maxTokens?: number; // default 256
  temperature?: number; // 0 = greedy (default 0)
  topK?: number; // 0 = off
  topP?: number; // 1 = off
  repetitionPenalty?: number; // 1 = off
  seed?: number;
  /** Prompt is a string encoded as BOS + text, no chat template (like `generate --raw`). */
  raw?: boolean;
  signal?: AbortSignal;
  /**
   * Skip the part of the prompt the KV cache already holds from the previous generation (default true): a
   * follow-up question whose prompt starts with the earlier prompt and answer prefills only the new tokens.
   */
  reuseCache?: boolean;
}

export interface GeneratedToken {
  id: number;
  /** Text this token adds to the output (may be '' while a multi-byte character is incomplete). */
  text: string;
}

export interface GenerationStats {
  promptTokens: number;
  /** Leading prompt tokens taken from the KV cache of the previous generation instead of being prefilled. */
  reusedTokens: number;
  generatedTokens: number;
  /** Tokens actually prefilled (promptTokens − reusedTokens) per second. */
  prefillTokS: number;
  decodeTokS: number;
  /**
   * Why generation ended: the model's end-of-text ('eos'), the token limit asked for ('length'), the end of the
   * context window ('context'), or the caller's signal ('stopped'). Absent while it runs, and when the caller
   * stopped reading the tokens (a `break` out of the loop: the query rewrite takes one line).
   */
  finish?: 'eos' | 'length' | 'context' | 'stopped';
}

export interface ModelInfo {
  name: string;
  architecture: string;
  vocabSize: number;
  contextLength: number;
  quantization: string; // e.g. 'gptq 4-bit g128 act-order v1' or 'f32'
  weightBytes: number; // bytes on the GPU
  adapter: string;
  f16: boolean;
  hasChatTemplate: boolean;
  /** Mixture of experts: experts per sparse layer and how many each token uses (absent: dense). */
  experts?: { total: number; active: number; shared: boolean };
  /**
   * The GPTQ matvec autotuner at load: 'tuned' (measured now for this GPU), 'cached' (choices kept from an
   * earlier load on this GPU), 'untuned' (no layer large enough, or every choice left the default), 'off'.
   */
  tuning: 'tuned' | 'cached' | 'untuned' | 'off';
}

export interface LoadOptions {
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /** Use the f16 path when the adapter has shader-f16 (default true). */
  preferF16?: boolean;
  /** Maximum context (KV cache) length; default min(config max_position_embeddings, 4096). */
  maxContext?: number;
  /**
   * GPTQ matvec autotuning at load (src/gpu/autotune.ts): false turns it off. On by default where a cache
   * exists to keep the choice (IndexedDB in the browser, or `tuneCache`), so later loads tune nothing.
   */
  tune?: boolean;
  /** Where tuning choices are kept (Node: fileTuneCache from src/gpu/autotune-cache-node.ts). */
  tuneCache?: TuneCache;
  /**
   * Fused forward (default true): q/k/v and gate/up stacked at load, norms and SwiGLU folded into the GPTQ input
   * preparation, RoPE + KV store in one kernel (src/model/llama-gpu.ts). false: one kernel per op.
   */
  fuse?: boolean;
  /**
   * A chat model whose repo ships no chat template (TheBloke's Llama 2 Chat GPTQ): answer through the built-in
   * template for its vocabulary (Llama 2 [INST], Llama 3 headers) instead of a plain Question/Answer prompt.
   * Off by default: a base model (stories260K) has no chat format at all.
   */
  builtInChatTemplate?: boolean;
}

export interface Engine {
  load(source: ModelFiles, opts?: LoadOptions): Promise<ModelInfo>;
  generate(input: string | ChatMessage[], opts?: GenerateOptions): AsyncIterable<GeneratedToken>;
  /** Number of tokens the input occupies once templated (for fitting prompts into the context). */
  countTokens(input: string | ChatMessage[]): Promise<number>;
  lastStats(): GenerationStats | null;
  unload(): Promise<void>;
}
