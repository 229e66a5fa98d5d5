// The Llama forward pass on the GPU, in the order of the math (HF semantics, SPEC-llama-gptq.md):
//   x = embed[ids]
//   per layer:  xn = rmsnorm(x)·w_in;  q,k,v = Wq xn, Wk xn, Wv xn;  rope(q), rope(k);  cache ← k, v
//               x += Wo · attention(q, K cache, V cache)             (accumulate fused into the matvec)
//               xn = rmsnorm(x)·w_post;  x += Wdown · (silu(Wgate xn) ⊙ Wup xn)
//   logits = lm_head(rmsnorm(x)·w_final)  → sampled on the GPU; only the chosen id is read back, and it also
//   stays on the GPU as the next step's input (decodeNext), so decode steps can be queued ahead of the read-back.
// A forward over m tokens (m ≤ maxBatch) is ONE command encoder and ONE submit: the step uniform
// {pos0, m, kv_len, seed, sample_step} is written once, every bind group was built at create time.
// Fused (LlamaGpuOptions.fuse, default): the same math in fewer dispatches per layer —
//   q/k/v stacked into one GPTQ linear (GpuLayerWeights.qkv, stacked at load) with the attention RMSNorm folded
//   into its input preparation (src/gpu/kernels/gptq-prepare.ts, norm); RoPE of q and k, Qwen3's per-head q/k norm
//   and the K/V cache append in one kernel (src/gpu/kernels/rope-kv-store.ts); gate/up stacked (gateUp) with the
//   FFN RMSNorm folded likewise, and silu(gate)·up folded into the down linear's input preparation (glu).
//   GPTQ layer (4-bit or 8-bit): 23 dispatches unfused → 11 fused. Dense (unquantised) q/k/v are stacked too (one
//   dense matvec, one bias-add), but their norms stay a separate rmsnorm and dense gate/up stay apart with silu-mul
//   (dense layer: 16 → 11). Unfused where the weights cannot be stacked (mixed GPTQ/dense q/k/v, act-order that
//   differs, dense down): the separate linears (RoPE + KV store stay fused); OLMoE's whole-projection q/k norm:
//   q/k/v, RoPE and KV store unfused. The final norm before lm_head stays separate.
import { createBuffer, STORAGE, throwIfGpuError, uploadBuffer, type GpuContext } from '../gpu/context';
import { AttentionKernel, type AttentionBound } from '../gpu/kernels/attention';
import { SlidingWindowAttentionKernel } from '../gpu/kernels/attention-window';
import { DenseMatmulKernel, DenseMatvecKernel, type DenseMatvecVariant } from '../gpu/kernels/dense-linear';
import type { GptqMatmulTile } from '../gpu/kernels/gptq-matmul-tiles';
import type { DenseMatmulTile } from '../gpu/kernels/dense-matmul-tiles';
import type { DenseWeight } from '../gpu/dense-weight';
import { EmbeddingKernel, type EmbeddingBound } from '../gpu/kernels/embedding';
import { GptqMatmulKernel, GptqMatvecKernel, type GptqBound, type GptqMatvecVariant } from '../gpu/kernels/gptq-linear';
import { GptqPrepareKernel, type GptqPrepareBound } from '../gpu/kernels/gptq-prepare';
import { RopeKvStoreKernel, type RowSource } from '../gpu/kernels/rope-kv-store';
import type { GpuGptq } from '../gpu/gptq-repack';
import { BiasAddKernel } from '../gpu/kernels/bias-add';
import { HeadRmsNormKernel, type HeadRmsNormBound } from '../gpu/kernels/head-rmsnorm';
import { createKvCache, KvStoreKernel, type KvCache, type KvStoreBound } from '../gpu/kernels/kv-store';
import { RmsNormKernel, type RmsNormBound } from '../gpu/kernels/rmsnorm';
import { RopeKernel, type RopeBound } from '../gpu/kernels/rope';
import { SampleKernel, type SampleBound } from '../gpu/kernels/sample';
import { SiluMulKernel, type SiluMulBound } from '../gpu/kernels/silu-mul';
import type { SamplerOptions as KernelSamplerOptions } from '../gpu/cpu/sample';
import type { GpuProfiler, ProfileRow } from '../gpu/profiler';
import { createStepBuffer, writeStep } from '../gpu/step';
import { AppError } from '../shared/errors';
import type { LlamaConfig } from './config';
import { attentionLogitScale, ropeInvFreq } from './rope';
import type { LinearKey } from './checkpoint';
import type { FusedKey, GpuLayerWeights, GpuLinear, GpuLlamaWeights } from './weights-gpu';
import { MoeGpu, type MoeLayerBound } from './moe-gpu';

export interface SamplerOptions extends KernelSamplerOptions {
  seed: number;
}

