import { describe, expect, it } from 'vitest';
import { Sha256, sha256Hex, sha256OfChunks } from '../../src/store/sha256';
import { randomBytes } from './store-helpers';

describe('sha256', () => {
  it('matches the FIPS 180-2 test vectors', () => {
    const enc = new TextEncoder();
    expect(new Sha256().update(enc.encode('abc')).digestHex()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(new Sha256().digestHex()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(new Sha256().update(enc.encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).digestHex()).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('incremental hashing in odd-sized pieces equals crypto.subtle', async () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 1000, 100_003]) {
      const data = randomBytes(n, n + 1);
      const h = new Sha256();
      for (let i = 0; i < n; i += 37) h.update(data.subarray(i, Math.min(n, i + 37)));
      expect(h.digestHex(), String(n)).toBe(await sha256Hex(data));
    }
  });

  it('sha256OfChunks gives the same digest one-shot and incrementally', async () => {
    const data = randomBytes(300_000, 5);
    async function* pieces() {
      for (let i = 0; i < data.length; i += 70_000) yield data.subarray(i, i + 70_000);
    }
    const expected = await sha256Hex(data);
    expect(await sha256OfChunks(pieces(), data.length)).toBe(expected);
    expect(await sha256OfChunks(pieces(), data.length, 1024)).toBe(expected);
  });
});
