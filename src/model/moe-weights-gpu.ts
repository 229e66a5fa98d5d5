// Uploads one sparse (MoE) layer's MLP: the router (dense `.weight` or GPTQ `.qweight`, whichever exists), all
// experts' GPTQ gate/up and down projections concatenated into expert chunks that each fit one binding
// (src/model/moe-expert-pack.ts), and Qwen2-MoE's shared expert with its scalar gate. Called by
// uploadLlamaWeights (src/model/weights-gpu.ts) with its helpers for ordinary linears.
import type { GpuContext } from '../gpu/context';
import { repackGptq, type PackedGptq } from '../gpu/gptq-repack';
import { maxExpertBindingBytes, uploadExperts, type GpuExperts } from '../gpu/kernels/moe-expert';
import { AppError, throwIfAborted } from '../shared/errors';
import type { Checkpoint } from './checkpoint';
import { packExperts } from './moe-expert-pack';
import { moeTensorNames } from './reference';
import type { GpuLinear } from './weights-gpu';

export interface GpuMoeLayer {
  router: GpuLinear; // [D] -> [E]
  gateUp: GpuExperts; // per expert [2F, D]: gate rows then up rows
  down: GpuExperts; // per expert [D, F]
  /** Qwen2-MoE: the shared expert's MLP and shared_expert_gate [D] -> [1]. */
  shared?: { gate: GpuLinear; up: GpuLinear; down: GpuLinear; gateLogit: GpuLinear };
}

export interface MoeUploadHelpers {
  /** weights-gpu's linear(): dense or GPTQ by the tensors that exist, shape-checked. */
  linear(prefix: string, K: number, N: number): Promise<GpuLinear>;
  track(buffers: GPUBuffer[], bytes: number): void;
  tick(name: string, fileBytes: number): void;
  signal?: AbortSignal;
  /** Test hook: the most bytes one expert chunk buffer may hold. */
  maxChunkBytes?: number;
}

async function expertGptq(ck: Checkpoint, prefix: string, K: number, N: number, h: MoeUploadHelpers): Promise<PackedGptq> {
  throwIfAborted(h.signal);
  expertKind(ck, prefix);
  const t = await ck.gptq(prefix);
  if (!t) throw new AppError('MALFORMED_WEIGHTS', `${prefix} could not be read as a GPTQ layer.`);
  if (t.K !== K || t.N !== N) throw new AppError('MALFORMED_WEIGHTS', `${prefix} is ${t.K}→${t.N} but the config implies ${K}→${N}.`);
  h.tick(prefix, t.qweight.byteLength + t.qzeros.byteLength + t.scales.byteLength + t.gIdx.byteLength);
  return repackGptq(t);
}

/**
 * Checks, from the tensor names alone (before the GPU is touched), that every sparse layer has all its experts
 * and that they are 4-bit quantised: missing → MALFORMED_WEIGHTS naming the tensor, unquantised or 8-bit →
 * UNSUPPORTED_MODEL / UNSUPPORTED_QUANTIZATION.
 */
export function checkMoeForGpu(ck: Checkpoint): void {
  const cfg = ck.config, moe = cfg.moe;
  if (!moe) return;
  for (let l = 0; l < cfg.numLayers; l++) {
    if (!moe.sparse[l]) continue;
    for (let e = 0; e < moe.numExperts; e++) {
      const n = moeTensorNames(cfg.architecture, e);
      for (const t of [n.gate, n.up, n.down]) expertKind(ck, `model.layers.${l}.${t}`);
    }
  }
}

function expertKind(ck: Checkpoint, prefix: string): void {
  if (!ck.has(`${prefix}.qweight`)) {
    if (ck.has(`${prefix}.weight`)) throw new AppError('UNSUPPORTED_MODEL', `${prefix} is an unquantised expert; on the GPU the engine runs mixture-of-experts models with GPTQ/AWQ 4-bit experts (unquantised ones run on the CPU reference only). Pick a GPTQ or AWQ 4-bit MoE model.`);
    throw new AppError('MALFORMED_WEIGHTS', `The expert tensor ${prefix} (.qweight or .weight) is missing from the checkpoint. Download the model again.`);
  }
  if (ck.config.quant?.bits === 8) throw new AppError('UNSUPPORTED_QUANTIZATION', `${prefix} is an 8-bit GPTQ expert; the GPU engine runs 4-bit mixture-of-experts experts only. Pick a 4-bit GPTQ or AWQ MoE model.`);
}

export async function uploadMoeLayer(ctx: GpuContext, ck: Checkpoint, p: string, h: MoeUploadHelpers): Promise<GpuMoeLayer> {
  const cfg = ck.config, moe = cfg.moe!;
  const D = cfg.hiddenSize, F = moe.expertIntermediateSize, E = moe.numExperts;
  const router = await h.linear(`${p}.${moeTensorNames(cfg.architecture, 0).router}`, D, E);
  const gu: PackedGptq[][] = [], dn: PackedGptq[][] = [];
  for (let e = 0; e < E; e++) {
    const n = moeTensorNames(cfg.architecture, e);
    gu.push([await expertGptq(ck, `${p}.${n.gate}`, D, F, h), await expertGptq(ck, `${p}.${n.up}`, D, F, h)]);
    dn.push([await expertGptq(ck, `${p}.${n.down}`, F, D, h)]);
  }
  const limit = maxExpertBindingBytes(ctx, h.maxChunkBytes);
  const up = (parts: PackedGptq[][], label: string): GpuExperts => {
    const r = uploadExperts(ctx, packExperts(parts, limit), label);
    h.track(r.buffers, r.bytes);
    return r.w;
  };
  const gateUp = up(gu, `${p}.experts.gate_up`);
  gu.length = 0;
  const down = up(dn, `${p}.experts.down`);
  if (moe.sharedExpertIntermediateSize === 0) return { router, gateUp, down };
  const S = moe.sharedExpertIntermediateSize, s = `${p}.mlp.shared_expert`;
  return {
    router, gateUp, down,
    shared: {
      gate: await h.linear(`${s}.gate_proj`, D, S),
      up: await h.linear(`${s}.up_proj`, D, S),
      down: await h.linear(`${s}.down_proj`, S, D),
      gateLogit: await h.linear(`${p}.mlp.shared_expert_gate`, D, 1),
    },
  };
}