/** A linear layer bound twice: as a matvec (decode, m = 1) and as a tiled matmul (prefill, m > 1). */
interface BoundLinear {
  encode(pass: GPUComputePassEncoder, m: number): void;
  /** Kernel name for profiles, e.g. "gptq-matvec" (m = 1) or "gptq-matmul". */
  kernel(m: number): string;
  /**
   * Every GPTQ binding the linear runs (an 8-bit layer: both halves), when ALL of its parts are GPTQ: a kernel
   * that prepares their input itself (norm, glu) targets these. Absent for dense linears or a dense bias.
   */
  gptq?: { w: GpuGptq; mv: GptqBound; mm: GptqBound }[];
}

/**
 * Where each kernel of a forward is encoded, by profile label: normally the forward's one compute pass; when
 * profiling, a fresh pass with timestamps per kernel (src/gpu/profiler.ts).
 */
type PassFor = (label: string) => GPUComputePassEncoder;

/** One step of a layer's forward: encodes its dispatches, each in the pass `at` gives for its profile label. */
type LayerOp = (at: PassFor, m: number) => void;

export interface LlamaGpuOptions {
  maxSeq: number;
  /** Tokens per prefill forward (longer prompts are processed in chunks). */
  maxBatch?: number;
  /** The GPTQ matvec variant per layer (the autotuner's MatvecChoices.variantFor); default rows-per-thread. */
  matvecVariant?: (w: GpuGptq) => GptqMatvecVariant;
  /** The prefill matmul tile per GPTQ layer (MatvecChoices.tileFor at this maxBatch); default DEFAULT_MATMUL_TILE (tm8 rt8 wg32 tf). */
  matmulTile?: (w: GpuGptq) => GptqMatmulTile;
  /** The dense matvec variant (lm_head, tied embeddings; MatvecChoices.denseVariantFor); default one-row-per-thread. */
  denseVariant?: (w: DenseWeight) => DenseMatvecVariant;
  /**
   * The prefill matmul tile per dense layer (MatvecChoices.denseTileFor at this maxBatch): a tile, null for
   * one-row-per-thread; undefined or absent: DEFAULT_DENSE_MATMUL_TILE where the weight supports tiles.
   */
  denseMatmulTile?: (w: DenseWeight) => DenseMatmulTile | null | undefined;
  /**
   * Fused kernels (default true; see the header): false runs one kernel per op, the reference the fused path is
   * tested against. Weights stacked at load (GpuLayerWeights.qkv / gateUp) need it: load them with fuse: false.
   */
  fuse?: boolean;
}

export class LlamaGpu {
  readonly maxSeq: number;
  readonly maxBatch: number;
  private readonly kernels;
  private readonly matvecVariant: ((w: GpuGptq) => GptqMatvecVariant) | null;
  private readonly tuned: Pick<LlamaGpuOptions, 'matmulTile' | 'denseVariant' | 'denseMatmulTile'>;
  private readonly buffers: GPUBuffer[] = [];
  private readonly ids: GPUBuffer; // u32 [maxBatch]
  private readonly step: GPUBuffer; // uniform Step
  private readonly history: GPUBuffer; // u32 [maxSeq]: every token id in the sequence (repetition penalty)
  private readonly tokenOut: GPUBuffer; // u32 [1]: the sampled id
  /** MAP_READ u32 [4] each (only [0] is used): one per forward whose sampled id is still on its way back. */
  private readonly stagingFree: GPUBuffer[] = [];
  /** Counts forwards that wrote the KV cache; lets an owner tell whether the cache still holds what it recorded. */
  private kvWrites = 0;
  private readonly logitsLast: GPUBuffer; // f32 [V]
  private readonly xn: GPUBuffer; // f32 [maxBatch, D]
  private readonly kv: KvCache;
  private readonly embedBound: EmbeddingBound;
  private readonly layers: LayerOp[][];
  private readonly finalNorm: RmsNormBound;
  private readonly lmHeadLast: BoundLinear; // xn[m-1] → logitsLast
  private readonly sampleBound: SampleBound;
  private allLogits: { buffer: GPUBuffer; head: BoundLinear } | null = null;
  private samplerKey = '';
  private readonly headNorm: HeadRmsNormKernel | null; // Qwen3 q_norm / k_norm
  private biasAdd: BiasAddKernel | null = null; // dense q/k/v biases (Qwen2 without GPTQ)
  private prepare: GptqPrepareKernel | null = null; // norm / glu folded into a GPTQ linear's input preparation

