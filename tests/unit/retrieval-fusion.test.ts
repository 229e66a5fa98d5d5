import { describe, expect, it } from 'vitest';
import { reciprocalRankFusion, RRF_K } from '../../src/retrieval/fusion';
import { DenseIndex, normalize } from '../../src/retrieval/dense-index';

describe('reciprocal rank fusion', () => {
  it('sums 1/(k + rank) over the lists that contain an item', () => {
    const fused = reciprocalRankFusion([
      ['a', 'b', 'c'],
      ['c', 'a'],
    ]);
    const score = Object.fromEntries(fused.map((f) => [f.key, f.score]));
    expect(RRF_K).toBe(60);
    expect(score.a).toBeCloseTo(1 / 61 + 1 / 62, 15);
    expect(score.c).toBeCloseTo(1 / 63 + 1 / 61, 15);
    expect(score.b).toBeCloseTo(1 / 62, 15);
    expect(fused.map((f) => f.key)).toEqual(['a', 'c', 'b']);
  });
  it('lets an item ranked well by both lists beat one ranked first by a single list', () => {
    const fused = reciprocalRankFusion([['x', 'both'], ['y', 'both']], 1);
    expect(fused[0].key).toBe('both'); // 1/3 + 1/3 > 1/2
  });
});

describe('dense index', () => {
  it('ranks by cosine similarity within one model, profile and document filter', () => {
    const idx = new DenseIndex();
    idx.addDocument('d1', 'm', 'p', 2, new Float32Array([1, 0, 0, 3, 1, 1]));
    idx.addDocument('d2', 'other-model', 'p', 2, new Float32Array([1, 0]));
    // Same model, vectors from another profile (e.g. without the E5 prefixes): never compared with this query.
    idx.addDocument('d3', 'm', 'old-profile', 2, new Float32Array([1, 2]));
    const hits = idx.search('m', 'p', new Float32Array([1, 2]), 3);
    expect(hits.map((h) => h.chunk)).toEqual([2, 1, 0]);
    expect(hits[0].score).toBeCloseTo(3 / Math.sqrt(10), 6);
    expect(hits[2].score).toBeCloseTo(1 / Math.sqrt(5), 6);
    expect(hits.every((h) => h.docId === 'd1')).toBe(true);
    expect(idx.search('m', 'p', new Float32Array([1, 0]), 3, new Set(['d2']))).toEqual([]);
    expect(idx.search('m', 'old-profile', new Float32Array([1, 2]), 3)).toEqual([{ docId: 'd3', chunk: 0, score: expect.closeTo(1, 6) }]);
    expect(idx.otherProfile('m', 'p')).toEqual(['d3']);
    expect(idx.models().sort()).toEqual(['m', 'other-model']);
    expect(Array.from(normalize(new Float32Array([3, 4])))).toEqual([Math.fround(0.6), Math.fround(0.8)]);
  });
});
