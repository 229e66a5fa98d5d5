// A sparse (MoE) layer's MLP in the GPU forward (LlamaGpu binds one per sparse layer), for m ≥ 1 tokens:
//   logits = router · xn                       (dense or GPTQ matvec/matmul, [m, E])
//   route  = moe-route(logits)                 (softmax over all experts in f32, top-k, optional renormalisation)
//   act    = w · silu(G_e xn) · (U_e xn)       per token and slot, e read from route on the GPU
//   x     += Σ_slots D_e act                   (only the chosen experts' weights are read)
//   Qwen2-MoE: h = silu(Gs xn) · (Us xn) · sigmoid(gs · xn);  x += Ds h
// Decode (m = 1): the per-token kernels (shaders/moe-expert-gate-up.wgsl, moe-expert-down.wgsl).
// Prefill (m > 1): grouped by expert (src/gpu/kernels/moe-grouped.ts): the slots are listed per expert on the
// GPU, each chosen expert's weights are read once per 4 of its tokens, the per-slot down outputs are summed
// into the residual. Everything stays on the GPU: no read-back to route.
import { createBuffer, STORAGE, type GpuContext } from '../gpu/context';
import { MoeExpertDownKernel, MoeExpertGateUpKernel, type MoeExpertBound } from '../gpu/kernels/moe-expert';
import { MoeRouteKernel, type MoeRouteBound } from '../gpu/kernels/moe-route';
import { MoeCombineKernel, MoeExpertDownGroupedKernel, MoeExpertGateUpGroupedKernel, MoeGroupKernel, moeGroupsBytes } from '../gpu/kernels/moe-grouped';
import { MoeSharedGateKernel, type MoeSharedGateBound } from '../gpu/kernels/moe-shared-gate';
import { SiluMulKernel, type SiluMulBound } from '../gpu/kernels/silu-mul';
import type { LlamaConfig } from './config';
import type { GpuMoeLayer } from './moe-weights-gpu';
import type { GpuLinear } from './weights-gpu';

/** LlamaGpu's bound linear (matvec for m = 1, matmul for m > 1). */
export interface MoeBoundLinear {
  encode(pass: GPUComputePassEncoder, m: number): void;
  kernel(m: number): string;
}

export type BindLinear = (l: GpuLinear, input: GPUBuffer, output: GPUBuffer, accumulate?: boolean) => MoeBoundLinear;

export interface MoeLayerBound {
  encode(at: (label: string) => GPUComputePassEncoder, m: number): void;
}

/** The MoE kernels and scratch buffers, shared by all sparse layers of one LlamaGpu. */
export class MoeGpu {
  private readonly route: MoeRouteKernel;
  private readonly gateUp: MoeExpertGateUpKernel;
  private readonly down: MoeExpertDownKernel;
  private readonly siluMul: SiluMulKernel;
  private readonly sharedGate: MoeSharedGateKernel;
  private readonly group: MoeGroupKernel;
  private readonly gateUpGrouped: MoeExpertGateUpGroupedKernel;
  private readonly downGrouped: MoeExpertDownGroupedKernel;
  private readonly combine: MoeCombineKernel;
  private readonly groups: GPUBuffer; // u32 [E, 1 + B]: per expert the count, then the slots that chose it
  private readonly slotOut: GPUBuffer; // f32 [B, topK, D]: per-slot down outputs (prefill)
  private readonly logits: GPUBuffer; // f32 [B, E]
  private readonly routeBuf: GPUBuffer; // u32 [B, topK, 2]: expert id, f32 weight bits
  private readonly act: GPUBuffer; // f32 [B, topK, F]
  private readonly sGate: GPUBuffer | null; // f32 [B, S] (silu(gate)·up·sigmoid(g) in place)
  private readonly sUp: GPUBuffer | null; // f32 [B, S]
  private readonly sLogit: GPUBuffer | null; // f32 [B, 1]
  readonly buffers: GPUBuffer[] = [];