  private constructor(private readonly ctx: GpuContext, readonly cfg: LlamaConfig, private readonly w: GpuLlamaWeights, opts: LlamaGpuOptions) {
    const D = cfg.hiddenSize, F = cfg.intermediateSize, V = cfg.vocabSize;
    const qDim = cfg.numHeads * cfg.headDim, kvDim = cfg.numKvHeads * cfg.headDim;
    this.maxSeq = opts.maxSeq;
    this.matvecVariant = opts.matvecVariant ?? null;
    this.tuned = { matmulTile: opts.matmulTile, denseVariant: opts.denseVariant, denseMatmulTile: opts.denseMatmulTile };
    const B = (this.maxBatch = Math.max(1, Math.min(opts.maxBatch ?? 64, opts.maxSeq)));
    const f32 = (n: number, label: string) => this.track(createBuffer(ctx, n * 4, STORAGE, label));

    this.kernels = {
      embedding: new EmbeddingKernel(ctx),
      rmsnorm: new RmsNormKernel(ctx, { eps: cfg.rmsNormEps }),
      rope: new RopeKernel(ctx),
      kvStore: new KvStoreKernel(ctx),
      // Mistral v0.1's sliding window matters only when the context is longer than it.
      attention: cfg.slidingWindow && cfg.slidingWindow < this.maxSeq ? new SlidingWindowAttentionKernel(ctx, cfg.slidingWindow) : new AttentionKernel(ctx),
      siluMul: new SiluMulKernel(ctx),
      sample: new SampleKernel(ctx),
      gptqMatvec: new GptqMatvecKernel(ctx),
      gptqMatvecAcc: new GptqMatvecKernel(ctx, { accumulate: true }),
      gptqMatvecLast: new GptqMatvecKernel(ctx, { xRow: 'last' }),
      gptqMatmul: new GptqMatmulKernel(ctx),
      gptqMatmulAcc: new GptqMatmulKernel(ctx, { accumulate: true }),
      denseMatvec: new DenseMatvecKernel(ctx),
      denseMatvecAcc: new DenseMatvecKernel(ctx, { accumulate: true }),
      denseMatvecLast: new DenseMatvecKernel(ctx, { xRow: 'last' }),
      denseMatmul: new DenseMatmulKernel(ctx),
      denseMatmulAcc: new DenseMatmulKernel(ctx, { accumulate: true }),
    };
    const k = this.kernels;

    // Activations (f32, row-major, maxBatch rows); the per-projection ones only where some layer needs them.
    const fuse = opts.fuse !== false;
    const fusedRope = fuse && !cfg.qkNormWhole;
    const stacked = w.layers.some((L) => L.qkv || L.gateUp);
    if (stacked && !fuse) {
      throw new AppError('BAD_ARGUMENT', 'These weights were stacked at load (q/k/v, gate/up); create the model with fuse: true, or load the weights with fuse: false.');
    }
    if (!fusedRope && w.layers.some((L) => L.qkv)) {
      throw new AppError('BAD_ARGUMENT', 'Stacked q/k/v weights cannot run with a whole-projection q/k norm (OLMoE); load the weights with fuse: false.');
    }
    const lazy = (n: number, label: string) => { let b: GPUBuffer | null = null; return () => (b ??= f32(n, label)); };
    this.ids = this.track(createBuffer(ctx, B * 4, STORAGE, 'ids')); // u32 [B]
    const x = f32(B * D, 'x'); // [B, D] residual stream
    this.xn = f32(B * D, 'xn'); // [B, D] normalised
    const NQKV = qDim + 2 * kvDim;
    const qkvBuf = lazy(B * NQKV, 'qkv'); // [B, qDim + 2 kvDim]: q | k | v per token (stacked q/k/v linear)
    const q = lazy(B * qDim, 'q'); // [B, nHeads, headDim]
    const kk = lazy(B * kvDim, 'k'); // [B, nKv, headDim]
    const v = lazy(B * kvDim, 'v'); // [B, nKv, headDim]
    const qRot = lazy(B * qDim, 'q.rope'); // [B, nHeads, headDim]: rotated q (fused RoPE + KV store)
    const att = f32(B * qDim, 'att'); // [B, nHeads, headDim]
    const gate = lazy(B * F, 'gate'); // [B, F]; silu(gate)·up written in place
    const up = lazy(B * F, 'up'); // [B, F]
    const gateUpBuf = lazy(B * 2 * F, 'gate-up'); // [B, 2F]: gate | up per token (stacked gate/up linear)
    this.logitsLast = f32(V, 'logits'); // [V]
    this.step = this.track(createStepBuffer(ctx));
    this.history = this.track(createBuffer(ctx, this.maxSeq * 4 + 4, STORAGE, 'history')); // u32 [maxSeq + 1]
    this.tokenOut = this.track(createBuffer(ctx, 4, STORAGE, 'token')); // u32 [1]
    const invFreqHost = ropeInvFreq(cfg);
    const invFreq = this.track(uploadBuffer(ctx, invFreqHost, 'rope.invFreq')); // f32 [headDim/2]
    this.kv = createKvCache(ctx, cfg.numLayers, this.maxSeq, kvDim);
    this.buffers.push(...this.kv.k, ...this.kv.v);
    // Mixture-of-experts layers: router, routing and expert kernels with their scratch (src/model/moe-gpu.ts).
    const moe = cfg.moe ? new MoeGpu(ctx, cfg, B, this.step, (l, i, o, a) => this.bindLinear(l, i, o, a)) : null;
    if (moe) this.buffers.push(...moe.buffers);

    // (layer, which linear, input, output, accumulate?) → matvec + matmul binding, with the layer's extras
    const linear = this.bindLayerLinear.bind(this);
    const headNorm = (this.headNorm = cfg.qkNorm && !fusedRope ? new HeadRmsNormKernel(ctx, { eps: cfg.rmsNormEps }) : null);
    // OLMoE's q/k norm covers the whole projection: the same kernel with one "head" of nHeads·headDim.
    const normHeads = (buf: GPUBuffer, weight: GPUBuffer | undefined, nHeads: number) =>
      headNorm && weight ? headNorm.bind(buf, weight, this.step, cfg.qkNormWhole ? { headDim: nHeads * cfg.headDim, nHeads: 1, maxM: B } : { headDim: cfg.headDim, nHeads, maxM: B }) : undefined;
    const ropeKv = fusedRope ? new RopeKvStoreKernel(ctx, { eps: cfg.rmsNormEps }) : null;
    const auxCopies = ctx.device.createCommandEncoder(); // q/k norm weights copied into the RoPE aux tables
    const lin = (b: BoundLinear, role: string): LayerOp => (at, m) => b.encode(at(`${b.kernel(m)} ${role}`), m);
    // rmsnorm(x)·weight → the linear: folded into its input preparation when every part of it is GPTQ.
    const normThen = (weight: GPUBuffer, b: BoundLinear, role: string): LayerOp[] => {
      const prep = fuse && b.gptq ? this.prepareInputs(b, (k, part, t, maxM) => k.bindNorm(x, weight, part.w, t, this.step, maxM)) : null;
      if (prep) return [prep, lin(b, role)];
      const nb = k.rmsnorm.bind(x, weight, this.xn, this.step, { dim: D, maxM: B });
      return [(at, m) => k.rmsnorm.encode(at('rmsnorm'), nb, m), lin(b, role)];
    };

    this.embedBound = k.embedding.bind(this.ids, w.embedding, x, this.step, { maxM: B });
    const attShape = { nHeads: cfg.numHeads, nKv: cfg.numKvHeads, headDim: cfg.headDim, maxSeq: this.maxSeq, maxM: B, scale: attentionLogitScale(cfg) };
    this.layers = w.layers.map((L, l) => {
      const ops: LayerOp[] = [];
      // Attention input: q, k, v (stacked, or three linears).
      let src: { q: RowSource; k: RowSource; v: RowSource };
      if (L.qkv) {
        ops.push(...normThen(L.attnNorm, linear(L, 'qkv', this.xn, qkvBuf()), 'q/k/v'));
        src = { q: { buffer: qkvBuf(), offset: 0, stride: NQKV }, k: { buffer: qkvBuf(), offset: qDim, stride: NQKV }, v: { buffer: qkvBuf(), offset: qDim + kvDim, stride: NQKV } };
      } else {
        if (!L.q || !L.k || !L.v) throw new AppError('MALFORMED_WEIGHTS', `Layer ${l} has neither q/k/v nor stacked q/k/v weights.`);
        const nb = k.rmsnorm.bind(x, L.attnNorm, this.xn, this.step, { dim: D, maxM: B });
        ops.push((at, m) => k.rmsnorm.encode(at('rmsnorm'), nb, m));
        ops.push(lin(linear(L, 'q', this.xn, q()), 'q/k/v'), lin(linear(L, 'k', this.xn, kk()), 'q/k/v'), lin(linear(L, 'v', this.xn, v()), 'q/k/v'));
        src = { q: { buffer: q(), offset: 0, stride: qDim }, k: { buffer: kk(), offset: 0, stride: kvDim }, v: { buffer: v(), offset: 0, stride: kvDim } };
      }
      // RoPE (+ Qwen3 q/k norm) and the KV cache append.
      let qAtt: GPUBuffer;
      if (ropeKv) {
        const norms = cfg.qkNorm && L.qNorm && L.kNorm ? { q: L.qNorm, k: L.kNorm } : null;
        const aux = this.track(RopeKvStoreKernel.aux(ctx, invFreqHost, cfg.headDim, norms, auxCopies, `rope-kv.aux[${l}]`));
        const b = ropeKv.bind(src, aux, qRot(), this.kv.k[l], this.kv.v[l], this.step, attShape, norms !== null);
        ops.push((at, m) => ropeKv.encode(at('rope-kv-store'), b, m));
        qAtt = qRot();
      } else {
        const qNorm = normHeads(q(), L.qNorm, cfg.numHeads), kNorm = normHeads(kk(), L.kNorm, cfg.numKvHeads);
        const ropeQ = k.rope.bind(q(), invFreq, this.step, { nHeads: cfg.numHeads, headDim: cfg.headDim, maxM: B });
        const ropeK = k.rope.bind(kk(), invFreq, this.step, { nHeads: cfg.numKvHeads, headDim: cfg.headDim, maxM: B });
        const storeK = k.kvStore.bind(kk(), this.kv.k[l], this.step, { kvDim, maxSeq: this.maxSeq, maxM: B });
        const storeV = k.kvStore.bind(v(), this.kv.v[l], this.step, { kvDim, maxSeq: this.maxSeq, maxM: B });
        ops.push((at, m) => {
          if (headNorm && qNorm) headNorm.encode(at('head-rmsnorm'), qNorm, m);
          if (headNorm && kNorm) headNorm.encode(at('head-rmsnorm'), kNorm, m);
          k.rope.encode(at('rope'), ropeQ, m);
          k.rope.encode(at('rope'), ropeK, m);
          k.kvStore.encode(at('kv-store'), storeK, m);
          k.kvStore.encode(at('kv-store'), storeV, m);
        });
        qAtt = q();
      }
      const attention = k.attention.bind(qAtt, this.kv.k[l], this.kv.v[l], att, this.step, attShape);
      ops.push((at, m) => k.attention.encode(at('attention'), attention, m));
      ops.push(lin(linear(L, 'o', att, x, true), 'o'));
      // The MLP: sparse (MoE), stacked gate/up, or gate and up.
      if (L.moe && moe) {
        const nb = k.rmsnorm.bind(x, L.ffnNorm, this.xn, this.step, { dim: D, maxM: B });
        const mb = moe.bindLayer(L.moe, this.xn, x);
        ops.push((at, m) => k.rmsnorm.encode(at('rmsnorm'), nb, m), (at, m) => mb.encode(at, m));
      } else if (L.gateUp && L.down) {
        ops.push(...normThen(L.ffnNorm, linear(L, 'gateUp', this.xn, gateUpBuf()), 'gate/up'));
        const down = linear(L, 'down', gateUpBuf(), x, true);
        const prep = down.gptq ? this.prepareInputs(down, (k, part, t, maxM) => k.bindGlu(gateUpBuf(), part.w, t, this.step, maxM), 'gptq-prepare-glu') : null;
        if (!prep) throw new AppError('INTERNAL', `Layer ${l}: stacked gate/up needs a GPTQ down projection.`);
        ops.push(prep, lin(down, 'down'));
      } else if (L.gate && L.up && L.down) {
        const nb = k.rmsnorm.bind(x, L.ffnNorm, this.xn, this.step, { dim: D, maxM: B });
        const sm = k.siluMul.bind(gate(), up(), gate(), this.step, { f: F, maxM: B });
        ops.push((at, m) => k.rmsnorm.encode(at('rmsnorm'), nb, m), lin(linear(L, 'gate', this.xn, gate()), 'gate/up'), lin(linear(L, 'up', this.xn, up()), 'gate/up'));
        ops.push((at, m) => k.siluMul.encode(at('silu-mul'), sm, m), lin(linear(L, 'down', gate(), x, true), 'down'));
      } else throw new AppError('MALFORMED_WEIGHTS', `Layer ${l} has no MLP weights.`);
      return ops;
    });
    ctx.device.queue.submit([auxCopies.finish()]);
    this.finalNorm = k.rmsnorm.bind(x, w.finalNorm, this.xn, this.step, { dim: D, maxM: B });
    const head = w.lmHead;
    if (head.kind === 'gptq') {
      const b = k.gptqMatvecLast.bind(this.xn, head.w, this.logitsLast, this.step, this.matvecVariant?.(head.w));
      this.lmHeadLast = { encode: (pass) => k.gptqMatvecLast.encode(pass, b, 1), kernel: () => `gptq-matvec[${b.variant}]` };
    } else {
      const b = k.denseMatvecLast.bind(this.xn, head.w, this.logitsLast, this.step, this.tuned.denseVariant?.(head.w));
      this.lmHeadLast = { encode: (pass) => k.denseMatvecLast.encode(pass, b, 1), kernel: () => `dense-matvec[${b.variant}]` };
    }
    this.sampleBound = k.sample.bind(this.logitsLast, this.history, this.tokenOut, this.step, { vocab: V, maxSeq: this.maxSeq + 1 }, { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1 });
  }

