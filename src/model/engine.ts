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
import { checkTokenizerFitsWeights } from './tokenizer-fit';
import { uploadLlamaWeights, type GpuLlamaWeights } from './weights-gpu';
import { defaultTuneCache } from '../gpu/autotune-cache';
import type { TuneReport } from '../gpu/autotune';
import { tuneLlamaWeights } from './tune-weights';
import { deviceLostError, gpuFailure } from './device-loss';

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
  return `${q.method ?? 'gptq'} ${q.bits}-bit ${g}${q.descAct ? ' act-order' : ''} ${q.sym ? 'sym' : 'asym'} ${q.format}`;
}

/** What the autotuner did at load, for the model panel ("kernels tuned for this GPU"). */
export function tuningState(report: TuneReport | null, enabled: boolean): ModelInfo['tuning'] {
  if (!enabled || !report) return 'off';
  const measured = report.decisions.filter((d) => !d.skipped);
  if (measured.length === 0) return 'untuned';
  return measured.every((d) => d.fromCache) ? 'cached' : 'tuned';
}

export class LlamaEngine implements Engine {
  private loaded: Loaded | null = null;
  private stats: GenerationStats | null = null;
  /** The token ids whose K/V the cache holds at positions 0.., valid while the model's KV write count is `writes`. */
  private kv: { ids: number[]; writes: number } | null = null;
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
    checkTokenizerFitsWeights(tokenizer, cfg);
    throwIfAborted(opts.signal);
    const ctx = this.sharedCtx ?? (await acquireGpu(this.gpu, { preferF16: opts.preferF16 }));
    const maxContext = Math.min(opts.maxContext ?? 4096, cfg.maxPositionEmbeddings);
    let weights: GpuLlamaWeights | null = null;
    try {
      weights = await uploadLlamaWeights(ctx, ck, { onProgress: opts.onProgress, signal: opts.signal, fuse: opts.fuse });
      const tuneCache = opts.tune === false ? null : opts.tuneCache ?? (typeof indexedDB !== 'undefined' ? defaultTuneCache() : null);
      const maxBatch = Math.min(64, maxContext);
      // Tuning shows progress per layer shape and stops at Cancel within one timed call (shapes done stay cached).
      const choices = tuneCache
        ? await tuneLlamaWeights(ctx, weights, {
            cache: tuneCache,
            maxBatch,
            watch: { signal: opts.signal },
            onProgress: (p) => opts.onProgress?.({ phase: 'tune', loaded: p.done, total: p.total, message: `Tuning kernels for this GPU: ${p.kernel} ${p.shape}` }),
          })
        : null;
      throwIfAborted(opts.signal);
      const model = LlamaGpu.create(ctx, cfg, weights, { maxSeq: maxContext, maxBatch, ...choices?.kernelChoices(), fuse: opts.fuse });
      const names = ck.names();
      const anyFloat = names.find((n) => n.endsWith('.weight') && !n.includes('norm'));
      const dtype = anyFloat ? ck.info(anyFloat).dtype.toLowerCase() : 'f32';
      const info: ModelInfo = {
        name: 'model',
        architecture: cfg.architecture ?? 'llama',
        vocabSize: cfg.vocabSize,
        contextLength: maxContext,
        quantization: describeQuant(cfg, dtype),
        weightBytes: weights.bytes,
        adapter: ctx.adapterName,
        f16: ctx.f16,
        hasChatTemplate: tokenizer.hasChatTemplate || Boolean(opts.builtInChatTemplate),
        ...(cfg.moe ? { experts: { total: cfg.moe.numExperts, active: cfg.moe.topK, shared: cfg.moe.sharedExpertIntermediateSize > 0 } } : {}),
        tuning: tuningState(choices?.report ?? null, tuneCache !== null),
      };
      const loaded: Loaded = { ctx, cfg, tokenizer, weights, model, info, lost: false };
      ctx.lost.then(() => {
        loaded.lost = true;
      });
      this.loaded = loaded;
      opts.onProgress?.({ phase: 'load', loaded: 1, total: 1, message: 'Ready' });
      return info;
    } catch (e) {
      // Before the device is destroyed here: a lost device (a read-back aborted while tuning) is DEVICE_LOST.
      const err = await gpuFailure(e, ctx, { signal: opts.signal, during: 'while the model was loading' });
      weights?.destroy();
      if (!this.sharedCtx) ctx.device.destroy();
      throw err;
    }
  }

  private need(): Loaded {
    if (!this.loaded) throw new AppError('NOT_LOADED', 'No model is loaded. Load a model first.');
    if (this.loaded.lost) throw deviceLostError('since the model was loaded');
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

  /**
   * How many decode steps run ahead of the tokens read back: the sampled id stays on the GPU and feeds the next
   * step, so the GPU never idles for a read-back. 0 = today's lock-step loop (each step waits for its input id).
   * Steps in flight when generation ends (EOS, maxTokens, Stop) are discarded, never shown.
   */
  pipelineDepth = 2;
  /**
   * A prompt longer than this many prefill chunks (maxBatch tokens each) is fed in segments of that size, the GPU
   * finishing each before the next is queued, so that Stop takes effect within one segment (0: all at once).
   * The chunks are the same as in one prefill, so the results are identical.
   */
  prefillSegmentChunks = 4;

  /** Prompt length that can be skipped because the KV cache already holds it (leaves ≥ 1 token to prefill). */
  private reusablePrefix(L: Loaded, ids: number[]): number {
    const kv = this.kv;
    if (!kv || kv.writes !== L.model.kvWriteCount) return 0;
    const max = Math.min(kv.ids.length, ids.length - 1);
    let r = 0;
    while (r < max && kv.ids[r] === ids[r]) r++;
    return r;
  }

  async *generate(input: string | ChatMessage[], opts: GenerateOptions = {}): AsyncGenerator<GeneratedToken> {
    const L = this.need();
    if (this.busy) throw new AppError('BAD_ARGUMENT', 'A generation is already running; stop it first.');
    this.busy = true;
    // results[i] = the read-back of t_i: t_0 from the prefill, t_i (i ≥ 1) from decode step i, which feeds t_{i-1}
    // at position n + i - 1. Each promise gets a no-op catch so a rejection is never "unhandled" while it waits.
    const results: Promise<number>[] = [];
    const push = (p: Promise<number>) => { p.catch(() => {}); results.push(p); };
    const tokens: number[] = []; // t_0, t_1, … in the order read back
    let fed = 0; // decode steps submitted: the cache then holds prompt + t_0 .. t_{fed-1}
    let ids: number[] = [];
    let submitted = false;
    let failed = false;
    try {
      ids = this.promptIds(input, opts.raw);
      const n = ids.length;
      const maxTokens = opts.maxTokens ?? 256;
      const ctxLen = L.model.maxSeq;
      if (n >= ctxLen) {
        throw new AppError('BAD_ARGUMENT', `The prompt is ${n} tokens but the context holds ${ctxLen}. Shorten it or use fewer passages.`);
      }
      const sampler: SamplerOptions = {
        temperature: opts.temperature ?? 0,
        topK: opts.topK ?? 0,
        topP: opts.topP ?? 1,
        repetitionPenalty: opts.repetitionPenalty ?? 1,
        seed: opts.seed ?? ((Math.random() * 2 ** 32) >>> 0),
      };
      const reused = opts.reuseCache === false ? 0 : this.reusablePrefix(L, ids);
      const eos = new Set(L.tokenizer.eosIds);
      const decoder = L.tokenizer.createDecoder(ids);
      const depth = Math.max(0, Math.floor(this.pipelineDepth));
      // Step i may run while it feeds a token that can still be shown (i ≤ maxTokens: step maxTokens feeds the
      // last one, so the cache holds the whole answer) and its position fits the context.
      const mayFeed = (i: number) => i <= maxTokens && n + i - 1 < ctxLen;
      const feedThrough = (i: number) => {
        while (fed < i && mayFeed(fed + 1)) {
          fed++;
          push(L.model.decodeNext(n + fed - 1, sampler, fed));
        }
      };
      throwIfAborted(opts.signal);
      this.kv = null; // from here until the last step is drained, the cache's contents are in motion
      const t0 = performance.now();
      // A long prompt: whole segments first, stoppable between them; prefill() takes the rest and samples.
      let start = reused;
      const segment = Math.max(0, Math.floor(this.prefillSegmentChunks)) * L.model.maxBatch;
      while (segment > 0 && n - start > segment) {
        await L.model.feed(ids.slice(start, start + segment), start);
        start += segment;
        if (opts.signal?.aborted) {
          // Stopped while reading the prompt: no token; the cache holds the segments fed (a later turn reuses them).
          this.kv = L.lost ? null : { ids: ids.slice(0, start), writes: L.model.kvWriteCount };
          this.stats = { promptTokens: n, reusedTokens: reused, generatedTokens: 0, prefillTokS: (start - reused) / ((performance.now() - t0) / 1000), decodeTokS: 0 };
          return;
        }
      }
      submitted = true;
      push(L.model.prefill(ids.slice(start), sampler, start));
      if (depth > 0) feedThrough(depth);
      let t1 = t0;
      let generated = 0;
      for (let i = 0; ; i++) {
        const token = await results[i];
        tokens.push(token);
        const now = performance.now();
        if (i === 0) {
          t1 = now;
          this.stats = { promptTokens: n, reusedTokens: reused, generatedTokens: 0, prefillTokS: (n - reused) / ((t1 - t0) / 1000), decodeTokS: 0 };
        } else {
          this.stats!.decodeTokS = i / ((now - t1) / 1000);
        }
        if (eos.has(token)) {
          this.stats!.finish = 'eos';
          break;
        }
        generated = i + 1;
        this.stats!.generatedTokens = generated;
        const last = generated >= maxTokens || n + i >= ctxLen;
        if (depth > 0) feedThrough(i + 1 + depth); // before the yield: the GPU works while the reader reads
        yield { id: token, text: decoder.push(token) };
        if (opts.signal?.aborted) {
          this.stats!.finish = 'stopped';
          break;
        }
        if (last) {
          this.stats!.finish = generated >= maxTokens ? 'length' : 'context';
          break;
        }
        if (depth === 0) {
          fed++;
          push(L.model.decode(token, n + i, sampler, fed));
        }
      }
      const rest = decoder.flush();
      if (rest) yield { id: -1, text: rest };
      if (L.lost) throw deviceLostError('while answering');
    } catch (e) {
      failed = true;
      // A read-back aborted by a lost device is DEVICE_LOST, not a Stop (device-loss.ts); later calls say so too.
      const err = await gpuFailure(e, L.ctx, { signal: opts.signal, isLost: () => L.lost, during: 'while answering' });
      if (err.code === 'DEVICE_LOST') L.lost = true;
      throw err;
    } finally {
      // Steps still in flight were speculative: let them finish (their read-back buffers return to the pool and
      // the KV writes are done) and discard their tokens. The cache then holds the prompt and every token a
      // submitted step fed; after any failure it is treated as unknown.
      const rest = await Promise.allSettled(results.slice(tokens.length));
      if (submitted) {
        const all = [...tokens];
        for (const r of rest) {
          if (r.status === 'fulfilled') all.push(r.value);
          else failed = true;
        }
        this.kv = failed || L.lost ? null : { ids: [...ids, ...all.slice(0, fed)], writes: L.model.kvWriteCount };
      }
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
    this.kv = null;
    if (!L) return;
    L.model.destroy();
    L.weights.destroy();
    if (!this.sharedCtx) L.ctx.device.destroy();
  }
}
