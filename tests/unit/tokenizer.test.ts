// The converted tok512 tokenizer must tokenize exactly like llama.cpp on stories260K.gguf; the same builder on
// the real Llama-2 vocabulary must pass llama.cpp's tokenizer test vectors.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { spmVocabFromGguf } from '../../src/model/convert/gguf-vocab';
import { readLlama2cTokenizer } from '../../src/model/convert/llama2c-tokenizer';
import { buildSpmTokenizer, type SpmVocab } from '../../src/model/convert/spm-vocab';
import { nodeDirFiles } from '../../src/model/node-files';
import { loadTokenizer, type LlamaTokenizer } from '../../src/model/tokenizer';
import { makeTempDir } from '../temp-dir';

const fixtures = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));
const stories = join(fixtures, 'models/stories260K');
const llamaVocab = join(fixtures, 'tokenizers/llama-vocab');
const haveStories = existsSync(join(stories, 'tok512.bin'));
const haveVocab = existsSync(join(llamaVocab, 'ggml-vocab-llama-spm.gguf'));
if (!haveStories) console.warn(`skipping stories260K tokenizer tests: ${stories} is absent`);
if (!haveVocab) console.warn(`skipping Llama-2 vocabulary tests: ${llamaVocab} is absent`);

async function tokenizerDir(v: SpmVocab, extraConfig: Record<string, unknown> = {}, extraFiles: Record<string, unknown> = {}): Promise<LlamaTokenizer> {
  const dir = makeTempDir('tok-');
  const { tokenizerJson, tokenizerConfigJson } = buildSpmTokenizer(v);
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ ...tokenizerConfigJson, ...extraConfig }));
  for (const [n, j] of Object.entries(extraFiles)) writeFileSync(join(dir, n), JSON.stringify(j));
  return loadTokenizer(nodeDirFiles(dir));
}

const SAMPLES = [
  'Once upon a time',
  'Once upon a time, there was a little girl named Lily.',
  ' leading space',
  'two  spaces   and three',
  'Lily\'s mom said, "Hi!"\n\nOK',
  'tab\there',
  'numbers 12345 and 3.14',
  'ü Ünïcödé 日本語 🙂🦙',
  'The end.',
  '',
  ' ',
  '\n',
  'a',
  'ThE qUiCk BrOwN fOx JUMPS!!!',
];

