// What the two prefill matmul tile generators share (GPTQ: gptq-matmul-tiles.ts, dense: dense-matmul-tiles.ts):
// the grid (dispatch units of 64 threads, workgroup index = wid.x + wid.y * stride / 64), how a workgroup finds
// its row block and token tile (row blocks of a token tile first, or — tokensFirst, "tf" — the token tiles of a
// row block first), and the uniform branch that skips the upper half of a short token tile. The K loops and
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
 * Tiles of TM >= 8 skip the upper TM / 2 tokens of a token tile that holds at most TM / 2 (a short prefill
 * chunk, the ragged last tile): `lower` are the token indices every K step computes, `upper` those computed
 * under the uniform flag `full` only (empty below TM = 8: one K loop over all TM tokens, no flag). ONE K loop
 * serves both cases, the upper tokens' dot products inside `if (full) { … }` once per weight load (per quad for
 * the dense tiles): a second copy of the K loop for the short tiles (as before 2f0d3b3) took LLVM on lavapipe
 * about 3x as long to compile (docs/PERFORMANCE-NOTES.md, session 5). Every accumulator still sees the same
 * additions in the same order.
 */
export function tokenHalves(TM: number): { lower: number[]; upper: number[] } {
  const T = range(TM);
  return TM >= 8 ? { lower: T.slice(0, TM / 2), upper: T.slice(TM / 2) } : { lower: T, upper: [] };
}

/**
 * For tiles with upper tokens (tokenHalves): `full` (more than TM / 2 tokens in this token tile; uniform over the
 * workgroup) and `nt`, the tokens whose x the K loop copies into workgroup memory. Needs M and m0.
 */
export function emitTokenTileFlag(e: Emit, TM: number): void {
  if (tokenHalves(TM).upper.length === 0) return;
  e(`  let full = M - m0 > ${TM / 2}u; // uniform: more than TM / 2 tokens in this token tile`);
  e(`  let nt = select(${TM / 2}u, TM, full); // tokens whose x is copied per K tile`);
}

/** The token count of the x copy loop: `nt` where the tile has upper tokens, else all TM. */
export function tokensCopied(TM: number): string {
  return tokenHalves(TM).upper.length ? 'nt' : 'TM';
}

/** Emits the lines `body` writes for the upper tokens inside the uniform `if (full)` (one level deeper); nothing if none. */
export function emitUpperTokens(e: Emit, upper: number[], body: (emit: Emit) => void): void {
  if (upper.length === 0) return;
  e('if (full) {');
  body((s) => e(`  ${s}`));
  e('}');
}
