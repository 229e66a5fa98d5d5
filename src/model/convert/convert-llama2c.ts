// llama2.c checkpoint + tokenizer → Hugging Face model directory (f32/f16, or 4-bit RTN / GPTQ).
import { AppError } from '../../shared/errors';
import type { LlamaConfig } from '../config';
import { ReferenceLlama } from '../reference';
import type { QuantSettings } from './gptq';
import { buildHfModelFiles, type FloatDtype } from './hf-writer';
import { readLlama2cCheckpoint, padIntermediate, type Llama2cHeader } from './llama2c-model';
import { readLlama2cTokenizer } from './llama2c-tokenizer';
import { quantizeModel } from './quantize-model';
import { sampleSequences } from './sample';
import { buildSpmTokenizer } from './spm-vocab';

export interface ConvertLlama2cOptions {
  dtype: FloatDtype;
  quantize: 'none' | 'rtn' | 'gptq';
  bits: number;
  groupSize: number;
  sym: boolean;
  actOrder: boolean;
  format: 'v1' | 'v2';
  shards: number;
  /** GPTQ calibration: stories sampled from the fp32 model itself. */
  calibration?: { count: number; length: number; seed: number };
  onProgress?: (message: string) => void;
}

export const DEFAULT_CALIBRATION = { count: 16, length: 256, seed: 1234 };
/** RMSNorm epsilon of llama2.c models (run.c uses 1e-5). */
export const LLAMA2C_RMS_EPS = 1e-5;

export function validateConvertOptions(o: ConvertLlama2cOptions): void {
  if (o.bits !== 4) throw new AppError('UNSUPPORTED_QUANTIZATION', `--bits ${o.bits} is not supported; only 4-bit GPTQ is. Use --bits 4.`);
  if (!['none', 'rtn', 'gptq'].includes(o.quantize)) throw new AppError('BAD_ARGUMENT', `--quantize must be none, rtn or gptq (got ${JSON.stringify(o.quantize)}).`);
  if (!['f32', 'f16', 'bf16'].includes(o.dtype)) throw new AppError('BAD_ARGUMENT', `--dtype must be f32 or f16 (got ${JSON.stringify(o.dtype)}).`);
  if (o.format !== 'v1' && o.format !== 'v2') throw new AppError('BAD_ARGUMENT', `--format must be v1 or v2 (got ${JSON.stringify(o.format)}).`);
  if (!Number.isInteger(o.groupSize) || (o.groupSize <= 0 && o.groupSize !== -1)) throw new AppError('BAD_ARGUMENT', `--group-size must be a positive integer or -1 (got ${o.groupSize}).`);
  // The loader (repackGptq) packs a group's scales and zeros 8 inputs at a time: other sizes would convert and
  // then be refused when the folder is opened.
  if (o.groupSize !== -1 && o.groupSize % 8 !== 0) {
    const lo = Math.floor(o.groupSize / 8) * 8;
    const near = [lo, lo + 8].filter((g) => g > 0).join(' or ');
    throw new AppError('BAD_ARGUMENT', `--group-size ${o.groupSize} is not supported: the app loads GPTQ group sizes that are a multiple of 8 (or -1, one group per column). Pass --group-size ${near}, or the usual 128 (or 32 / 64 for small models).`);
  }
  if (!Number.isInteger(o.shards) || o.shards < 1) throw new AppError('BAD_ARGUMENT', `--shards must be a positive integer (got ${o.shards}).`);
}

/**
 * What of the checkpoint's shape the written folder could not load, refused before any work is done:
 * the hidden size must be a multiple of 8 (only the MLP's hidden size is padded), and a 4-bit model's
 * key/value projections (n_kv_heads · head size outputs) must be a multiple of 8 too (GPTQ packs 8 per int32).
 * An odd head size is refused by readLlama2cCheckpoint already.
 */
