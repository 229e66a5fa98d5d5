// Qwen chat templates and thinking mode: ChatML fallback, Qwen3's template rendered with enable_thinking false
// by default, and <think> blocks never reaching the answer (ThinkFilter, streaming, and in the decoder).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRandomLlama, randomModelVocab, syntheticVocab } from '../../scripts/make-random-llama';
import { buildSpmTokenizer, SpmTokenType, type SpmVocab } from '../../src/model/convert/spm-vocab';
import { nodeDirFiles } from '../../src/model/node-files';
import { stripThinking, ThinkFilter } from '../../src/model/think-filter';
import { loadTokenizer, type LlamaTokenizer } from '../../src/model/tokenizer';
import { makeTempDir } from '../temp-dir';
import { QWEN3_TEMPLATE } from '../../scripts/qwen-chat-templates';

/** A small vocabulary with ChatML's control tokens and (optionally) Qwen3's <think> tags as ordinary pieces. */
function qwenVocab(think: boolean): SpmVocab {
  const v = syntheticVocab(300);
  const add = (p: string, t: SpmTokenType) => (v.pieces.push(p), v.scores.push(0), v.types.push(t));
  add('<|im_start|>', SpmTokenType.Control);
  add('<|im_end|>', SpmTokenType.Control);
  if (think) add('<think>', SpmTokenType.Normal), add('</think>', SpmTokenType.Normal);
  return v;
}

async function tokenizer(think: boolean, template?: string): Promise<LlamaTokenizer> {
  const dir = makeTempDir('tok-qwen-');
  const { tokenizerJson, tokenizerConfigJson } = buildSpmTokenizer(qwenVocab(think), { addBos: false, ...(template ? { chatTemplate: template } : {}) });
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfigJson));
  return loadTokenizer(nodeDirFiles(dir));
}

describe('ThinkFilter', () => {
  it('drops whole blocks and the newlines after them; keeps text before and after', () => {
    expect(stripThinking('<think>\nplan the answer\n</think>\n\nThe answer [1].')).toBe('The answer [1].');
    expect(stripThinking('Intro <think>x</think>then more')).toBe('Intro then more');
    expect(stripThinking('no tags at all, a < b and </thin')).toBe('no tags at all, a < b and </thin');
    expect(stripThinking('Answer<think>unterminated reasoning')).toBe('Answer');
  });

  it('gives the same answer whatever the streaming chunk boundaries (tags split across pushes)', () => {
    const text = 'A<think>\nsecret steps\n</think>\n\nB and <think></think>C <thinking is a word> done';
    const want = stripThinking(text);
    expect(want).toBe('AB and C <thinking is a word> done');
    for (const size of [1, 2, 3, 5, 7]) {
      const f = new ThinkFilter();
      let out = '';
      for (let i = 0; i < text.length; i += size) {
        const part = f.push(text.slice(i, i + size));
        expect(part).not.toContain('secret');
        out += part;
      }
      expect(out + f.flush()).toBe(want);
    }
  });
});

describe('Qwen chat templates', () => {
  it("renders Qwen3's template in non-thinking mode by default, thinking mode only when asked", async () => {
    const tok = await tokenizer(true, QWEN3_TEMPLATE);
    const msgs = [{ role: 'system' as const, content: 'Answer from the sources.' }, { role: 'user' as const, content: 'What is on page 2?' }];
    const off = tok.applyChatTemplate(msgs);
    expect(off).toBe('<|im_start|>system\nAnswer from the sources.<|im_end|>\n<|im_start|>user\nWhat is on page 2?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n');
    expect(tok.applyChatTemplate(msgs, { enableThinking: true })).toBe(off.slice(0, -'<think>\n\n</think>\n\n'.length));
    // Earlier assistant turns lose their reasoning (the template's own rule).
    const multi = tok.applyChatTemplate([...msgs, { role: 'assistant', content: '<think>\nhmm\n</think>\n\nIt says X.' }, { role: 'user', content: 'And page 3?' }]);
    expect(multi).toContain('<|im_start|>assistant\nIt says X.<|im_end|>');
    expect(multi).not.toContain('hmm');
  });

  it('picks the ChatML fallback for a vocabulary with <|im_start|> and no template', async () => {
    const tok = await tokenizer(false);
    expect(tok.chatTemplateSource).toBe('fallback:chatml');
    expect(tok.thinkingTags).toBe(false);
    expect(tok.applyChatTemplate([{ role: 'user', content: 'hi' }])).toBe('<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n');
  });

  it("the decoder of a thinking model never emits a <think> block's content", async () => {
    const tok = await tokenizer(true, QWEN3_TEMPLATE);
    expect(tok.thinkingTags).toBe(true);
    const id = (piece: string) => qwenVocab(true).pieces.indexOf(piece);
    const ids = [id('<think>'), ...tok.encode('secret plan'), id('</think>'), ...tok.encode('The answer')];
    expect(tok.decode(ids)).toContain('secret'); // the raw text has the block …
    const d = tok.createDecoder();
    let out = '';
    for (const t of ids) out += d.push(t);
    out += d.flush();
    expect(out).not.toContain('secret'); // … the streamed answer does not
    expect(out.trim()).toBe('The answer');
  });
});

describe('random Qwen models from the generator', () => {
  it('ship ChatML (Qwen2) / the Qwen3 template, <|im_start|> as one control id, eos = <|im_end|>, <|endoftext|>', async () => {
    for (const arch of ['qwen2', 'qwen3'] as const) {
      const dir = makeTempDir('rand-qwen-tok-');
      await makeRandomLlama(dir, { arch, hidden: 32, intermediate: 48, layers: 1, heads: 2, kvHeads: 1, vocab: 320, tied: true, seed: 3 });
      const tok = await loadTokenizer(nodeDirFiles(dir));
      const v = randomModelVocab({ arch, vocab: 320 });
      expect(v.pieces.length).toBe(320);
      expect(tok.chatTemplateSource).toBe('repo');
      expect(tok.thinkingTags).toBe(arch === 'qwen3');
      expect(tok.eosIds.sort()).toEqual([v.pieces.indexOf('<|endoftext|>'), v.pieces.indexOf('<|im_end|>')].sort());
      const ids = tok.encodeChat([{ role: 'user', content: 'hi' }]);
      expect(ids.filter((i) => i === v.pieces.indexOf('<|im_start|>')).length).toBe(arch === 'qwen2' ? 3 : 2); // (system,) user, assistant
      expect(ids[0]).not.toBe(v.bosId); // Qwen adds no BOS
    }
  });
});
