import { describe, expect, it } from 'vitest';
import { DENSE_CONFIDENT, isConfident, LEXICAL_CONFIDENT, LEXICAL_CONFIDENT_CJK, lexicalThreshold } from '../../src/retrieval/confidence';
import { embeddingProfile } from '../../src/retrieval/embedding-profile';
import { ENGLISH_EMBEDDING_MODEL, MULTILINGUAL_EMBEDDING_MODEL } from '../../src/retrieval/embedder';

describe('confident hits', () => {
  it('asks less lexical coverage of a Chinese query than of an English one', () => {
    expect(lexicalThreshold('How do I divert the console output into a file?')).toBe(LEXICAL_CONFIDENT);
    expect(lexicalThreshold('怎样设置环境变量？')).toBe(LEXICAL_CONFIDENT_CJK);
    expect(lexicalThreshold('TeXworks 里的 $synctexoption 会展开成什么？')).toBe(LEXICAL_CONFIDENT_CJK); // 8 of 29 letters CJK
    expect(lexicalThreshold('Is 中 a word?')).toBe(LEXICAL_CONFIDENT); // one CJK letter among eight
    expect(LEXICAL_CONFIDENT_CJK).toBeLessThan(LEXICAL_CONFIDENT);
  });

  it('is confident on either signal', () => {
    const between = (LEXICAL_CONFIDENT + LEXICAL_CONFIDENT_CJK) / 2;
    expect(isConfident(between, undefined, LEXICAL_CONFIDENT)).toBe(false);
    expect(isConfident(between, undefined, LEXICAL_CONFIDENT_CJK)).toBe(true);
    expect(isConfident(0, DENSE_CONFIDENT)).toBe(true);
    expect(isConfident(0, DENSE_CONFIDENT - 0.01)).toBe(false);
  });

  it('takes the cosine floor from the model\'s profile: MiniLM 0.45, none for E5 (its cosines sit at 0.7–1.0 for anything)', () => {
    expect(embeddingProfile(ENGLISH_EMBEDDING_MODEL).confidentCosine).toBe(DENSE_CONFIDENT);
    const e5 = embeddingProfile(MULTILINGUAL_EMBEDDING_MODEL).confidentCosine;
    expect(e5).toBeNull();
    expect(isConfident(0, 0.92, LEXICAL_CONFIDENT_CJK, e5)).toBe(false); // a typical E5 cosine of an unrelated passage
    expect(isConfident(LEXICAL_CONFIDENT_CJK, 0.92, LEXICAL_CONFIDENT_CJK, e5)).toBe(true); // lexical coverage still counts
    expect(isConfident(0, 0.5, LEXICAL_CONFIDENT, embeddingProfile(ENGLISH_EMBEDDING_MODEL).confidentCosine)).toBe(true);
  });
});