export function checkConvertibleHeader(header: Llama2cHeader, o: Pick<ConvertLlama2cOptions, 'quantize'>): void {
  if (header.dim % 8 !== 0) {
    throw new AppError('UNSUPPORTED_MODEL', `Model dimension ${header.dim} is not a multiple of 8; this converter pads only the MLP hidden size. Export a model whose dim is a multiple of 8.`, { dim: header.dim });
  }
  const kvDim = (header.dim / header.nHeads) * header.nKvHeads;
  if (o.quantize !== 'none' && kvDim % 8 !== 0) {
    throw new AppError(
      'UNSUPPORTED_QUANTIZATION',
      `This model's key/value projections have ${kvDim} outputs (${header.nKvHeads} kv heads of ${header.dim / header.nHeads}), not a multiple of 8, so they cannot be stored as 4-bit GPTQ. Convert it unquantised (--quantize none).`,
      { kvDim },
    );
  }
}

export async function convertLlama2c(modelBytes: Uint8Array, tokenizerBytes: Uint8Array, o: ConvertLlama2cOptions): Promise<Map<string, Uint8Array>> {
  validateConvertOptions(o);
  const { header, weights } = readLlama2cCheckpoint(modelBytes);
  checkConvertibleHeader(header, o);
  const vocab = readLlama2cTokenizer(tokenizerBytes, header.vocabSize);
  const { tokenizerJson, tokenizerConfigJson } = buildSpmTokenizer(vocab, { addBos: true, modelMaxLength: header.seqLen });
  // GPTQ packs 8 values per int32 along both dimensions: pad the MLP's hidden size with zeros (exact).
  const intermediate = padIntermediate(weights, 8);
  const headDim = header.dim / header.nHeads;
  const config: LlamaConfig = {
    hiddenSize: header.dim,
    intermediateSize: intermediate,
    numLayers: header.nLayers,
    numHeads: header.nHeads,
    numKvHeads: header.nKvHeads,
    headDim,
    rmsNormEps: LLAMA2C_RMS_EPS,
    ropeTheta: 10000,
    ropeScaling: null,
    maxPositionEmbeddings: header.seqLen,
    vocabSize: header.vocabSize,
    tieWordEmbeddings: header.sharedClassifier,
    bosTokenId: vocab.bosId,
    eosTokenIds: [vocab.eosId],
    quant: null,
  };
  let quantized: { layers: ReturnType<typeof quantizeModel>['layers']; settings: QuantSettings } | undefined;
  if (o.quantize !== 'none') {
    const settings: QuantSettings = { groupSize: o.groupSize, sym: o.sym, actOrder: o.actOrder, format: o.format };
    let calibration: number[][] | undefined;
    if (o.quantize === 'gptq') {
      const c = o.calibration ?? DEFAULT_CALIBRATION;
      o.onProgress?.(`sampling ${c.count} calibration stories of ${c.length} tokens from the fp32 model (seed ${c.seed})`);
      calibration = sampleSequences(new ReferenceLlama(config, weights), c);
    }
    const res = quantizeModel(weights, config, {
      ...settings,
      method: o.quantize,
      calibration,
      onProgress: (l, n) => o.onProgress?.(`quantized layer ${l}/${n}`),
    });
    quantized = { layers: res.layers, settings };
  }
  return buildHfModelFiles({
    weights,
    quantized,
    hiddenSize: config.hiddenSize,
    intermediateSize: intermediate,
    numLayers: config.numLayers,
    numHeads: config.numHeads,
    numKvHeads: config.numKvHeads,
    headDim,
    vocabSize: config.vocabSize,
    maxPositionEmbeddings: config.maxPositionEmbeddings,
    rmsNormEps: config.rmsNormEps,
    ropeTheta: config.ropeTheta,
    tieWordEmbeddings: config.tieWordEmbeddings,
    bosTokenId: config.bosTokenId,
    eosTokenIds: config.eosTokenIds,
    dtype: o.dtype,
    shards: o.shards,
    tokenizerJson,
    tokenizerConfigJson,
  });
}
