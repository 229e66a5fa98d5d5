// MoE kernels against their CPU twins: routing (softmax + top-k + renormalisation), the chosen experts' fused
// gate/up + SwiGLU + routing weight, the down projection summed into the residual (experts split over several
// chunk buffers, act-order permutations), and the shared-expert gate. The twins are anchored to the plain
// spec dequantisation (dequantGptq) and routeTopK, so the kernels are checked against the math, not just
// against themselves.
import { describe, expect, it } from 'vitest';
import { moeRouteCpu } from '../../src/gpu/cpu/moe-route';
import { moeExpertDownCpu, moeExpertGateUpCpu } from '../../src/gpu/cpu/moe-expert';
import { moeSharedGateCpu } from '../../src/gpu/cpu/moe-shared-gate';
import { repackGptq, type PackedGptq } from '../../src/gpu/gptq-repack';
import { MoeExpertDownKernel, MoeExpertGateUpKernel, uploadExperts } from '../../src/gpu/kernels/moe-expert';
import { MoeRouteKernel } from '../../src/gpu/kernels/moe-route';
import { MoeSharedGateKernel } from '../../src/gpu/kernels/moe-shared-gate';
import { quantizeRtn } from '../../src/model/convert/gptq';
import { dequantGptq, packGptq } from '../../src/model/gptq-pack';
import { packExperts } from '../../src/model/moe-expert-pack';
import { routeTopK } from '../../src/model/moe';
import { createBuffer, STORAGE } from '../../src/gpu/context';
import { seededRandom } from '../../src/shared/random';
import { maxAbsDiff, randomFloats, readF32, readU32, runPass, stepBuffer, testGpu, upload } from './helpers';

const ctx = await testGpu();

