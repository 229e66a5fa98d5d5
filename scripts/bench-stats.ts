// Small statistics shared by the interleaved benchmark scripts (A, B, A, B rounds on a noisy machine).
/** The middle value (upper middle for an even count). */
export const median = (v: number[]): number => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)];
/** x rounded to d decimals, for printing. */
export const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
