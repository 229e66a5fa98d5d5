// Grouped-by-expert prefill kernels against their CPU twins: grouping the routing slots by expert, the grouped
// gate/up (same result as the per-token kernel's twin), the per-slot grouped down and the combine into the
// residual — with tokens sharing experts (more than TM = 4 tokens per expert), experts over several chunk
// buffers, and both the act-order and the vec4 paths.
import { describe, expect, it } from 'vitest';
import { moeExpertDownCpu, moeExpertGateUpCpu } from '../../src/gpu/cpu/moe-expert';
import { moeCombineCpu, moeExpertDownSlotsCpu, moeGroupCpu } from '../../src/gpu/cpu/moe-grouped';
import { moeRouteCpu } from '../../src/gpu/cpu/moe-route';
import { createBuffer, STORAGE } from '../../src/gpu/context';
import { repackGptq } from '../../src/gpu/gptq-repack';
import { uploadExperts } from '../../src/gpu/kernels/moe-expert';
import { MoeCombineKernel, MoeExpertDownGroupedKernel, MoeExpertGateUpGroupedKernel, MoeGroupKernel, moeGroupsBytes } from '../../src/gpu/kernels/moe-grouped';
import { quantizeRtn } from '../../src/model/convert/gptq';
import { packGptq } from '../../src/model/gptq-pack';
import { packExperts } from '../../src/model/moe-expert-pack';
import { seededRandom } from '../../src/shared/random';
import { maxAbsDiff, randomFloats, readF32, readU32, runPass, stepBuffer, testGpu, upload } from './helpers';

const ctx = await testGpu();

function randomPacked(N: number, K: number, G: number, seed: number, actOrder: boolean) {
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
  return repackGptq({ ...packGptq(quantizeRtn(w, N, K, { groupSize: G, sym: false, actOrder, format: 'v1' }, order)), format: 'v1' });
}

describe('grouped MoE prefill kernels', () => {
  const D = 64, F = 48, E = 6, k = 2, m = 11, maxM = 16;
  for (const actOrder of [true, false]) {
    it(`11 tokens, 6 experts top-2, 3 chunks, ${actOrder ? 'act-order' : 'vec4'} path: same act and residual as the per-token twins`, async () => {
      const gu = packExperts(Array.from({ length: E }, (_, e) => [randomPacked(F, D, 32, 10 + e, actOrder), randomPacked(F, D, 32, 20 + e, actOrder)]), 2 * 2 * F * (D / 8) * 4);
      const dn = packExperts(Array.from({ length: E }, (_, e) => [randomPacked(D, F, 16, 30 + e, actOrder)]), 2 * D * (F / 8) * 4);
      expect(gu.chunks.length).toBe(3);
      const x = randomFloats(m * D, 5, 1);
      const route = moeRouteCpu(randomFloats(m * E, 6, 0.3), m, E, k, true);
      const groupsWant = moeGroupCpu(route, m, k, E, maxM);
      expect(Math.max(...Array.from({ length: E }, (_, e) => groupsWant[e * (1 + maxM)]))).toBeGreaterThan(4); // some expert has > TM tokens
      const y0 = randomFloats(m * D, 7, 1);
      const act = moeExpertGateUpCpu(gu, x, route, m, k);
      const slots = moeExpertDownSlotsCpu(dn, act, route, m, k);
      const yWant = moeCombineCpu(slots, y0.slice(), m, k, D);
      expect(maxAbsDiff(yWant, moeExpertDownCpu(dn, act, route, m, k, y0.slice()))).toBeLessThan(1e-5); // twins agree

      const step = stepBuffer(ctx, { pos0: 0, m });
      const routeBuf = upload(ctx, route), yBuf = upload(ctx, y0);
      const groups = createBuffer(ctx, moeGroupsBytes(E, maxM), STORAGE);
      const actBuf = createBuffer(ctx, maxM * k * F * 4, STORAGE), outBuf = createBuffer(ctx, maxM * k * D * 4, STORAGE);
      const g = uploadExperts(ctx, gu, 'gu'), d = uploadExperts(ctx, dn, 'down');
      const kg = new MoeGroupKernel(ctx), ku = new MoeExpertGateUpGroupedKernel(ctx), kd = new MoeExpertDownGroupedKernel(ctx), kc = new MoeCombineKernel(ctx);
      const bg = kg.bind(routeBuf, groups, step, { nExperts: E, topK: k, maxM });
      const bu = ku.bind(upload(ctx, x), routeBuf, groups, g.w, actBuf, step, { topK: k, maxM });
      const bd = kd.bind(actBuf, groups, d.w, outBuf, step, { topK: k, maxM });
      const bc = kc.bind(outBuf, yBuf, step, { D, topK: k, maxM });
      await runPass(ctx, (pass) => {
        kg.encode(pass, bg);
        ku.encode(pass, bu, m);
        kd.encode(pass, bd, m);
        kc.encode(pass, bc, m);
      });
      const groupsGot = await readU32(ctx, groups, groupsWant.length);
      for (let e = 0; e < E; e++) {
        const b = e * (1 + maxM), n = groupsWant[b];
        expect(Array.from(groupsGot.subarray(b, b + 1 + n)), `expert ${e}`).toEqual(Array.from(groupsWant.subarray(b, b + 1 + n)));
      }
      expect(maxAbsDiff(await readF32(ctx, actBuf, m * k * F), act)).toBeLessThan(1e-5);
      expect(maxAbsDiff(await readF32(ctx, outBuf, m * k * D), slots)).toBeLessThan(1e-5);
      expect(maxAbsDiff(await readF32(ctx, yBuf, m * D), yWant)).toBeLessThan(1e-5);
    });
  }
});
