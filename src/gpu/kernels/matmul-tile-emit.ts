// What the two prefill matmul tile generators share (GPTQ: gptq-matmul-tiles.ts, dense: dense-matmul-tiles.ts):
// the grid (dispatch units of 64 threads, workgroup index = wid.x + wid.y * stride / 64), how a workgroup finds
// its row block and token tile (row blocks of a token tile first, or — tokensFirst, "tf" — the token tiles of a
// row block first), and the uniform branch that runs a half-width K loop for short token tiles. The K loops and
// the stores differ (4-bit dequantisation with group scales vs f16 / f32 weights, a bias or none) and stay in
// each generator.

/** The geometry of a tile: TM tokens x RT rows per thread, WG threads per workgroup. */
export interface TileGeometry {
  tokens: number;
  rows: number;
  workgroup: number;
}

/** Appends one line of WGSL. */
export type Emit = (line: string) => void;

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Dispatch units of 64 threads (the wrappers' grid unit) for rows x m tokens. */
export function tileDispatchThreads(t: TileGeometry, rows: number, m: number): number {
  return Math.ceil(rows / (t.workgroup * t.rows)) * Math.ceil(m / t.tokens) * 64;
}

/**
 * The start of main(): M, the row-block count, this workgroup's index, its first token m0 and first row r_base
 * (lid added), and the uniform early return of a workgroup past the last row block / token tile. Needs the WGSL
 * constants TM, RT, WG and the bindings `step` and `p` (p.rows, p.stride).
 */
export function emitWorkgroupOrigin(e: Emit, tokensFirst: boolean): void {
  e('  let M = step.m;');
  e('  let row_blocks = (p.rows + WG * RT - 1u) / (WG * RT);');
  e('  let wg = wid.x + wid.y * (p.stride / 64u);');
  if (tokensFirst) {
    e('  let token_tiles = (M + TM - 1u) / TM;');
    e('  let m0 = (wg % token_tiles) * TM;');
    e('  let block = wg / token_tiles;');
    e('  let r_base = block * WG * RT + lid;');
    e('  if (block >= row_blocks) { return; } // uniform: whole workgroup');
  } else {
    e('  let m0 = (wg / row_blocks) * TM;');
    e('  let r_base = (wg % row_blocks) * WG * RT + lid;');
    e('  if (m0 >= M) { return; } // uniform: whole workgroup');
  }
}

/**
 * The K loop of a tile, emitted by `mainLoop(tokens, indent)` for the token indices it computes: all TM, or — tiles
 * of TM >= 8 — a second copy over the first TM / 2 tokens taken when the token tile holds at most TM / 2 tokens
 * (a short prefill chunk, the ragged last tile); the branch is uniform over the workgroup.
 */
export function emitTokenTileLoops(e: Emit, TM: number, mainLoop: (tokens: number[], indent: string) => void): void {
  if (TM >= 8) {
    e(`  if (M - m0 > ${TM / 2}u) { // uniform: more than TM / 2 tokens in this token tile`);
    mainLoop(range(TM), '    ');
    e(`  } else { // at most ${TM / 2} tokens: half the token work`);
    mainLoop(range(TM / 2), '    ');
    e('  }');
  } else {
    mainLoop(range(TM), '  ');
  }
}
