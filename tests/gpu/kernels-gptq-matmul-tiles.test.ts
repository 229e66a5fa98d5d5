// Every tile shape of the GPTQ prefill matmul (src/gpu/kernels/gptq-matmul-tiles.ts) against the CPU twin
// gptqLinearCpu: ragged row blocks, one token, several token tiles with a ragged last one, row chunks, act-order,
// bias, accumulate, one group over all of K, K not a multiple of 32, both workgroup orders, and the fallback to the
// default tile where a vec4 tile cannot run; and that shaders/gptq-matmul.wgsl is the generator's default tile.
// Runs on lavapipe and, with PDFCHAT_VK=swiftshader, on SwiftShader.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import { gptqLinearCpu } from '../../src/gpu/cpu/gptq-linear';
import { uploadGptq, type PackedGptq } from '../../src/gpu/gptq-repack';
import { GptqMatmulKernel } from '../../src/gpu/kernels/gptq-linear';
import { DEFAULT_MATMUL_TILE, GPTQ_MATMUL_TILES, gptqMatmulTileSource, parseTileName, tileSupports } from '../../src/gpu/kernels/gptq-matmul-tiles';
import { f32ToF16Bits } from '../../src/shared/f16';
import { randomFloats, readF32, relErr, runPass, stepBuffer, testGpu, upload } from './helpers';

function rng(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

/** A random layer in the repacked layout: random nibbles, scales 0.002..0.022, zeros 1..15, optional perm / bias. */
function randomPacked(K: number, N: number, groupSize: number, act: boolean, bias: boolean, seed: number): PackedGptq {
  const r = rng(seed);
  const nGroups = Math.ceil(K / groupSize);
  const words = Uint32Array.from({ length: (N * K) / 8 }, () => r());
  const sz = Uint32Array.from({ length: N * nGroups }, () => f32ToF16Bits(0.002 + (r() / 2 ** 32) * 0.02) | ((1 + (r() % 15)) << 16));
  let perm: Uint32Array | null = null;
  if (act) {
    perm = Uint32Array.from({ length: K }, (_, i) => i);
    for (let i = K - 1; i > 0; i--) { const j = r() % (i + 1); [perm[i], perm[j]] = [perm[j], perm[i]]; }
  }
  return { K, N, groupSize, nGroups, words, sz, perm, bias: bias ? randomFloats(N, seed + 1) : null };
}

describe('GPTQ matmul tiles', () => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await testGpu(); });
  afterAll(() => ctx?.device.destroy());

  const configs = [
    // More rows than the largest tile's 512-row block, ragged; act-order, bias, accumulate.
    { K: 256, N: 1100, G: 128, act: true, bias: true, acc: true },
    // Groups of 32 (one vec4 per group), rows split into chunks of 16.
    { K: 512, N: 40, G: 32, act: false, bias: false, acc: false, chunkRows: 16 },
    // One group over all of K; K not a multiple of the 128-position x tile.
    { K: 352, N: 72, G: 352, act: false, bias: true, acc: false },
    // K % 32 != 0: the vec4 tiles fall back to the default.
    { K: 200, N: 24, G: 40, act: true, bias: false, acc: true },
  ];
  for (const c of configs) {
    const label = `K=${c.K} N=${c.N} group ${c.G}${c.act ? ' act-order' : ''}${c.bias ? ' bias' : ''}${c.acc ? ' accumulate' : ''}${c.chunkRows ? ' split rows' : ''}`;
    it(`every tile, M = 1, 3, 9, 16 — ${label}`, async () => {
      const packed = randomPacked(c.K, c.N, c.G, c.act, c.bias, c.K + c.N);
      const w = uploadGptq(ctx, packed, c.chunkRows ? { maxChunkBytes: c.chunkRows * Math.ceil(c.K / 32) * 16 } : {});
      if (c.chunkRows) expect(w.chunks.length).toBeGreaterThan(1);
      for (const tile of GPTQ_MATMUL_TILES) {
        const k = new GptqMatmulKernel(ctx, { accumulate: c.acc, tile });
        for (const M of [1, 3, 9, 16]) {
          const x = randomFloats(M * c.K, M + 100);
          const y0 = c.acc ? randomFloats(M * c.N, M + 200) : undefined;
          const y = upload(ctx, y0 ?? new Float32Array(M * c.N));
          const bound = k.bind(upload(ctx, x), w, y, stepBuffer(ctx, { pos0: 0, m: M }), { maxM: 16 });
          expect(bound.variant).toBe(tileSupports(tile, w) ? tile.name : DEFAULT_MATMUL_TILE.name);
          await runPass(ctx, (p) => k.encode(p, bound, M));
          expect(ctx.firstError).toBeNull();
          expect(relErr(await readF32(ctx, y, M * c.N), gptqLinearCpu(x, packed, y0)), `${tile.name} M=${M}`).toBeLessThan(2e-6);
        }
      }
    });
  }

  it('shaders/gptq-matmul.wgsl is the generated default tile (regenerate: npx tsx scripts/write-gptq-matmul-default.ts)', () => {
    const file = readFileSync(new URL('../../shaders/gptq-matmul.wgsl', import.meta.url), 'utf8');
    expect(file).toBe(gptqMatmulTileSource(DEFAULT_MATMUL_TILE));
  });

  it('tile names parse back to their tiles (benchmarks name tiles that are not listed)', () => {
    for (const t of GPTQ_MATMUL_TILES) expect(parseTileName(t.name)).toEqual(t);
    expect(parseTileName('tm16 rt8 wg32 tf')).toMatchObject({ tokens: 16, rows: 8, workgroup: 32, vec4: false, tokensFirst: true });
    expect(parseTileName('tm4 rt8')).toBeNull();
  });

  it('the vec4 tiles need K % 32 == 0 and no 32-position quad across two groups', () => {
    const v4 = GPTQ_MATMUL_TILES.find((t) => t.vec4)!;
    expect(tileSupports(v4, { K: 256, groupSize: 32, nGroups: 8 })).toBe(true);
    expect(tileSupports(v4, { K: 256, groupSize: 16, nGroups: 16 })).toBe(false);
    expect(tileSupports(v4, { K: 200, groupSize: 200, nGroups: 1 })).toBe(false);
    expect(tileSupports(DEFAULT_MATMUL_TILE, { K: 200, groupSize: 40, nGroups: 5 })).toBe(true);
  });

  it('generated sources name their tile and declare the workgroup size and accumulators of that tile', () => {
    // Both workgroup orders are in the list (so the CPU-twin loop above runs both).
    expect(new Set(GPTQ_MATMUL_TILES.map((t) => !!t.tokensFirst)).size).toBe(2);
    for (const t of GPTQ_MATMUL_TILES) {
      const src = gptqMatmulTileSource(t);
      expect(src).toContain(`tile "${t.name}"`);
      expect(src).toContain(`@workgroup_size(${t.workgroup})`);
      expect(src).toContain(`var a${t.rows - 1}_${t.tokens - 1} = 0.0;`);
      expect(src).not.toContain(`var a${t.rows}_0 = 0.0;`);
      expect(src.includes('let token_tiles'), t.name).toBe(!!t.tokensFirst);
      // One K loop (a second copy for short token tiles tripled the cold compile on lavapipe); TM >= 8 tiles
      // compute the upper half of the tokens under the uniform branch.
      expect(src.match(/for \(var g = 0u; g < ng; g\+\+\)/g), t.name).toHaveLength(1);
      expect(src.includes('if (full) {'), t.name).toBe(t.tokens >= 8);
    }
  });
});