  /** Binds a linear layer twice: as a matvec (decode, m = 1) and as a matmul (prefill, m > 1). */
  private bindLinear(l: GpuLinear, input: GPUBuffer, output: GPUBuffer, accumulate = false): BoundLinear {
    const k = this.kernels, B = this.maxBatch;
    if (l.kind === 'gptq') {
      const kv = accumulate ? k.gptqMatvecAcc : k.gptqMatvec, km = accumulate ? k.gptqMatmulAcc : k.gptqMatmul;
      const mv = kv.bind(input, l.w, output, this.step, this.matvecVariant?.(l.w));
      const mm = km.bind(input, l.w, output, this.step, { maxM: B }, this.tuned.matmulTile?.(l.w));
      return { encode: (pass, m) => (m === 1 ? kv.encode(pass, mv, 1) : km.encode(pass, mm, m)), kernel: (m) => (m === 1 ? `gptq-matvec[${mv.variant}]` : `gptq-matmul[${mm.variant}]`), gptq: [{ w: l.w, mv, mm }] };
    }
    const kv = accumulate ? k.denseMatvecAcc : k.denseMatvec, km = accumulate ? k.denseMatmulAcc : k.denseMatmul;
    const mv = kv.bind(input, l.w, output, this.step, this.tuned.denseVariant?.(l.w));
    const mm = km.bind(input, l.w, output, this.step, { maxM: B }, this.tuned.denseMatmulTile?.(l.w));
    return { encode: (pass, m) => (m === 1 ? kv.encode(pass, mv, 1) : km.encode(pass, mm, m)), kernel: (m) => (m === 1 ? `dense-matvec[${mv.variant}]` : `dense-matmul[${mm.variant}]`) };
  }

