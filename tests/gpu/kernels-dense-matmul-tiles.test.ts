// Every generated tile of the dense prefill matmul (src/gpu/kernels/dense-matmul-tiles.ts, the default tile among
// them), the row-per-thread kernel (shaders/dense-matmul.wgsl) and the kernel's default choice against the CPU twin
// denseLinearCpu, f16 and f32 weights on both precision paths: one token, several token tiles
// with a ragged last one, ragged row blocks, row chunks, accumulate, K not a multiple of the 128-position x tile,
// and the fallback to the default where cols % 4 != 0. Runs on lavapipe and, with PDFCHAT_VK=swiftshader, on
// SwiftShader.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import { denseLinearCpu } from '../../src/gpu/cpu/dense-linear';
import { DenseMatmulKernel } from '../../src/gpu/kernels/dense-linear';
import { DEFAULT_DENSE_MATMUL_TILE, DENSE_MATMUL_TILES, denseMatmulTileByName, denseMatmulTileSource, denseTileSupports, ROW_PER_THREAD_DENSE_MATMUL, type DenseMatmulTile } from '../../src/gpu/kernels/dense-matmul-tiles';
import { PATHS, randomDenseWeight, randomFloats, readF32, relErr, runPass, stepBuffer, testGpu, upload } from './helpers';

describe.each(PATHS)('dense matmul tiles ($name)', ({ preferF16 }) => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await testGpu({ preferF16 }); });
  afterAll(() => ctx?.device.destroy());

  const cases = [
    // More rows than the largest block (512), ragged; K past one 128-position x tile, ragged.
    { K: 132, N: 600, dtype: 'f16' as const, acc: true },
    { K: 132, N: 70, dtype: 'f32' as const, acc: false, chunkRows: 16 },
    { K: 256, N: 40, dtype: 'f16' as const, acc: false, chunkRows: 12 },
    // cols % 4 != 0: every tile falls back to the default kernel.
    { K: 67, N: 45, dtype: 'f16' as const, acc: true },
  ];
  for (const c of cases) {
    it(`K=${c.K} N=${c.N} ${c.dtype}${c.acc ? ' accumulate' : ''}${c.chunkRows ? ' split' : ''}: default, row-per-thread and every tile, M = 1, 3, 9, 16`, async () => {
      const { w, W } = randomDenseWeight(ctx, c.K, c.N, c.dtype, c.K + c.N, c.chunkRows);
      if (c.chunkRows) expect(w.chunks.length).toBeGreaterThan(1);
      // undefined: the kernel's default (DEFAULT_DENSE_MATMUL_TILE where supported); null: row-per-thread.
      const choices: (DenseMatmulTile | null | undefined)[] = [undefined, null, ...DENSE_MATMUL_TILES];
      for (const tile of choices) {
        const k = new DenseMatmulKernel(ctx, { accumulate: c.acc, tile });
        for (const M of [1, 3, 9, 16]) {
          const x = randomFloats(M * c.K, M + 50);
          const y0 = c.acc ? randomFloats(M * c.N, M + 60) : undefined;
          const y = upload(ctx, y0 ?? new Float32Array(M * c.N));
          const bound = k.bind(upload(ctx, x), w, y, stepBuffer(ctx, { pos0: 0, m: M }), { maxM: 16 });
          const used = tile === undefined ? DEFAULT_DENSE_MATMUL_TILE : tile;
          expect(bound.variant).toBe(used && denseTileSupports(w) ? used.name : ROW_PER_THREAD_DENSE_MATMUL);
          await runPass(ctx, (p) => k.encode(p, bound, M));
          expect(ctx.firstError).toBeNull();
          expect(relErr(await readF32(ctx, y, M * c.N), denseLinearCpu(x, W, c.K, c.N, y0)), `${tile === undefined ? 'default' : tile?.name ?? 'row-per-thread'} M=${M}`).toBeLessThan(1e-5);
        }
      }
    });
  }

  it('tile names parse back; sources name their tile and compile the dtype in', () => {
    for (const t of DENSE_MATMUL_TILES) {
      expect(denseMatmulTileByName(t.name)).toEqual(t);
      const f16 = denseMatmulTileSource(t, 'f16'), f32 = denseMatmulTileSource(t, 'f32');
      expect(f16).toContain(`tile "${t.name}", f16 weights`);
      expect(f16).toContain('unpack2x16float');
      expect(f32).not.toContain('unpack2x16float');
      expect(f32).toContain(`@workgroup_size(${t.workgroup})`);
      expect(f32).toContain(`var a${t.rows - 1}_${t.tokens - 1} = 0.0;`);
      expect(f32.includes('let token_tiles'), t.name).toBe(t.tokensFirst);
      // One K loop (a second copy for short token tiles tripled the cold compile on lavapipe); TM >= 8 tiles
      // compute the upper half of the tokens under the uniform branch.
      expect(f32.match(/for \(var k0 = /g), t.name).toHaveLength(1);
      expect(f32.includes('if (full) {'), t.name).toBe(t.tokens >= 8);
    }
    expect(new Set(DENSE_MATMUL_TILES.map((t) => t.tokensFirst)).size).toBe(2); // both orders are tested above
    expect(denseMatmulTileByName('tm4 rt4')).toBeNull();
    expect(denseTileSupports({ cols: 2048 })).toBe(true);
    expect(denseTileSupports({ cols: 2050 })).toBe(false);
  });
});
