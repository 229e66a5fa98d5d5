// The model's tokenizer from its local tokenizer.json + tokenizer_config.json (transformers.js, never the
// network), chat templates rendered with @huggingface/jinja, and a streaming detokenizer.
// Thinking models (Qwen3: the vocabulary has <think> and </think>): templates are rendered with
// enable_thinking = false (document answers want the answer, not the reasoning), and the decoder hides any
// <think> block the model writes anyway (src/model/think-filter.ts).
import { Template } from '@huggingface/jinja';
import { env, PreTrainedTokenizer } from '@huggingface/transformers';
import { AppError } from '../shared/errors';
import type { ChatMessage } from './engine-types';
import type { ModelFiles } from './files';
import { ThinkFilter } from './think-filter';

env.allowRemoteModels = false;

/** Fallback chat templates by model family, for repos whose tokenizer_config.json has none. */
export const FALLBACK_CHAT_TEMPLATES = {
  'llama-2':
    "{% if messages[0]['role'] == 'system' %}{% set sys = '<<SYS>>\\n' + messages[0]['content'] + '\\n<</SYS>>\\n\\n' %}{% set msgs = messages[1:] %}{% else %}{% set sys = '' %}{% set msgs = messages %}{% endif %}" +
    "{% for m in msgs %}{% if m['role'] == 'user' %}{{ bos_token + '[INST] ' + (sys if loop.first else '') + m['content'] + ' [/INST]' }}{% elif m['role'] == 'assistant' %}{{ ' ' + m['content'] + ' ' + eos_token }}{% endif %}{% endfor %}",
  'llama-3':
    "{{ bos_token }}{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\\n\\n' + m['content'] + '<|eot_id|>' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}",
  zephyr:
    "{% for m in messages %}{{ '<|' + m['role'] + '|>\\n' + m['content'] + eos_token + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}",
  // ChatML as Qwen2/Qwen2.5 write it (their default system prompt when the conversation has none).
  chatml:
    "{% if messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}" +
    "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
} as const;
export type ChatTemplateFamily = keyof typeof FALLBACK_CHAT_TEMPLATES;

export interface StreamingDecoder {
  /** Adds one generated token; returns the text it completes ('' while a UTF-8 sequence is incomplete). */
  push(id: number): string;
  /** Any text still held back (an incomplete byte sequence at the very end), as decoded. */
  flush(): string;
}

export interface LlamaTokenizer {
  encode(text: string, opts?: { addBos?: boolean }): number[];
  decode(ids: number[]): string;
  bosId: number;
  eosIds: number[];
  /** True when the repo has its own chat_template. */
  hasChatTemplate: boolean;
  /** 'repo' or the fallback family used when the repo has no chat_template. */
  chatTemplateSource: 'repo' | `fallback:${ChatTemplateFamily}`;
  /** enableThinking (default false) is passed to the template as enable_thinking (Qwen3's thinking mode). */
  applyChatTemplate(messages: ChatMessage[], opts?: { addGenerationPrompt?: boolean; enableThinking?: boolean }): string;
  /** True when the vocabulary has <think> / </think>: the decoder hides reasoning blocks. */
  thinkingTags: boolean;
  /** The templated conversation as ids (special tokens come from the template, none are added again). */
  encodeChat(messages: ChatMessage[]): number[];
  /** Streaming detokenizer; `context` = ids already shown (e.g. the prompt) so leading spaces come out right. */
  createDecoder(context?: number[]): StreamingDecoder;
  vocabSize: number;
  /** The largest id encode() / encodeChat() can produce (vocabulary and added tokens, and bosId). */
  maxTokenId: number;
}

async function readJson(files: ModelFiles, name: string, listed: string[]): Promise<Record<string, unknown> | undefined> {
  if (!listed.includes(name)) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(await files.read(name)));
  } catch {
    throw new AppError('TOKENIZER_ERROR', `${name} is not valid JSON. Download it again.`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new AppError('TOKENIZER_ERROR', `${name} is there but holds ${v === null ? 'null' : Array.isArray(v) ? 'a list' : `a ${typeof v}`} instead of a JSON object. Download it again.`);
  }
  return v as Record<string, unknown>;
}

