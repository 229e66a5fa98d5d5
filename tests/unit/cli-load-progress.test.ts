// What `generate`/`logits`/`ask --model` print on a terminal's stderr while the model loads
// (src/cli/engine-node.ts loadProgressPrinter), and ask's warnings when the prompt did not fit the context.
import { describe, expect, it } from 'vitest';
import { loadProgressPrinter } from '../../src/cli/engine-node';
import { promptFitWarnings } from '../../src/cli/commands/ask';

describe('loadProgressPrinter', () => {
  it('prints each new message once and the upload in quarters', () => {
    const lines: string[] = [];
    const onProgress = loadProgressPrinter((l) => lines.push(l));
    onProgress({ phase: 'load', loaded: 0, total: 0, message: 'Reading config' });
    onProgress({ phase: 'load', loaded: 0, total: 0, message: 'Reading config' });
    for (let i = 0; i <= 100; i++) onProgress({ phase: 'upload', loaded: i, total: 100, file: `t${i}` });
    onProgress({ phase: 'tune', loaded: 0, total: 2, message: 'Tuning kernels for this GPU: gptq 64x64' });
    onProgress({ phase: 'tune', loaded: 1, total: 2, message: 'Tuning kernels for this GPU: gptq 64x64' });
    onProgress({ phase: 'load', loaded: 1, total: 1, message: 'Ready' });
    expect(lines).toEqual([
      'model: Reading config',
      'model: uploading weights 0 %',
      'model: uploading weights 25 %',
      'model: uploading weights 50 %',
      'model: uploading weights 75 %',
      'model: uploading weights 100 %',
      'model: Tuning kernels for this GPU: gptq 64x64 (0/2)',
      'model: Ready',
    ]);
  });
});

describe('promptFitWarnings', () => {
  it('says nothing when every passage went in', () => {
    expect(promptFitWarnings('Q1', 3, 3, 2048)).toEqual([]);
  });

  it('names dropped passages, with what to change', () => {
    const w = promptFitWarnings('Q2', 5, 2, 256);
    expect(w).toEqual([
      "Q2: 3 of the 5 passages did not fit the model's context and were left out of the prompt; try a larger --context (now 256 tokens) or a smaller --top-k/--max-tokens.",
    ]);
  });
});
