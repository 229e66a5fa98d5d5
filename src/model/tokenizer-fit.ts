// The tokenizer must fit the weights: every id it can produce indexes a row of the embedding (config
// vocab_size rows). A larger id would be read past the embedding on the GPU, and the answer would be silently
// wrong, so a mismatched tokenizer is refused at load.
import { AppError } from '../shared/errors';
import type { LlamaConfig } from './config';
import type { LlamaTokenizer } from './tokenizer';

export function checkTokenizerFitsWeights(tokenizer: Pick<LlamaTokenizer, 'maxTokenId'>, cfg: Pick<LlamaConfig, 'vocabSize'>): void {
  if (tokenizer.maxTokenId >= cfg.vocabSize) {
    throw new AppError(
      'TOKENIZER_ERROR',
      `The tokenizer does not match the weights: it has token id ${tokenizer.maxTokenId}, but config.json's vocab_size is ${cfg.vocabSize} (ids 0–${cfg.vocabSize - 1}). The tokenizer files belong to another model; download this model's tokenizer.json (and config.json) again, or pick another model.`,
      { maxTokenId: tokenizer.maxTokenId, vocabSize: cfg.vocabSize },
    );
  }
}
