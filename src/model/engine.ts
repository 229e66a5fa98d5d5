// LlamaEngine: the in-process implementation of the Engine interface (CLI, tests, and inside the app's
// model worker). load() reads a Hugging Face model directory through ModelFiles, uploads the weights to
// the GPU once; generate() streams tokens, stopping on any EOS id, on maxTokens, or when the signal fires.
import { acquireGpu, type GpuContext } from '../gpu/context';
import { AppError, throwIfAborted } from '../shared/errors';
import { openCheckpoint } from './checkpoint';
import type { LlamaConfig } from './config';
import type { ChatMessage, Engine, GeneratedToken, GenerateOptions, GenerationStats, LoadOptions, ModelInfo } from './engine-types';
import type { ModelFiles } from './files';
import { LlamaGpu, type SamplerOptions } from './llama-gpu';
import { loadTokenizer, type LlamaTokenizer } from './tokenizer';
import { uploadLlamaWeights, type GpuLlamaWeights } from './weights-gpu';

interface Loaded {
  ctx: GpuContext;
  cfg: LlamaConfig;
  tokenizer: LlamaTokenizer;
  weights: GpuLlamaWeights;
  model: LlamaGpu;
  info: ModelInfo;
  lost: boolean;
}

export function describeQuant(cfg: LlamaConfig, dtype: string): string {
  const q = cfg.quant;
  if (!q) return dtype;
  const g = q.groupSize === -1 ? 'g-1' : `g${q.groupSize}`;
  return `gptq ${q.bits}-bit ${g}${q.descAct ? ' act-order' : ''} ${q.sym ? 'sym' : 'asym'} ${q.format}`;
}

export class LlamaEngine implements Engine {
  private loaded: Loaded | null = null;
  private stats: GenerationStats | null = null;
  private busy = false;

  /** `gpu`: navigator.gpu in the browser, nodeGpu() in Node. A GpuContext may be shared (tests). */
  constructor(private readonly gpu: GPU | undefined, private readonly sharedCtx?: GpuContext) {}

  get context(): GpuContext | null {
    return this.loaded?.ctx ?? null;
  }
  get modelConfig(): LlamaConfig | null {
    return this.loaded?.cfg ?? null;
  }
  get tokenizer(): LlamaTokenizer | null {
    return this.loaded?.tokenizer ?? null;
  }
  get gpuModel(): LlamaGpu | null {
    return this.loaded?.model ?? null;
  }

  async load(source: ModelFiles, opts: LoadOptions = {}): Promise<ModelInfo> {
    await this.unload();
    opts.onProgress?.({ phase: 'load', loaded: 0, total: 0, message: 'Reading config' });
    const ck = await openCheckpoint(source);
    const cfg = ck.config;
    const tokenizer = await loadTokenizer(source);
    throwIfAborted(opts.signal);
    const ctx = this.sharedCtx ?? (await acquireGpu(this.gpu, { preferF16: opts.preferF16 }));
    const maxContext = Math.min(opts.maxContext ?? 4096, cfg.maxPositionEmbeddings);
    let weights: GpuLlamaWeights | null = null;
    try {
      weights = await uploadLlamaWeights(ctx, ck, { onProgress: opts.onProgress, signal: opts.signal });
      const model = LlamaGpu.create(ctx, cfg, weights, { maxSeq: maxContext });
      const names = ck.names();
      const anyFloat = names.find((n) => n.endsWith('.weight') && !n.includes('norm'));
      const dtype = anyFloat ? ck.info(anyFloat).dtype.toLowerCase() : 'f32';
      const info: ModelInfo = {
        name: 'model',
        architecture: 'llama',
        vocabSize: cfg.vocabSize,
        contextLength: maxContext,
        quantization: describeQuant(cfg, dtype),
        weightBytes: weights.bytes,
        adapter: ctx.adapterName,
        f16: ctx.f16,
        hasChatTemplate: tokenizer.hasChatTemplate,
      };
      const loaded: Loaded = { ctx, cfg, tokenizer, weights, model, info, lost: false };
      ctx.lost.then(() => {
        loaded.lost = true;
      });
      this.loaded = loaded;
      opts.onProgress?.({ phase: 'load', loaded: 1, total: 1, message: 'Ready' });
      return info;
    } catch (e) {
      weights?.destroy();
      if (!this.sharedCtx) ctx.device.destroy();
      throw AppError.from(e);
    }
  }

