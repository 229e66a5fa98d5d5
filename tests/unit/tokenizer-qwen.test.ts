// Qwen chat templates and thinking mode: ChatML fallback, Qwen3's template rendered with enable_thinking false
// by default, and <think> blocks never reaching the answer (ThinkFilter, streaming, and in the decoder).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticVocab } from '../../scripts/make-random-llama';
import { buildSpmTokenizer, SpmTokenType, type SpmVocab } from '../../src/model/convert/spm-vocab';
import { nodeDirFiles } from '../../src/model/node-files';
import { stripThinking, ThinkFilter } from '../../src/model/think-filter';
import { loadTokenizer, type LlamaTokenizer } from '../../src/model/tokenizer';
import { makeTempDir } from '../temp-dir';

// Qwen3's published chat template (tokenizer_config.json of Qwen/Qwen3-*), with its tool-calling branches left out.
const QWEN3_TEMPLATE = `{%- if messages[0].role == 'system' %}
    {{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}
{%- endif %}
{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}
    {%- set index = (messages|length - 1) - loop.index0 %}
    {%- if ns.multi_step_tool and message.role == "user" and message.content is string and not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}
        {%- set ns.multi_step_tool = false %}
        {%- set ns.last_query_index = index %}
    {%- endif %}
{%- endfor %}
{%- for message in messages %}
    {%- if message.content is string %}
        {%- set content = message.content %}
    {%- else %}
        {%- set content = '' %}
    {%- endif %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) %}
        {{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {%- set reasoning_content = '' %}
        {%- if '</think>' in content %}
            {%- set reasoning_content = content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}
            {%- set content = content.split('</think>')[-1].lstrip('\\n') %}
        {%- endif %}
        {%- if loop.index0 > ns.last_query_index %}
            {%- if loop.last or (not loop.last and reasoning_content) %}
                {{- '<|im_start|>' + message.role + '\\n<think>\\n' + reasoning_content.strip('\\n') + '\\n</think>\\n\\n' + content.lstrip('\\n') }}
            {%- else %}
                {{- '<|im_start|>' + message.role + '\\n' + content }}
            {%- endif %}
        {%- else %}
            {{- '<|im_start|>' + message.role + '\\n' + content }}
        {%- endif %}
        {{- '<|im_end|>\\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
    {%- if enable_thinking is defined and enable_thinking is false %}
        {{- '<think>\\n\\n</think>\\n\\n' }}
    {%- endif %}
{%- endif %}`;

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
