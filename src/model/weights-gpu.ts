// Uploads a checkpoint's tensors to the GPU once, in the layout the kernels read best: GPTQ layers are
// repacked ([N, K/8] words, scale+zero per row and group, act-order resolved by a permutation of x), dense
// tensors stay [rows, cols] (f32, or f16 pairs when the file is F16) split into chunks under the adapter's
// binding limit. AWQ layers arrive already repacked into GPTQ tensors (Checkpoint.gptq); 8-bit GPTQ layers are
// split into two exact 4-bit halves (repackGptq8Split), the low half kept in the layer's extras with dense
// biases (Qwen2) and Qwen3's q/k norms. Progress is reported per tensor; the AbortSignal is checked between tensors.
import type { GpuContext } from '../gpu/context';
import { uploadBuffer } from '../gpu/context';
import { destroyDense, uploadDense, type DenseWeight } from '../gpu/dense-weight';
import { concatPackedGptq, destroyGptq, repackGptq, repackGptq8Split, uploadGptq, type GpuGptq, type PackedGptq } from '../gpu/gptq-repack';
import { AppError, throwIfAborted } from '../shared/errors';
import type { ProgressCallback } from '../shared/progress';
import { LINEAR_NAMES as LINEARS, QK_NORM_NAMES, type Checkpoint, type LinearKey } from './checkpoint';
import type { LlamaConfig } from './config';
import { checkMoeForGpu, uploadMoeLayer, type GpuMoeLayer } from './moe-weights-gpu';

/** The stacked linears of a layer (concatPackedGptq): q/k/v, and gate/up. */
export type FusedKey = 'qkv' | 'gateUp';

export type GpuLinear = { kind: 'gptq'; w: GpuGptq; K: number; N: number } | { kind: 'dense'; w: DenseWeight; K: number; N: number };

/**
 * What a layer needs beyond its seven GpuLinears (LlamaGpu binds these next to each linear):
 *   bias:    dense q/k/v (or other) biases, f32 [N] (Qwen2 without GPTQ; GPTQ layers carry theirs in GpuGptq);
 *   lowHalf: 8-bit GPTQ layers: the linear above is the high 4-bit half, this the low half (y = hi·x + lo·x);
 *   qNorm / kNorm: Qwen3's per-head RMSNorm weights, f32 [headDim].
 */
export interface GpuLayerExtras {
  bias?: Partial<Record<LinearKey | FusedKey, GPUBuffer>>;
  lowHalf?: Partial<Record<LinearKey | FusedKey, GpuLinear>>;
  qNorm?: GPUBuffer;
  kNorm?: GPUBuffer;
}

export interface GpuLayerWeights extends GpuLayerExtras {
  attnNorm: GPUBuffer; // f32 [D]
  /** q, k, v each on its own, or (fused at load, UploadOptions.fuse) stacked into `qkv`. */
  q?: GpuLinear; // [D] -> [nHeads*headDim]
  k?: GpuLinear; // [D] -> [nKv*headDim]
  v?: GpuLinear; // [D] -> [nKv*headDim]
  /** q, k, v stacked along the output rows: output row i = [q | k | v] of token i. */
  qkv?: GpuLinear; // [D] -> [nHeads*headDim + 2*nKv*headDim]
  o: GpuLinear; // [nHeads*headDim] -> [D]
  ffnNorm: GPUBuffer; // f32 [D]
  /** The dense MLP; absent in a sparse (MoE) layer, which has `moe` instead. */
  gate?: GpuLinear; // [D] -> [F]
  up?: GpuLinear; // [D] -> [F]
  down?: GpuLinear; // [F] -> [D]
  /** gate and up stacked (fused at load when down is GPTQ): output row i = [gate | up] of token i; gate, up absent. */
  gateUp?: GpuLinear; // [D] -> [2F]
  /** A sparse layer's router, experts and shared expert (src/model/moe-weights-gpu.ts). */
  moe?: GpuMoeLayer;
}