  /**
   * A layer's linear `key` with what bindLinear does not cover: an 8-bit layer's low half (accumulated onto the
   * high half's output) and a dense layer's bias (added in place after it).
   */
  private bindLayerLinear(L: GpuLayerWeights, key: LinearKey | FusedKey, input: GPUBuffer, output: GPUBuffer, accumulate = false): BoundLinear {
    const main = this.bindLinear(L[key]!, input, output, accumulate);
    const lowW = L.lowHalf?.[key];
    const biasW = L.bias?.[key];
    if (!lowW && !biasW) return main;
    const low = lowW ? this.bindLinear(lowW, input, output, true) : null;
    const biasAdd = biasW ? (this.biasAdd ??= new BiasAddKernel(this.ctx)) : null;
    const bias = biasAdd && biasW ? biasAdd.bind(output, biasW, this.step, { n: L[key]!.N, maxM: this.maxBatch }) : null;
    return {
      encode: (pass, m) => {
        main.encode(pass, m);
        low?.encode(pass, m);
        if (biasAdd && bias) biasAdd.encode(pass, bias, m);
      },
      kernel: (m) => (low ? `${main.kernel(m)}×2` : `${main.kernel(m)}+bias`),
      ...(main.gptq && low?.gptq && !bias ? { gptq: [...main.gptq, ...low.gptq] } : {}),
    };
  }

