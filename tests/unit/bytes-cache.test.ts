// The viewer's in-memory PDF bytes are bounded: least recently used out first, the one just stored always kept.
import { describe, expect, it } from 'vitest';
import { BytesCache } from '../../src/ui/services/bytes-cache';

const mb = (n: number, fill = 1) => new Uint8Array(n * 2 ** 20).fill(fill);

describe('BytesCache', () => {
  it('keeps at most maxBytes, evicting the least recently used (a get counts as a use)', () => {
    const cache = new BytesCache(10 * 2 ** 20);
    cache.set('a', mb(4, 1));
    cache.set('b', mb(4, 2));
    expect(cache.get('a')?.[0]).toBe(1); // a is now the most recent
    cache.set('c', mb(4, 3)); // 12 MB > 10: b (least recent) goes
    expect(cache.has('b')).toBe(false);
    expect(cache.has('a') && cache.has('c')).toBe(true);
    expect(cache.size).toBe(8 * 2 ** 20);
  });

  it('a file larger than the limit is still kept while it is the newest; replacing and deleting keep the total right', () => {
    const cache = new BytesCache(10 * 2 ** 20);
    cache.set('a', mb(3));
    cache.set('huge', mb(12));
    expect(cache.has('a')).toBe(false);
    expect(cache.get('huge')?.byteLength).toBe(12 * 2 ** 20);
    cache.set('b', mb(2)); // the huge one is the least recent now: it goes
    expect(cache.has('huge')).toBe(false);
    cache.set('b', mb(5));
    expect(cache.size).toBe(5 * 2 ** 20);
    cache.delete('b');
    cache.delete('never-there');
    expect(cache.size).toBe(0);
    expect(cache.get('b')).toBeUndefined();
  });
});