export interface GpuLlamaWeights {
  embedding: DenseWeight; // [V, D]
  layers: GpuLayerWeights[];
  finalNorm: GPUBuffer; // f32 [D]
  lmHead: GpuLinear; // [D] -> [V] (the embedding itself when tied)
  /** Bytes of weight data on the GPU. */
  bytes: number;
  destroy(): void;
}

export interface UploadOptions {
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /** Test hook: split dense tensors into chunks of at most this many bytes. */
  maxChunkBytes?: number;
  /**
   * Stack q/k/v, and gate/up, into one GPTQ linear each where they share their input preparation, and dense q/k/v
   * of one dtype into one dense linear (default true; GpuLayerWeights.qkv / gateUp). false keeps one linear per
   * projection (the unfused reference path).
   */
  fuse?: boolean;
}

export async function uploadLlamaWeights(ctx: GpuContext, ck: Checkpoint, opts: UploadOptions = {}): Promise<GpuLlamaWeights> {
  const cfg = ck.config;
  if (cfg.clipQkv !== null && cfg.clipQkv !== undefined) {
    throw new AppError(
      'UNSUPPORTED_MODEL',
      `${cfg.architecture} with clip_qkv ${cfg.clipQkv} runs on the CPU reference only so far, not on the GPU engine. Pick a model whose config has clip_qkv null (OLMoE-1B-7B-0924 does).`,
    );
  }
  checkMoeForGpu(ck); // every expert present and 4-bit, before the GPU is touched
  const fuse = opts.fuse !== false;
  const buffers: GPUBuffer[] = [];
  const denses: DenseWeight[] = [];
  const gptqs: GpuGptq[] = [];
  let bytes = 0;
  const total = ck.weightBytes;
  let loaded = 0;
  const tick = (name: string, n: number) => {
    loaded += n;
    opts.onProgress?.({ phase: 'upload', loaded: Math.min(loaded, total), total, file: name });
  };

  ctx.device.pushErrorScope('out-of-memory');
  try {
    const vec = async (name: string): Promise<GPUBuffer> => {
      throwIfAborted(opts.signal);
      const data = await ck.readF32(name);
      const buf = uploadBuffer(ctx, data, name);
      buffers.push(buf);
      bytes += data.byteLength;
      tick(name, ck.info(name).byteLength);
      return buf;
    };
    type DenseData = Float32Array | { f16: Uint16Array };
    const uploadDenseData = (data: DenseData, rows: number, cols: number): DenseWeight => {
      const w = uploadDense(ctx, data, rows, cols, { maxChunkBytes: opts.maxChunkBytes });
      denses.push(w);
      bytes += data instanceof Float32Array ? data.byteLength : data.f16.byteLength;
      return w;
    };
    /** A dense [rows, cols] tensor read (shape and dtype checked), not yet uploaded. */
    const denseHost = async (name: string, rows: number, cols: number): Promise<DenseData> => {
      throwIfAborted(opts.signal);
      const info = ck.info(name);
      if (info.shape.length !== 2 || info.shape[0] !== rows || info.shape[1] !== cols) {
        throw new AppError('MALFORMED_WEIGHTS', `${name} has shape [${info.shape}] but the config implies [${rows}, ${cols}].`);
      }
      const raw = await ck.read(name);
      const data = raw instanceof Uint16Array ? { f16: raw } : raw instanceof Float32Array ? raw : null;
      if (!data) throw new AppError('MALFORMED_WEIGHTS', `${name} has dtype ${info.dtype}; a float tensor was expected.`);
      tick(name, info.byteLength);
      return data;
    };
    const dense = async (name: string, rows: number, cols: number): Promise<DenseWeight> => uploadDenseData(await denseHost(name, rows, cols), rows, cols);
    const checkLinearShape = (prefix: string, t: { K: number; N: number }, K: number, N: number) => {
      if (t.K !== K || t.N !== N) {
        throw new AppError('MALFORMED_WEIGHTS', `${prefix} is ${t.K}→${t.N} but the config implies ${K}→${N}.`);
      }
    };
    const uploadPacked = (packed: PackedGptq, prefix: string): GpuLinear => {
      const w = uploadGptq(ctx, packed, { label: prefix });
      gptqs.push(w);
      bytes += packed.words.byteLength + packed.sz.byteLength + (packed.perm?.byteLength ?? 0) + (packed.bias?.byteLength ?? 0);
      return { kind: 'gptq', w, K: packed.K, N: packed.N };
    };
    /** A GPTQ layer read and repacked (not yet uploaded); null when the layer is not GPTQ (dense). */
    type Packed = { bits: 4; w: PackedGptq } | { bits: 8; hi: PackedGptq; lo: PackedGptq };
    const readPacked = async (prefix: string, K: number, N: number, lowHalfOk: boolean): Promise<Packed | null> => {
      throwIfAborted(opts.signal);
      const t8 = await ck.gptq8(prefix);
      if (t8) {
        checkLinearShape(prefix, t8, K, N);
        if (!lowHalfOk) throw new AppError('UNSUPPORTED_QUANTIZATION', `${prefix} is an 8-bit GPTQ layer; an 8-bit quantized lm_head is not supported. Pick a model whose lm_head is not quantized (the usual case).`);
        const { hi, lo } = repackGptq8Split(t8);
        tick(prefix, t8.qweight.byteLength + t8.qzeros.byteLength + t8.scales.byteLength + t8.gIdx.byteLength);
        return { bits: 8, hi, lo };
      }
      const t = await ck.gptq(prefix);
      if (!t) return null;
      checkLinearShape(prefix, t, K, N);
      const w = repackGptq(t);
      tick(prefix, t.qweight.byteLength + t.qzeros.byteLength + t.scales.byteLength + t.gIdx.byteLength);
      return { bits: 4, w };
    };
    /** Uploads a packed layer; an 8-bit layer's low half goes to extras.lowHalf[key]. */
    const uploadLinear = (pk: Packed, prefix: string, key: LinearKey | FusedKey, into: GpuLayerExtras): GpuLinear => {
      if (pk.bits === 4) return uploadPacked(pk.w, prefix);
      (into.lowHalf ??= {})[key] = uploadPacked(pk.lo, `${prefix}.lo`);
      return uploadPacked(pk.hi, `${prefix}.hi`);
    };
    const denseLinear = async (prefix: string, K: number, N: number, extras?: { key: LinearKey; into: GpuLayerExtras }, data?: DenseData): Promise<GpuLinear> => {
      const w = uploadDenseData(data ?? (await denseHost(`${prefix}.weight`, N, K)), N, K);
      if (ck.has(`${prefix}.bias`)) {
        if (!extras) throw new AppError('UNSUPPORTED_MODEL', `${prefix}.bias is not supported (only layer linears may have a bias).`);
        (extras.into.bias ??= {})[extras.key] = await biasVec(`${prefix}.bias`, N);
      }
      return { kind: 'dense', w, K, N };
    };
    /** A linear layer; `extras` collects what the GpuLinear itself cannot hold (dense bias, 8-bit low half). */
    const linear = async (prefix: string, K: number, N: number, extras?: { key: LinearKey; into: GpuLayerExtras }): Promise<GpuLinear> => {
      const pk = await readPacked(prefix, K, N, !!extras);
      return pk && extras ? uploadLinear(pk, prefix, extras.key, extras.into) : pk ? uploadLinear(pk, prefix, 'q', {}) : denseLinear(prefix, K, N, extras);
    };
    /**
     * The first `fused` of `keys` stacked into one linear (concatPackedGptq) when all of `keys` are GPTQ of one
     * bit width and the stacked ones share their input preparation; otherwise (or with fuse off) each on its own.
     */
    const linearGroup = async (p: string, keys: LinearKey[], fused: number, fusedKey: FusedKey, shapes: Record<string, [number, number]>, lin: Partial<Record<LinearKey | FusedKey, GpuLinear>>, extras: GpuLayerExtras) => {
      const name = (key: LinearKey) => `${p}.${LINEARS.find(([k]) => k === key)![1]}`;
      const packs: (Packed | null)[] = [];
      for (const key of keys) packs.push(await readPacked(name(key), shapes[key][0], shapes[key][1], true));
      let done = 0;
      if (fuse && packs.every((pk) => pk && pk.bits === packs[0]!.bits)) {
        const parts = packs.slice(0, fused) as Packed[];
        if (parts[0].bits === 4) {
          const w = concatPackedGptq(parts.map((pk) => (pk as { w: PackedGptq }).w));
          if (w) { lin[fusedKey] = uploadPacked(w, `${p}.${fusedKey}`); done = fused; }
        } else {
          const hi = concatPackedGptq(parts.map((pk) => (pk as { hi: PackedGptq }).hi));
          const lo = concatPackedGptq(parts.map((pk) => (pk as { lo: PackedGptq }).lo));
          if (hi && lo) { lin[fusedKey] = uploadLinear({ bits: 8, hi, lo }, `${p}.${fusedKey}`, fusedKey, extras); done = fused; }
        }
      }
      // Dense (unquantised) q/k/v: the rows stacked likewise when the three share a dtype, biases concatenated
      // (zeros where one has none). Dense gate/up stay apart (silu·up is folded into a GPTQ down's preparation only).
      const denseData: (DenseData | undefined)[] = [];
      if (fuse && fusedKey === 'qkv' && packs.every((pk) => pk === null)) {
        for (const key of keys) denseData.push(await denseHost(`${name(key)}.weight`, shapes[key][1], shapes[key][0]));
        const f32 = denseData.every((d) => d instanceof Float32Array), f16 = denseData.every((d) => !(d instanceof Float32Array));
        if (f32 || f16) {
          const K = shapes[keys[0]][0], N = keys.reduce((n, key) => n + shapes[key][1], 0);
          const rowsOf = (d: DenseData) => (d instanceof Float32Array ? d : d.f16);
          const all = f32 ? new Float32Array(N * K) : new Uint16Array(N * K);
          let off = 0;
          for (const d of denseData) { all.set(rowsOf(d!), off); off += rowsOf(d!).length; }
          lin[fusedKey] = { kind: 'dense', w: uploadDenseData(all instanceof Float32Array ? all : { f16: all }, N, K), K, N };
          if (keys.some((key) => ck.has(`${name(key)}.bias`))) {
            const b = new Float32Array(N);
            let n = 0;
            for (const key of keys) {
              const bn = `${name(key)}.bias`;
              if (ck.has(bn)) {
                const shape = ck.info(bn).shape;
                if (shape.length !== 1 || shape[0] !== shapes[key][1]) throw new AppError('MALFORMED_WEIGHTS', `${bn} has shape [${shape}] but the layer has ${shapes[key][1]} outputs.`);
                b.set(await ck.readF32(bn), n);
                tick(bn, ck.info(bn).byteLength);
              }
              n += shapes[key][1];
            }
            const buf = uploadBuffer(ctx, b, `${p}.qkv.bias`); // f32 [N]
            buffers.push(buf);
            bytes += b.byteLength;
            (extras.bias ??= {}).qkv = buf;
          }
          return;
        }
      }
      for (let i = done; i < keys.length; i++) {
        const key = keys[i], pk = packs[i];
        lin[key] = pk ? uploadLinear(pk, name(key), key, extras) : await denseLinear(name(key), shapes[key][0], shapes[key][1], { key, into: extras }, denseData[i]);
      }
    };
    const biasVec = async (name: string, n: number): Promise<GPUBuffer> => {
      const shape = ck.info(name).shape;
      if (shape.length !== 1 || shape[0] !== n) throw new AppError('MALFORMED_WEIGHTS', `${name} has shape [${shape}] but the layer has ${n} outputs.`);
      return vec(name);
    };

    const D = cfg.hiddenSize, F = cfg.intermediateSize, qDim = cfg.numHeads * cfg.headDim, kvDim = cfg.numKvHeads * cfg.headDim;
    const embedding = await dense('model.embed_tokens.weight', cfg.vocabSize, D);
    const layers: GpuLayerWeights[] = [];
    for (let l = 0; l < cfg.numLayers; l++) {
      const p = `model.layers.${l}`;
      const shapes: Record<string, [number, number]> = { q: [D, qDim], k: [D, kvDim], v: [D, kvDim], o: [qDim, D], gate: [D, F], up: [D, F], down: [F, D] };
      const lin: Partial<Record<LinearKey | FusedKey, GpuLinear>> = {};
      const extras: GpuLayerExtras = {};
      const sparse = cfg.moe?.sparse[l] ?? false;
      // q/k/v stacked into one linear (not with OLMoE's whole-projection q/k norm, which LlamaGpu runs unfused).
      if (cfg.qkNormWhole) for (const key of ['q', 'k', 'v'] as const) lin[key] = await linear(`${p}.${LINEARS.find(([k]) => k === key)![1]}`, shapes[key][0], shapes[key][1], { key, into: extras });
      else await linearGroup(p, ['q', 'k', 'v'], 3, 'qkv', shapes, lin, extras);
      lin.o = await linear(`${p}.self_attn.o_proj`, shapes.o[0], shapes.o[1], { key: 'o', into: extras });
      // gate/up stacked when down is GPTQ too (its input preparation applies silu(gate)·up); a sparse layer has no dense MLP.
      if (!sparse) await linearGroup(p, ['gate', 'up', 'down'], 2, 'gateUp', shapes, lin, extras);
      const moe = sparse
        ? await uploadMoeLayer(ctx, ck, p, {
            linear: (prefix, K, N) => linear(prefix, K, N),
            track: (b, n) => { buffers.push(...b); bytes += n; },
            tick, signal: opts.signal, maxChunkBytes: opts.maxChunkBytes,
          })
        : undefined;
      if (cfg.qkNorm) {
        for (const [which, name] of Object.entries(QK_NORM_NAMES) as ['q' | 'k', string][]) {
          const shape = ck.info(`${p}.${name}`).shape;
          // OLMoE (qkNormWhole): one norm over the whole projection, [heads·head_dim] / [kv_heads·head_dim].
          const want = cfg.qkNormWhole ? (which === 'q' ? qDim : kvDim) : cfg.headDim;
          if (shape.length !== 1 || shape[0] !== want) throw new AppError('MALFORMED_WEIGHTS', `${p}.${name} has shape [${shape}] but ${cfg.qkNormWhole ? 'the projection has' : 'head_dim is'} ${want}.`);
          extras[which === 'q' ? 'qNorm' : 'kNorm'] = await vec(`${p}.${name}`);
        }
      }
      layers.push({
        attnNorm: await vec(`${p}.input_layernorm.weight`),
        ffnNorm: await vec(`${p}.post_attention_layernorm.weight`),
        ...(lin as Pick<GpuLayerWeights, 'o'>),
        ...extras,
        ...(moe ? { moe } : {}),
      });
    }
    const finalNorm = await vec('model.norm.weight');
    let lmHead: GpuLinear;
    if (ck.has('lm_head.qweight')) lmHead = await linear('lm_head', D, cfg.vocabSize);
    else if (ck.has('lm_head.weight')) lmHead = { kind: 'dense', w: await dense('lm_head.weight', cfg.vocabSize, D), K: D, N: cfg.vocabSize };
    else if (cfg.tieWordEmbeddings) lmHead = { kind: 'dense', w: embedding, K: D, N: cfg.vocabSize };
    else throw new AppError('MALFORMED_WEIGHTS', 'The model has no lm_head.weight and config.json does not tie it to the embeddings. Download the model again.');

    return {
      embedding,
      layers,
      finalNorm,
      lmHead,
      bytes,
      destroy() {
        for (const b of buffers) b.destroy();
        for (const d of denses) destroyDense(d);
        for (const g of gptqs) destroyGptq(g);
      },
    };
  } finally {
    const err = await ctx.device.popErrorScope();
    if (err) {
      throw new AppError('ADAPTER_TOO_SMALL', `The GPU ran out of memory while loading this model (about ${(ck.weightBytes / 2 ** 30).toFixed(2)} GiB of weights plus the KV cache are needed). Pick a smaller model or close other GPU-heavy tabs.`);
    }
  }
}