  /**
   * One op preparing the input of every GPTQ binding of `b` (matvec for m = 1, matmul otherwise) with `bind`,
   * which also marks those bindings to skip their own prepare.
   */
  private prepareInputs(b: BoundLinear, bind: (k: GptqPrepareKernel, part: NonNullable<BoundLinear['gptq']>[number], target: GptqBound, maxM: number) => GptqPrepareBound, label = 'gptq-prepare-norm'): LayerOp | null {
    if (!b.gptq) return null;
    const k = (this.prepare ??= new GptqPrepareKernel(this.ctx, { eps: this.cfg.rmsNormEps }));
    const parts = b.gptq.map((part) => ({ mv: bind(k, part, part.mv, 1), mm: bind(k, part, part.mm, this.maxBatch) }));
    return (at, m) => { for (const p of parts) k.encode(at(label), m === 1 ? p.mv : p.mm, m); };
  }

  static create(ctx: GpuContext, cfg: LlamaConfig, w: GpuLlamaWeights, opts: LlamaGpuOptions): LlamaGpu {
    return new LlamaGpu(ctx, cfg, w, opts);
  }

  private track<T extends GPUBuffer>(b: T): T {
    this.buffers.push(b);
    return b;
  }

  /** Encodes the layers and the final norm for a batch of m tokens already written to `ids`. */
  private encodeBody(at: PassFor, m: number): void {
    const k = this.kernels;
    const lin = (l: BoundLinear, role: string) => l.encode(at(`${l.kernel(m)} ${role}`), m);
    k.embedding.encode(at('embedding'), this.embedBound, m);
    for (const ops of this.layers) for (const op of ops) op(at, m);
    k.rmsnorm.encode(at('rmsnorm'), this.finalNorm, m);
  }

