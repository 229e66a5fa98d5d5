// An answer the model leaves blank (end-of-text as its first token, or only whitespace) carries a coded error
// that says what to do, instead of a silent empty answer; a stopped answer and a real answer carry none.
// The engine here is a scripted stand-in at the Engine interface: answerQuestion's own logic is under test
// (what a real model emits first cannot be chosen on purpose).
import { describe, expect, it } from 'vitest';
import { answerQuestion, DEFAULT_ANSWER_SETTINGS, EMPTY_ANSWER } from '../../src/chat/answer';
import type { Passage } from '../../src/chat/types';
import type { Engine, GeneratedToken, ModelInfo } from '../../src/model/engine-types';

const info: ModelInfo = {
  name: 'scripted', architecture: 'llama', vocabSize: 32, contextLength: 2048, quantization: 'f32', weightBytes: 0,
  adapter: 'none', f16: false, hasChatTemplate: false, tuning: 'off',
};

function scriptedEngine(pieces: string[], onToken?: (i: number) => void): Engine {
  return {
    load: async () => info,
    async *generate(): AsyncIterable<GeneratedToken> {
      for (let i = 0; i < pieces.length; i++) {
        onToken?.(i);
        yield { id: i, text: pieces[i] };
      }
    },
    countTokens: async (input) => (typeof input === 'string' ? input : input.map((m) => m.content).join(' ')).split(/\s+/).length,
    lastStats: () => ({ promptTokens: 10, reusedTokens: 0, generatedTokens: pieces.length, prefillTokS: 1, decodeTokS: 1 }),
    unload: async () => undefined,
  };
}

const passage: Passage = { docId: 'd', file: 'a.pdf', page: 1, label: '1', score: 1, text: 'Namespaces are one honking great idea.', start: 0, end: 38 };
const search = async () => [passage];

describe('answerQuestion with a model that produces no text', () => {
  it('no tokens at all: the turn carries EMPTY_ANSWER with a next step, and keeps sources and stats', async () => {
    const turn = await answerQuestion('What about namespaces?', [], undefined, { search, engine: { engine: scriptedEngine([]), info } }, DEFAULT_ANSWER_SETTINGS);
    expect(turn.content).toBe('');
    expect(turn.error).toEqual({ code: 'EMPTY_ANSWER', message: EMPTY_ANSWER.message }); // not NO_TEXT, a PDF's code
    expect(turn.error!.message).toMatch(/produced no text.*Try again, or try another model/);
    expect(turn.sources).toHaveLength(1);
    expect(turn.stats?.generatedTokens).toBe(0);
    expect(turn.stopped).toBeUndefined();
  });

  it('only whitespace counts as no text', async () => {
    const turn = await answerQuestion('What about namespaces?', [], undefined, { search, engine: { engine: scriptedEngine(['\n', '  ']), info } }, DEFAULT_ANSWER_SETTINGS);
    expect(turn.error?.code).toBe('EMPTY_ANSWER');
  });

  it('an answer with text carries no error', async () => {
    const turn = await answerQuestion('What about namespaces?', [], undefined, { search, engine: { engine: scriptedEngine(['They', ' are', ' great.']), info } }, DEFAULT_ANSWER_SETTINGS);
    expect(turn.content).toBe('They are great.');
    expect(turn.error).toBeUndefined();
  });

  it('stopped by the user before any text: stopped, not an error', async () => {
    const ctl = new AbortController();
    const engine = scriptedEngine(['', ''], (i) => i === 0 && ctl.abort());
    const turn = await answerQuestion('What about namespaces?', [], undefined, { search, engine: { engine, info } }, DEFAULT_ANSWER_SETTINGS, { signal: ctl.signal });
    expect(turn.stopped).toBe(true);
    expect(turn.error).toBeUndefined();
  });
});
