// `generate --model DIR --prompt TEXT [--raw] [--max-tokens N] [--temperature T] [--top-k K] [--top-p P]
//  [--repetition-penalty R] [--seed S] [--stats] [--precision f16|f32|auto] [--context N] [--no-tune]`: streams only
// the continuation. Every flag is checked (GENERATE_SPEC) before the model is loaded.
import { checkArgs, ENGINE_FLAGS, type CliArgs, type CommandSpec } from '../args';
import { loadCliEngine } from '../engine-node';
import { writeStreamed } from '../output';

export const GENERATE_SPEC: CommandSpec = {
  command: 'generate',
  flags: {
    ...ENGINE_FLAGS,
    model: { kind: 'string', required: true },
    prompt: { kind: 'string', required: true },
    raw: { kind: 'boolean' },
    'max-tokens': { kind: 'integer', min: 1 },
    temperature: { kind: 'number', min: 0 },
    'top-k': { kind: 'integer', min: 0 }, // 0 = off
    'top-p': { kind: 'number', min: 0, max: 1, exclusiveMin: true }, // 1 = off
    'repetition-penalty': { kind: 'number', min: 0, exclusiveMin: true }, // 1 = off
    seed: { kind: 'integer', min: 0, max: 2 ** 32 - 1 },
    stats: { kind: 'boolean' },
  },
};

export async function run(given: CliArgs): Promise<void> {
  const args = checkArgs(given, GENERATE_SPEC);
  const engine = await loadCliEngine(args);
  const stream = engine.generate(args.require('prompt'), {
    raw: args.has('raw'),
    maxTokens: args.number('max-tokens', 256),
    temperature: args.number('temperature', 0),
    topK: args.number('top-k', 0),
    topP: args.number('top-p', 1),
    repetitionPenalty: args.number('repetition-penalty', 1),
    seed: args.number('seed', 0),
  });
  for await (const t of stream) writeStreamed(t.text);
  if (args.has('stats')) {
    const s = engine.lastStats()!;
    const info = engine.info!;
    writeStreamed(
      '\n' +
        JSON.stringify({
          prompt_tokens: s.promptTokens,
          generated_tokens: s.generatedTokens,
          prefill_tok_s: round(s.prefillTokS),
          decode_tok_s: round(s.decodeTokS),
          adapter: info.adapter,
          f16: info.f16,
        }) +
        '\n',
    );
  } else writeStreamed('\n');
  await engine.unload();
}

function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 100) / 100 : 0;
}