function tokenText(t: unknown): string | undefined {
  if (typeof t === 'string') return t;
  if (t && typeof t === 'object' && typeof (t as { content?: unknown }).content === 'string') return (t as { content: string }).content;
  return undefined;
}

export function pickFallbackFamily(vocab: Map<string, number>): ChatTemplateFamily {
  if (vocab.has('<|start_header_id|>')) return 'llama-3';
  if (vocab.has('<|im_start|>') && vocab.has('<|im_end|>')) return 'chatml';
  if (vocab.has('<|user|>') || vocab.has('<|assistant|>')) return 'zephyr';
  return 'llama-2';
}

/** A decoder whose output has no <think> blocks (the answer only). */
function withoutThinking(d: StreamingDecoder): StreamingDecoder {
  const f = new ThinkFilter();
  return { push: (id) => f.push(d.push(id)), flush: () => f.push(d.flush()) + f.flush() };
}

export async function loadTokenizer(files: ModelFiles): Promise<LlamaTokenizer> {
  const listed = await files.list();
  const tokJson = await readJson(files, 'tokenizer.json', listed);
  if (!tokJson) throw new AppError('MISSING_FILE', 'tokenizer.json is missing from the model directory; the engine needs the Hugging Face fast-tokenizer file.');
  const cfg = (await readJson(files, 'tokenizer_config.json', listed)) ?? {};
  const gen = (await readJson(files, 'generation_config.json', listed)) ?? {};
  const modelCfg = (await readJson(files, 'config.json', listed)) ?? {};
  let tok: PreTrainedTokenizer;
  try {
    tok = new PreTrainedTokenizer(tokJson, cfg);
  } catch (e) {
    throw new AppError('TOKENIZER_ERROR', `tokenizer.json could not be loaded: ${e instanceof Error ? e.message : String(e)}`);
  }
  const vocab = tok.get_vocab() as Map<string, number>;
  const bosText = tokenText(cfg.bos_token);
  const eosText = tokenText(cfg.eos_token);
  const idOf = (t?: string) => (t === undefined ? undefined : vocab.get(t));
  const bosId = (typeof modelCfg.bos_token_id === 'number' ? modelCfg.bos_token_id : undefined) ?? idOf(bosText) ?? 1;
  const eos = new Set<number>();
  for (const src of [gen.eos_token_id, modelCfg.eos_token_id]) {
    for (const x of Array.isArray(src) ? src : [src]) if (typeof x === 'number') eos.add(x);
  }
  let maxTokenId = bosId;
  for (const id of vocab.values()) if (id > maxTokenId) maxTokenId = id;
  const eosFromCfg = idOf(eosText);
  if (eosFromCfg !== undefined) eos.add(eosFromCfg);
  const bosToken = bosText ?? tok.decode([bosId], { skip_special_tokens: false });
  const eosToken = eosText ?? (eos.size ? tok.decode([[...eos][0]], { skip_special_tokens: false }) : '');

  let templateSrc: string;
  let chatTemplateSource: LlamaTokenizer['chatTemplateSource'];
  let repoTemplate = cfg.chat_template;
  // Newer repos keep the template in its own file.
  if (!repoTemplate && listed.includes('chat_template.jinja')) repoTemplate = new TextDecoder().decode(await files.read('chat_template.jinja'));
  if (!repoTemplate && listed.includes('chat_template.json')) repoTemplate = (await readJson(files, 'chat_template.json', listed))?.chat_template;
  if (typeof repoTemplate === 'string' && repoTemplate.length > 0) {
    templateSrc = repoTemplate;
    chatTemplateSource = 'repo';
  } else if (Array.isArray(repoTemplate) && repoTemplate.some((t) => t?.name === 'default')) {
    templateSrc = repoTemplate.find((t) => t?.name === 'default').template;
    chatTemplateSource = 'repo';
  } else {
    const fam = pickFallbackFamily(vocab);
    templateSrc = FALLBACK_CHAT_TEMPLATES[fam];
    chatTemplateSource = `fallback:${fam}`;
  }
  let template: Template | null = null;
  const getTemplate = () => {
    if (!template) {
      try {
        template = new Template(templateSrc);
      } catch (e) {
        throw new AppError('TOKENIZER_ERROR', `The chat template could not be parsed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return template;
  };

  const thinkingTags = vocab.has('<think>') && vocab.has('</think>');
  const encodeRaw = (text: string, addSpecial: boolean): number[] => tok.encode(text, { add_special_tokens: addSpecial }) as number[];
  const decode = (ids: number[]): string => (ids.length === 0 ? '' : tok.decode(ids, { skip_special_tokens: true }));

  const render = (messages: ChatMessage[], opts: { addGenerationPrompt?: boolean; enableThinking?: boolean }) =>
    getTemplate().render({
      messages,
      bos_token: bosToken,
      eos_token: eosToken,
      add_generation_prompt: opts.addGenerationPrompt ?? true,
      enable_thinking: opts.enableThinking ?? false,
    });
  const applyChatTemplate = (messages: ChatMessage[], opts: { addGenerationPrompt?: boolean; enableThinking?: boolean } = {}) => {
    try {
      return render(messages, opts);
    } catch (e) {
      if (e instanceof AppError) throw e;
      // Templates without a system role (Mistral Instruct's raises "Conversation roles must alternate…"): the
      // system text goes at the start of the first user message, as those models were trained to read it.
      const folded = foldSystemIntoFirstUser(messages);
      if (folded) {
        try {
          return render(folded, opts);
        } catch {
          /* the template's first complaint is the one to report */
        }
      }
      throw new AppError('TOKENIZER_ERROR', `The chat template failed to render: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  const plainDecoder = (context: number[]): StreamingDecoder => {
    // Decode context + generated ids together and emit the growth, so that leading spaces (stripped by
    // SentencePiece decoders at the very start) and multi-token characters come out right.
    let ctx = context.slice(-4);
    let base = decode(ctx).replace(/\uFFFD+$/, '');
    let ids: number[] = [];
    let shown = 0;
    const current = () => {
      const full = decode([...ctx, ...ids]);
      return full.startsWith(base) ? full.slice(base.length) : full;
    };
    return {
      push(id: number) {
        ids.push(id);
        const text = current();
        // Hold back a trailing replacement character: it may be an incomplete byte-fallback sequence.
        const pending = text.endsWith('\uFFFD');
        const stable = pending ? text.replace(/\uFFFD+$/, '') : text;
        const delta = stable.length > shown ? stable.slice(shown) : '';
        shown = Math.max(shown, stable.length);
        if (!pending) {
          // Everything so far is final: restart from a short context so each push stays O(1).
          ctx = [...ctx, ...ids].slice(-4);
          base = decode(ctx);
          ids = [];
          shown = 0;
        }
        return delta;
      },
      flush() {
        const text = current();
        const delta = text.length > shown ? text.slice(shown) : '';
        shown = Math.max(shown, text.length);
        return delta;
      },
    };
  };

  return {
    encode: (text, opts = {}) => {
      const ids = encodeRaw(text, false);
      return opts.addBos ? [bosId, ...ids] : ids;
    },
    decode,
    bosId,
    eosIds: [...eos],
    hasChatTemplate: chatTemplateSource === 'repo',
    thinkingTags,
    chatTemplateSource,
    applyChatTemplate,
    encodeChat: (messages) => encodeRaw(applyChatTemplate(messages, { addGenerationPrompt: true }), false),
    createDecoder: (context = []) => (thinkingTags ? withoutThinking(plainDecoder(context)) : plainDecoder(context)),
    vocabSize: vocab.size,
    maxTokenId,
  };
}

/** `messages` with a leading system message merged into the first user message, or null if there is none to merge. */
export function foldSystemIntoFirstUser(messages: ChatMessage[]): ChatMessage[] | null {
  const [first, ...rest] = messages;
  if (first?.role !== 'system') return null;
  const user = rest.findIndex((m) => m.role === 'user');
  if (user < 0) return null;
  return rest.map((m, i) => (i === user ? { ...m, content: `${first.content}\n\n${m.content}` } : m));
}
