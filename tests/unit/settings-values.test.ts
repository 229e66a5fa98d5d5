// The answer settings' numbers: what a typed text stands for (NumberField), and settings read back from storage
// (an older version's, or edited by hand) held to the dialog's limits.
import { describe, expect, it } from 'vitest';
import { DEFAULT_ANSWER_SETTINGS } from '../../src/chat/answer';
import { parseSetting } from '../../src/ui/NumberField';
import { ANSWER_LIMITS, sanitizeAnswerSettings } from '../../src/ui/state/settings';

describe('parseSetting', () => {
  const { min, max } = ANSWER_LIMITS.maxAnswerTokens;
  it('a cleared field or a number on its way up is no value yet (the setting keeps its own)', () => {
    expect(parseSetting('', min, max, true)).toBeNull();
    expect(parseSetting('  ', min, max, true)).toBeNull();
    expect(parseSetting('5', min, max, true)).toBeNull(); // on the way to 512: below the minimum of 16
    expect(parseSetting('51', min, max, true)).toBe(51);
    expect(parseSetting('512', min, max, true)).toBe(512);
  });
  it('out of range, not a number, or a fraction where a whole number is needed: none', () => {
    expect(parseSetting('5000', min, max, true)).toBeNull();
    expect(parseSetting('-3', min, max, true)).toBeNull();
    expect(parseSetting('abc', min, max, true)).toBeNull();
    expect(parseSetting('16.5', min, max, true)).toBeNull();
    expect(parseSetting('0.5', 0, 2, false)).toBe(0.5);
  });
});

describe('sanitizeAnswerSettings', () => {
  it('keeps valid stored settings as they are', () => {
    const stored = { temperature: 0.7, topP: 0.8, maxAnswerTokens: 512, passages: 6, systemPrompt: 'Be brief.', queryRewrite: true };
    expect(sanitizeAnswerSettings(stored)).toEqual(stored);
  });
  it('brings numbers within the limits, rounds counts, and takes defaults for wrong types or missing keys', () => {
    const out = sanitizeAnswerSettings({ temperature: 9, topP: 0, maxAnswerTokens: 1, passages: 7.6, systemPrompt: 42, queryRewrite: 'yes', extra: 1 });
    expect(out).toEqual({ ...DEFAULT_ANSWER_SETTINGS, temperature: 2, topP: 0.05, maxAnswerTokens: 16, passages: 8 });
    expect(sanitizeAnswerSettings({ maxAnswerTokens: '512', passages: null, temperature: Number.NaN })).toEqual(DEFAULT_ANSWER_SETTINGS);
    expect(sanitizeAnswerSettings(null)).toEqual(DEFAULT_ANSWER_SETTINGS);
    expect(sanitizeAnswerSettings('garbage')).toEqual(DEFAULT_ANSWER_SETTINGS);
  });
});