  constructor(ctx: GpuContext, private readonly cfg: LlamaConfig, private readonly maxBatch: number, private readonly step: GPUBuffer, private readonly bindLinear: BindLinear) {
    const moe = cfg.moe!, B = maxBatch;
    this.route = new MoeRouteKernel(ctx);
    this.gateUp = new MoeExpertGateUpKernel(ctx);
    this.down = new MoeExpertDownKernel(ctx);
    this.siluMul = new SiluMulKernel(ctx);
    this.sharedGate = new MoeSharedGateKernel(ctx);
    this.group = new MoeGroupKernel(ctx);
    this.gateUpGrouped = new MoeExpertGateUpGroupedKernel(ctx);
    this.downGrouped = new MoeExpertDownGroupedKernel(ctx);
    this.combine = new MoeCombineKernel(ctx);
    const buf = (bytes: number, label: string) => {
      const b = createBuffer(ctx, bytes, STORAGE, label);
      this.buffers.push(b);
      return b;
    };
    this.logits = buf(B * moe.numExperts * 4, 'moe.logits');
    this.routeBuf = buf(B * moe.topK * 8, 'moe.route');
    this.act = buf(B * moe.topK * moe.expertIntermediateSize * 4, 'moe.act');
    this.groups = buf(moeGroupsBytes(moe.numExperts, B), 'moe.groups');
    this.slotOut = buf(B * moe.topK * cfg.hiddenSize * 4, 'moe.slot_out');
    const S = moe.sharedExpertIntermediateSize;
    this.sGate = S ? buf(B * S * 4, 'moe.shared.gate') : null;
    this.sUp = S ? buf(B * S * 4, 'moe.shared.up') : null;
    this.sLogit = S ? buf(B * 4, 'moe.shared.logit') : null;
  }

  /** Binds one sparse layer: reads xn f32 [B, D], adds the MLP's output into x f32 [B, D]. */
  bindLayer(L: GpuMoeLayer, xn: GPUBuffer, x: GPUBuffer): MoeLayerBound {
    const moe = this.cfg.moe!, B = this.maxBatch;
    const router = this.bindLinear(L.router, xn, this.logits);
    const route: MoeRouteBound = this.route.bind(this.logits, this.routeBuf, this.step, { nExperts: moe.numExperts, topK: moe.topK, normTopK: moe.normTopK });
    const gu: MoeExpertBound = this.gateUp.bind(xn, this.routeBuf, L.gateUp, this.act, this.step, { topK: moe.topK, maxM: B });
    const dn: MoeExpertBound = this.down.bind(this.act, this.routeBuf, L.down, x, this.step, { topK: moe.topK, maxM: B });
    const grouped = {
      group: this.group.bind(this.routeBuf, this.groups, this.step, { nExperts: moe.numExperts, topK: moe.topK, maxM: B }),
      gateUp: this.gateUpGrouped.bind(xn, this.routeBuf, this.groups, L.gateUp, this.act, this.step, { topK: moe.topK, maxM: B }),
      down: this.downGrouped.bind(this.act, this.groups, L.down, this.slotOut, this.step, { topK: moe.topK, maxM: B }),
      combine: this.combine.bind(this.slotOut, x, this.step, { D: this.cfg.hiddenSize, topK: moe.topK, maxM: B }),
    };
    let shared: { gate: MoeBoundLinear; up: MoeBoundLinear; logit: MoeBoundLinear; silu: SiluMulBound; scale: MoeSharedGateBound; down: MoeBoundLinear } | null = null;
    if (L.shared && this.sGate && this.sUp && this.sLogit) {
      const S = moe.sharedExpertIntermediateSize;
      shared = {
        gate: this.bindLinear(L.shared.gate, xn, this.sGate),
        up: this.bindLinear(L.shared.up, xn, this.sUp),
        logit: this.bindLinear(L.shared.gateLogit, xn, this.sLogit),
        silu: this.siluMul.bind(this.sGate, this.sUp, this.sGate, this.step, { f: S, maxM: B }),
        scale: this.sharedGate.bind(this.sGate, this.sLogit, this.step, { f: S, maxM: B }),
        down: this.bindLinear(L.shared.down, this.sGate, x, true),
      };
    }
    return {
      encode: (at, m) => {
        router.encode(at(`${router.kernel(m)} moe router`), m);
        this.route.encode(at('moe-route'), route, m);
        if (m === 1) {
          this.gateUp.encode(at('moe-expert gate/up'), gu, m);
          this.down.encode(at('moe-expert down'), dn, m);
        } else {
          this.group.encode(at('moe-group'), grouped.group);
          this.gateUpGrouped.encode(at('moe-expert-grouped gate/up'), grouped.gateUp, m);
          this.downGrouped.encode(at('moe-expert-grouped down'), grouped.down, m);
          this.combine.encode(at('moe-combine'), grouped.combine, m);
        }
        if (shared) {
          shared.gate.encode(at(`${shared.gate.kernel(m)} shared gate/up`), m);
          shared.up.encode(at(`${shared.up.kernel(m)} shared gate/up`), m);
          shared.logit.encode(at(`${shared.logit.kernel(m)} shared gate`), m);
          this.siluMul.encode(at('silu-mul'), shared.silu, m);
          this.sharedGate.encode(at('moe-shared-gate'), shared.scale, m);
          shared.down.encode(at(`${shared.down.kernel(m)} shared down`), m);
        }
      },
    };
  }
}
