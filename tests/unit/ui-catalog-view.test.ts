// The curated list as the model manager shows it: the suggestion follows the UI language and the adapter.
import { describe, expect, it } from 'vitest';
import { catalogView } from '../../src/ui/services/catalog-view';

const big = { maxBufferSize: 4 * 2 ** 30, maxStorageBufferBindingSize: 2 * 2 ** 30 };

describe('catalogView', () => {
  it('puts one recommended entry first: a Qwen model for a Chinese UI, Llama 3.2 1B for English', () => {
    const zh = catalogView(big, 'zh');
    expect(zh.filter((i) => i.recommended)).toHaveLength(1);
    expect(zh[0].recommended).toBe(true);
    expect(zh[0].repo).toMatch(/^Qwen\/Qwen/);
    expect(zh[0].architecture).toMatch(/^qwen/);
    const en = catalogView(big, 'en');
    expect(en.filter((i) => i.recommended)).toHaveLength(1);
    expect(en[0].repo).toMatch(/Llama-3\.2-1B/i);
    // Same entries, only the order and the mark differ.
    expect(new Set(zh.map((i) => i.repo))).toEqual(new Set(en.map((i) => i.repo)));
  });

  it('shows each entry’s architecture and quantisation format', () => {
    const items = catalogView(big, 'en');
    expect(items.some((i) => i.architecture === 'qwen3' && i.format === 'awq 4-bit')).toBe(true);
    expect(items.some((i) => i.architecture === 'qwen3' && i.format === 'gptq 8-bit')).toBe(true);
    expect(items.some((i) => i.architecture === 'llama' && i.format === 'gptq 4-bit')).toBe(true);
  });

  it('recommends a smaller model when the first choice does not fit the adapter', () => {
    // Bindings of 256 MiB: the 1.5B Qwen's tied 151936 × 1536 f16 embedding (≈ 467 MB) must be split; a
    // buffer limit of 600 MB leaves only models whose largest buffer fits.
    const small = { maxBufferSize: 600e6, maxStorageBufferBindingSize: 256 * 2 ** 20 };
    const zh = catalogView(small, 'zh');
    const pick = zh.find((i) => i.recommended)!;
    expect(pick.repo).toMatch(/^Qwen\//);
    expect(pick.doesNotFit === null || zh.every((i) => i.doesNotFit !== null)).toBe(true);
  });
});