  private setSampler(s: SamplerOptions): void {
    const key = `${s.temperature}|${s.topK}|${s.topP}|${s.repetitionPenalty}`;
    if (key !== this.samplerKey) {
      this.kernels.sample.setOptions(this.ctx.device.queue, this.sampleBound, s);
      this.samplerKey = key;
    }
  }

  private checkRoom(pos0: number, m: number): void {
    if (pos0 + m > this.maxSeq) {
      throw new AppError('BAD_ARGUMENT', `The sequence needs ${pos0 + m} positions but the context holds ${this.maxSeq}.`);
    }
  }

  /**
   * One forward over tokens at positions pos0.. (m ≤ maxBatch); when `sample`, samples the next id on the GPU and
   * returns the staging buffer its copy is on the way to (read it with readToken). `tokens` null: one token at
   * pos0 that is the id the previous sampling forward left on the GPU (ids[0], and history[pos0] written by the
   * sampler), so the forward needs nothing from the CPU but the step uniform.
   * With a profiler every kernel gets its own timestamped pass (slower; for `bench --profile` only).
   */
  private submitForward(tokens: number[] | null, pos0: number, sample: { s: SamplerOptions; step: number } | null, prof?: GpuProfiler): GPUBuffer | null {
    const m = tokens ? tokens.length : 1;
    this.checkRoom(pos0, m);
    const q = this.ctx.device.queue;
    if (tokens) {
      q.writeBuffer(this.ids, 0, new Uint32Array(tokens));
      q.writeBuffer(this.history, pos0 * 4, new Uint32Array(tokens));
    }
    writeStep(this.ctx, this.step, { pos0, m, seed: sample?.s.seed ?? 0, sampleStep: sample?.step ?? 0 });
    const enc = this.ctx.device.createCommandEncoder();
    let pass = enc.beginComputePass(prof?.pass('(pass start)'));
    const at: PassFor = prof ? (label) => { pass.end(); return (pass = enc.beginComputePass(prof.pass(label))); } : () => pass;
    this.encodeBody(at, m);
    if (sample) {
      this.lmHeadLast.encode(at(`${this.lmHeadLast.kernel(1)} lm_head`), 1);
      this.kernels.sample.encode(at('sample'), this.sampleBound);
    }
    pass.end();
    prof?.resolve(enc);
    let staging: GPUBuffer | null = null;
    if (sample) {
      // The sampled id becomes the next forward's input on the GPU (no round trip), and is copied out for the CPU.
      enc.copyBufferToBuffer(this.tokenOut, 0, this.ids, 0, 4);
      staging = this.stagingFree.pop() ?? this.track(this.ctx.device.createBuffer({ size: 16, usage: 0x01 | 0x08, label: 'token.staging' })); // MAP_READ | COPY_DST, u32 [4] ([0] used)
      enc.copyBufferToBuffer(this.tokenOut, 0, staging, 0, 4);
    }
    q.submit([enc.finish()]);
    this.kvWrites++;
    return staging;
  }

  /** Waits for a sampled id to arrive in `staging`, returns the buffer to the pool, and checks the id. */
  private async readToken(staging: GPUBuffer): Promise<number> {
    await staging.mapAsync(1); // GPUMapMode.READ
    const id = new Uint32Array(staging.getMappedRange(0, 4))[0];
    staging.unmap();
    this.stagingFree.push(staging);
    throwIfGpuError(this.ctx);
    if (id >= this.cfg.vocabSize) throw new AppError('INTERNAL', `The GPU sampler returned token ${id}, outside the vocabulary.`);
    return id;
  }

  /**
   * Dispatches one decode token encodes (m = 1: embedding, layers, final norm, lm_head, sampler), counted by
   * encoding it into a stand-in pass that only counts (nothing is submitted).
   */
  dispatchesPerToken(): number {
    let n = 0;
    const pass = { setPipeline() {}, setBindGroup() {}, dispatchWorkgroups() { n++; } } as unknown as GPUComputePassEncoder;
    this.encodeBody(() => pass, 1);
    this.lmHeadLast.encode(pass, 1);
    this.kernels.sample.encode(pass, this.sampleBound);
    return n;
  }

  /**
   * The labels of the kernels a forward of m tokens runs through the layers (embedding to final norm), in order,
   * e.g. "dense-matmul[tm8 rt8 wg32 tf] q/k/v": encoded into a stand-in pass that only records (nothing is submitted).
   */
  kernelLabels(m: number): string[] {
    const labels: string[] = [];
    const pass = { setPipeline() {}, setBindGroup() {}, dispatchWorkgroups() {} } as unknown as GPUComputePassEncoder;
    this.encodeBody((label) => { labels.push(label); return pass; }, m);
    return labels;
  }

  /** Forwards that have written the KV cache so far (prefill chunks, decode steps, logitsAll). */
  get kvWriteCount(): number {
    return this.kvWrites;
  }