  private need(): Loaded {
    if (!this.loaded) throw new AppError('NOT_LOADED', 'No model is loaded. Load a model first.');
    if (this.loaded.lost) throw new AppError('DEVICE_LOST', 'The GPU device was lost (driver reset or out of memory). Reload the model.');
    return this.loaded;
  }

  /** The prompt ids: BOS + text for raw prompts, the chat template otherwise. */
  promptIds(input: string | ChatMessage[], raw = false): number[] {
    const { tokenizer } = this.need();
    if (typeof input === 'string' && raw) return [tokenizer.bosId, ...tokenizer.encode(input, { addBos: false })];
    const messages: ChatMessage[] = typeof input === 'string' ? [{ role: 'user', content: input }] : input;
    return tokenizer.encodeChat(messages);
  }

  async countTokens(input: string | ChatMessage[]): Promise<number> {
    return this.promptIds(input).length;
  }

  lastStats(): GenerationStats | null {
    return this.stats;
  }

  get info(): ModelInfo | null {
    return this.loaded?.info ?? null;
  }

  async *generate(input: string | ChatMessage[], opts: GenerateOptions = {}): AsyncGenerator<GeneratedToken> {
    const L = this.need();
    if (this.busy) throw new AppError('BAD_ARGUMENT', 'A generation is already running; stop it first.');
    this.busy = true;
    try {
      const ids = this.promptIds(input, opts.raw);
      const maxTokens = opts.maxTokens ?? 256;
      const ctxLen = L.model.maxSeq;
      if (ids.length >= ctxLen) {
        throw new AppError('BAD_ARGUMENT', `The prompt is ${ids.length} tokens but the context holds ${ctxLen}. Shorten it or use fewer passages.`);
      }
      const sampler: SamplerOptions = {
        temperature: opts.temperature ?? 0,
        topK: opts.topK ?? 0,
        topP: opts.topP ?? 1,
        repetitionPenalty: opts.repetitionPenalty ?? 1,
        seed: opts.seed ?? ((Math.random() * 2 ** 32) >>> 0),
      };
      const eos = new Set(L.tokenizer.eosIds);
      const decoder = L.tokenizer.createDecoder(ids);
      const t0 = performance.now();
      throwIfAborted(opts.signal);
      let token = await L.model.prefill(ids, sampler);
      const t1 = performance.now();
      let pos = ids.length;
      let generated = 0;
      this.stats = { promptTokens: ids.length, generatedTokens: 0, prefillTokS: ids.length / ((t1 - t0) / 1000), decodeTokS: 0 };
      while (true) {
        if (eos.has(token)) break;
        generated++;
        const text = decoder.push(token);
        this.stats.generatedTokens = generated;
        yield { id: token, text };
        if (generated >= maxTokens || pos >= ctxLen || opts.signal?.aborted) break;
        token = await L.model.decode(token, pos, sampler, generated);
        pos++;
        this.stats.decodeTokS = (generated) / ((performance.now() - t1) / 1000);
      }
      const rest = decoder.flush();
      if (rest) yield { id: -1, text: rest };
      if (L.lost) throw new AppError('DEVICE_LOST', 'The GPU device was lost during generation. Reload the model.');
    } finally {
      this.busy = false;
    }
  }

  /** Logits at every position of `tokens` (a fresh sequence from position 0). */
  async logits(tokens: number[]): Promise<Float32Array[]> {
    return this.need().model.logitsAll(tokens);
  }

  async unload(): Promise<void> {
    const L = this.loaded;
    this.loaded = null;
    if (!L) return;
    L.model.destroy();
    L.weights.destroy();
    if (!this.sharedCtx) L.ctx.device.destroy();
  }
}