describe.skipIf(!haveStories)('tok512 → tokenizer.json', () => {
  let tok: LlamaTokenizer;
  beforeAll(async () => {
    tok = await tokenizerDir(readLlama2cTokenizer(readFileSync(join(stories, 'tok512.bin')), 512));
  });

  it('encodes exactly like llama.cpp (node-llama-cpp) on stories260K.gguf', async () => {
    const { getLlama } = await import('node-llama-cpp');
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
    const model = await llama.loadModel({ modelPath: join(stories, 'stories260K.gguf'), gpuLayers: 0 });
    try {
      for (const s of SAMPLES) expect(tok.encode(s), JSON.stringify(s)).toEqual([...model.tokenize(s)]);
    } finally {
      await model.dispose();
    }
  });

  it('adds BOS only when asked, and decodes back to the text', () => {
    expect(tok.encode('Once upon a time', { addBos: true })).toEqual([1, 403, 407, 261, 378]);
    expect(tok.bosId).toBe(1);
    expect(tok.eosIds).toContain(2);
    for (const s of SAMPLES) expect(tok.decode(tok.encode(s))).toBe(s);
  });

  it('streams text deltas, holding back incomplete UTF-8 byte-fallback sequences', () => {
    const prompt = tok.encode('Once upon a time', { addBos: true });
    const full = tok.encode('Once upon a time there was 🙂 a 日本 cat', { addBos: true });
    expect(full.slice(0, prompt.length)).toEqual(prompt);
    const ids = full.slice(prompt.length); // as if generated after the prompt
    const d = tok.createDecoder(prompt);
    const deltas = ids.map((id) => d.push(id));
    expect(deltas.join('') + d.flush()).toBe(' there was 🙂 a 日本 cat');
    // 🙂 is 4 byte tokens: the first three yield nothing, the fourth yields the whole character.
    const emojiStart = ids.indexOf(243);
    expect(deltas.slice(emojiStart, emojiStart + 3)).toEqual(['', '', '']);
    expect(deltas[emojiStart + 3]).toBe('🙂');
    expect(deltas.every((x) => !x.includes('\uFFFD'))).toBe(true);
  });

  it('falls back to the llama-2 [INST] chat template (and says so) when the repo has none', () => {
    expect(tok.hasChatTemplate).toBe(false);
    expect(tok.chatTemplateSource).toBe('fallback:llama-2');
    const text = tok.applyChatTemplate([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ]);
    expect(text).toBe('<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]');
    const ids = tok.encodeChat([{ role: 'user', content: 'Hi' }]);
    expect(ids[0]).toBe(1);
    expect(ids.filter((i) => i === 1).length).toBe(1); // BOS from the template, not added again
  });

  it("renders the repo's own chat_template with @huggingface/jinja", async () => {
    const zephyr =
      "{% for message in messages %}{% if message['role'] == 'user' %}{{ '<|user|>\n' + message['content'] + eos_token }}{% elif message['role'] == 'system' %}{{ '<|system|>\n' + message['content'] + eos_token }}{% elif message['role'] == 'assistant' %}{{ '<|assistant|>\n'  + message['content'] + eos_token }}{% endif %}{% if loop.last and add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}{% endfor %}";
    const t = await tokenizerDir(readLlama2cTokenizer(readFileSync(join(stories, 'tok512.bin')), 512), { chat_template: zephyr });
    expect(t.hasChatTemplate).toBe(true);
    expect(t.chatTemplateSource).toBe('repo');
    const msgs = [
      { role: 'system' as const, content: 'S' },
      { role: 'user' as const, content: 'Hello' },
    ];
    expect(t.applyChatTemplate(msgs)).toBe('<|system|>\nS</s><|user|>\nHello</s><|assistant|>');
    const ids = t.encodeChat(msgs);
    expect(ids.filter((i) => i === 2).length).toBe(2); // </s> recognised as the special token
    expect(ids[0]).not.toBe(1);
  });

  it('a template without a system role (Mistral Instruct v0.2) gets the system text at the start of the first question', async () => {
    // The template Mistral-7B-Instruct-v0.2 (and its GPTQ/AWQ copies) ship: only user/assistant, alternating.
    const mistral =
      "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";
    const t = await tokenizerDir(readLlama2cTokenizer(readFileSync(join(stories, 'tok512.bin')), 512), { chat_template: mistral });
    const conversation = [
      { role: 'system' as const, content: 'Answer from the sources.' },
      { role: 'user' as const, content: 'Q1' },
      { role: 'assistant' as const, content: 'A1' },
      { role: 'user' as const, content: 'Q2' },
    ];
    expect(t.applyChatTemplate(conversation)).toBe('<s>[INST] Answer from the sources.\n\nQ1 [/INST]A1</s>[INST] Q2 [/INST]');
    expect(t.encodeChat(conversation).length).toBeGreaterThan(0);
    // A template that fails for another reason still says so.
    const broken = await tokenizerDir(readLlama2cTokenizer(readFileSync(join(stories, 'tok512.bin')), 512), { chat_template: "{{ raise_exception('no') }}" });
    expect(() => broken.applyChatTemplate(conversation)).toThrow(/chat template failed to render: .*no/);
  });

  it('reads a chat_template.jinja file, and picks the llama-3 fallback for a vocabulary with header tokens', async () => {
    const v = readLlama2cTokenizer(readFileSync(join(stories, 'tok512.bin')), 512);
    const t = await tokenizerDir(v, {}, {});
    expect(t.chatTemplateSource).toBe('fallback:llama-2');
    const dir = makeTempDir('tok-');
    const { tokenizerJson, tokenizerConfigJson } = buildSpmTokenizer(v);
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfigJson));
    writeFileSync(join(dir, 'chat_template.jinja'), "{% for m in messages %}[{{ m['role'] }}]{{ m['content'] }}{% endfor %}");
    const withFile = await loadTokenizer(nodeDirFiles(dir));
    expect(withFile.chatTemplateSource).toBe('repo');
    expect(withFile.applyChatTemplate([{ role: 'user', content: 'x' }])).toBe('[user]x');
    // A vocabulary with Llama-3 header tokens gets the Llama-3 fallback.
    const l3: SpmVocab = { ...v, pieces: [...v.pieces.slice(0, 510), '<|start_header_id|>', '<|end_header_id|>'], types: [...v.types.slice(0, 510), 3, 3] };
    const t3 = await tokenizerDir(l3);
    expect(t3.chatTemplateSource).toBe('fallback:llama-3');
    expect(t3.applyChatTemplate([{ role: 'user', content: 'Hi' }])).toBe('<s><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n');
  });
});

function readVectors(): { input: string; ids: number[] }[] {
  const inputs = readFileSync(join(llamaVocab, 'ggml-vocab-llama-spm.gguf.inp'), 'utf8').split('\n__ggml_vocab_test__\n');
  inputs.pop(); // after the last separator
  const outputs = readFileSync(join(llamaVocab, 'ggml-vocab-llama-spm.gguf.out'), 'utf8').split('\n');
  return inputs.map((input, i) => ({ input, ids: outputs[i].trim() === '' ? [] : outputs[i].trim().split(/\s+/).map(Number) }));
}

describe.skipIf(!haveVocab)('Llama-2 SentencePiece vocabulary (32000 pieces) through the same builder', () => {
  it("passes llama.cpp's tokenizer test vectors", async () => {
    const tok = await tokenizerDir(spmVocabFromGguf(readFileSync(join(llamaVocab, 'ggml-vocab-llama-spm.gguf'))));
    const vectors = readVectors();
    expect(vectors.length).toBeGreaterThan(40);
    const failures = vectors.filter((v) => JSON.stringify(tok.encode(v.input)) !== JSON.stringify(v.ids));
    expect(failures.map((f) => ({ input: f.input, expected: f.ids, got: tok.encode(f.input) }))).toEqual([]);
    for (const v of vectors) if (!v.input.includes('\uFFFD')) expect(tok.decode(v.ids)).toBe(v.input);
  }, 60_000);
});