  /**
   * Runs `tokens` at positions pos0.. (in chunks of maxBatch; pos0 > 0 continues a sequence whose first pos0
   * positions are already in the KV cache) and samples the token after the last one (sampling draw 0).
   * Everything is submitted before this returns; the promise is the sampled id's read-back, so further steps
   * (decodeNext) may be queued behind it before awaiting it.
   */
  prefill(tokens: number[], s: SamplerOptions, pos0 = 0): Promise<number> {
    if (tokens.length === 0) return Promise.reject(new AppError('BAD_ARGUMENT', 'The prompt is empty.'));
    try {
      this.checkRoom(pos0, tokens.length);
      this.setSampler(s);
      let staging: GPUBuffer | null = null;
      for (let p = 0; p < tokens.length; p += this.maxBatch) {
        const chunk = tokens.slice(p, p + this.maxBatch);
        const last = p + chunk.length >= tokens.length;
        staging = this.submitForward(chunk, pos0 + p, last ? { s, step: 0 } : null);
      }
      return this.readToken(staging!);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Feeds `tokens` at positions pos0.. without sampling, in chunks of maxBatch exactly as prefill() would, and
   * resolves when the GPU has finished them: a long prompt fed in such segments ahead of prefill() can be
   * stopped between segments (src/model/engine.ts). The KV cache then holds positions up to pos0 + tokens.length.
   */
  async feed(tokens: number[], pos0: number): Promise<void> {
    this.checkRoom(pos0, tokens.length);
    for (let p = 0; p < tokens.length; p += this.maxBatch) this.submitForward(tokens.slice(p, p + this.maxBatch), pos0 + p, null);
    await this.ctx.device.queue.onSubmittedWorkDone();
    throwIfGpuError(this.ctx);
  }

  /** Feeds `token` at position `pos` and returns the next sampled id. `step` numbers the sampling draws. */
  decode(token: number, pos: number, s: SamplerOptions, step: number): Promise<number> {
    try {
      this.setSampler(s);
      return this.readToken(this.submitForward([token], pos, { s, step })!);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Pipelined decode: feeds, at position `pos`, the id that the previous prefill/decode sampled, without waiting
   * for it to reach the CPU, and samples the next one. Submitted before this returns; the promise is its
   * read-back. The caller must call it in position order right after the forward that sampled the input.
   */
  decodeNext(pos: number, s: SamplerOptions, step: number): Promise<number> {
    try {
      this.setSampler(s);
      return this.readToken(this.submitForward(null, pos, { s, step })!);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * decode() with every kernel in its own timestamped pass: returns the next id and the GPU time of each kernel
   * (label = kernel name + role, e.g. "gptq-matvec gate/up"). The profiler needs capacity for ~15 passes per layer.
   */
  async decodeProfiled(token: number, pos: number, s: SamplerOptions, step: number, prof: GpuProfiler): Promise<{ token: number; rows: ProfileRow[] }> {
    this.setSampler(s);
    prof.reset();
    const next = await this.readToken(this.submitForward([token], pos, { s, step }, prof)!);
    const rows = (await prof.read()).filter((r) => r.label !== '(pass start)');
    return { token: next, rows };
  }

  /** Logits at every position of a fresh sequence (for tests and `cli logits`). */
  async logitsAll(tokens: number[]): Promise<Float32Array[]> {
    this.checkRoom(0, tokens.length);
    const V = this.cfg.vocabSize;
    if (!this.allLogits) {
      const buffer = this.track(createBuffer(this.ctx, this.maxBatch * V * 4, STORAGE, 'logits.all')); // f32 [maxBatch, V]
      this.allLogits = { buffer, head: this.bindLinear(this.w.lmHead, this.xn, buffer) };
    }
    const out: Float32Array[] = [];
    for (let p = 0; p < tokens.length; p += this.maxBatch) {
      const chunk = tokens.slice(p, p + this.maxBatch);
      const m = chunk.length;
      const q = this.ctx.device.queue;
      q.writeBuffer(this.ids, 0, new Uint32Array(chunk));
      writeStep(this.ctx, this.step, { pos0: p, m });
      const enc = this.ctx.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      this.encodeBody(() => pass, m);
      this.allLogits.head.encode(pass, m);
      pass.end();
      const staging = this.ctx.device.createBuffer({ size: m * V * 4, usage: 0x01 | 0x08 });
      enc.copyBufferToBuffer(this.allLogits.buffer, 0, staging, 0, m * V * 4);
      q.submit([enc.finish()]);
      this.kvWrites++;
      await staging.mapAsync(1);
      const data = new Float32Array(staging.getMappedRange().slice(0));
      staging.unmap();
      staging.destroy();
      throwIfGpuError(this.ctx);
      for (let i = 0; i < m; i++) out.push(data.slice(i * V, (i + 1) * V));
    }
    return out;
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers.length = 0;
  }
}