/** A random GPTQ layer W [N, K] (RTN), optionally act-order: the packed GPU form and its plain dequantisation. */
function randomGptq(N: number, K: number, G: number, seed: number, actOrder: boolean): { packed: PackedGptq; W: Float32Array } {
  const rand = seededRandom(seed);
  const w = Float32Array.from({ length: N * K }, () => (rand() * 2 - 1) * Math.sqrt(3 / K));
  let order: number[] | undefined;
  if (actOrder) {
    order = Array.from({ length: K }, (_, k) => k);
    for (let i = K - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
  }
  const t = packGptq(quantizeRtn(w, N, K, { groupSize: G, sym: false, actOrder, format: 'v1' }, order));
  return { packed: repackGptq({ ...t, format: 'v1' }), W: dequantGptq(t) };
}

const matvec = (W: Float32Array, N: number, K: number, x: Float32Array, xb = 0) => Array.from({ length: N }, (_, n) => {
  let s = 0;
  for (let k = 0; k < K; k++) s += W[n * K + k] * x[xb + k];
  return s;
});

describe('moe-route', () => {
  for (const [E, k, norm] of [[8, 2, true], [60, 4, false], [128, 8, true]] as const) {
    it(`E=${E} top-${k} ${norm ? 'renormalised' : 'full-softmax weights'}, 5 tokens`, async () => {
      const m = 5;
      const logits = randomFloats(m * E, E + k, 3);
      logits[E + 3] = logits[E + 5]; // a tie in token 1: the lower id first (both twin and kernel)
      const want = moeRouteCpu(logits, m, E, k, norm);
      // twin = the rule of src/model/moe.ts
      expect(Array.from(want.subarray(0, 2 * k)).filter((_, i) => i % 2 === 0)).toEqual(routeTopK(logits.subarray(0, E), k, norm).ids);
      const route = createBuffer(ctx, m * k * 8, STORAGE);
      const kern = new MoeRouteKernel(ctx);
      const b = kern.bind(upload(ctx, logits), route, stepBuffer(ctx, { pos0: 0, m }), { nExperts: E, topK: k, normTopK: norm });
      await runPass(ctx, (pass) => kern.encode(pass, b, m));
      const got = await readU32(ctx, route, m * k * 2);
      const ids = (a: Uint32Array) => Array.from(a).filter((_, i) => i % 2 === 0);
      const ws = (a: Uint32Array) => Array.from(new Float32Array(a.buffer, a.byteOffset, a.length)).filter((_, i) => i % 2 === 1);
      expect(ids(got)).toEqual(ids(want));
      expect(maxAbsDiff(ws(got), ws(want))).toBeLessThan(1e-6);
    });
  }
});

describe('moe expert matvecs', () => {
  const D = 64, F = 48, E = 6, k = 2, m = 3;
  for (const [G, actOrder] of [[32, true], [-1, false]] as const) {
    it(`gate/up + SwiGLU + weight, then down into the residual: g${G}${actOrder ? ' act-order (permuted path)' : ' (vec4 path)'}, experts over 3 chunks`, async () => {
      const gate = Array.from({ length: E }, (_, e) => randomGptq(F, D, G, 10 + e, actOrder));
      const up = Array.from({ length: E }, (_, e) => randomGptq(F, D, G, 20 + e, actOrder));
      const down = Array.from({ length: E }, (_, e) => randomGptq(D, F, G === -1 ? -1 : 16, 30 + e, actOrder));
      // Chunks of 2 experts: the binding limit given as the bytes of 2 experts' largest buffer.
      const gu = packExperts(gate.map((g, e) => [g.packed, up[e].packed]), 2 * 2 * F * (D / 8) * 4);
      const dn = packExperts(down.map((d) => [d.packed]), 2 * D * (F / 8) * 4);
      expect(gu.chunks.length).toBe(3);
      expect(dn.chunks.length).toBe(3);
      // act-order chunks take the permuted path, the others the vec4 path without the permutation
      expect(gu.chunks.every((c) => c.identity === !actOrder) && dn.chunks.every((c) => c.identity === !actOrder)).toBe(true);
      const x = randomFloats(m * D, 5, 1);
      const route = moeRouteCpu(randomFloats(m * E, 6, 2), m, E, k, true);
      const y0 = randomFloats(m * D, 7, 1);

      // The twins against the plain dequantised math.
      const act = moeExpertGateUpCpu(gu, x, route, m, k);
      const yWant = moeExpertDownCpu(dn, act, route, m, k, y0.slice());
      const wf = new Float32Array(route.buffer);
      let worstTwin = 0;
      for (let t = 0; t < m; t++) {
        const ref = Array.from(y0.subarray(t * D, (t + 1) * D));
        for (let j = 0; j < k; j++) {
          const e = route[2 * (t * k + j)], w = wf[2 * (t * k + j) + 1];
          const g = matvec(gate[e].W, F, D, x, t * D), u = matvec(up[e].W, F, D, x, t * D);
          const h = Float32Array.from(g, (v, i) => (w * v) / (1 + Math.exp(-v)) * u[i]);
          matvec(down[e].W, D, F, h).forEach((v, n) => (ref[n] += v));
        }
        worstTwin = Math.max(worstTwin, maxAbsDiff(yWant.subarray(t * D, (t + 1) * D), ref));
      }
      expect(worstTwin).toBeLessThan(1e-4);

      const g = uploadExperts(ctx, gu, 'gu'), d = uploadExperts(ctx, dn, 'down');
      const step = stepBuffer(ctx, { pos0: 0, m });
      const routeBuf = upload(ctx, route), xBuf = upload(ctx, x), yBuf = upload(ctx, y0);
      const actBuf = createBuffer(ctx, m * k * F * 4, STORAGE);
      const kg = new MoeExpertGateUpKernel(ctx), kd = new MoeExpertDownKernel(ctx);
      const bg = kg.bind(xBuf, routeBuf, g.w, actBuf, step, { topK: k, maxM: m });
      const bd = kd.bind(actBuf, routeBuf, d.w, yBuf, step, { topK: k, maxM: m });
      await runPass(ctx, (pass) => {
        kg.encode(pass, bg, m);
        kd.encode(pass, bd, m);
      });
      expect(maxAbsDiff(await readF32(ctx, actBuf, m * k * F), act)).toBeLessThan(1e-5);
      expect(maxAbsDiff(await readF32(ctx, yBuf, m * D), yWant)).toBeLessThan(1e-5);
    });
  }
});

describe('moe-shared-gate', () => {
  it('h[t, :] *= sigmoid(g[t])', async () => {
    const m = 4, f = 40;
    const h = randomFloats(m * f, 1, 2), g = randomFloats(m, 2, 4);
    const want = moeSharedGateCpu(h, g, f);
    expect(want[f + 3]).toBeCloseTo(h[f + 3] / (1 + Math.exp(-g[1])), 6);
    const hBuf = upload(ctx, h);
    const kern = new MoeSharedGateKernel(ctx);
    const b = kern.bind(hBuf, upload(ctx, g), stepBuffer(ctx, { pos0: 0, m }), { f, maxM: m });
    await runPass(ctx, (pass) => kern.encode(pass, b, m));
    expect(maxAbsDiff(await readF32(ctx, hBuf, m * f), want)).toBeLessThan(1e-6);
  });
});
