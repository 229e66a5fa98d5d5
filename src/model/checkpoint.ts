// A model checkpoint in Hugging Face layout: config (+ quantization + generation config) and every tensor
// of its safetensors file(s), read on demand with ranged reads.
import { AppError } from '../shared/errors';
import { parseModelConfig, type LlamaConfig } from './config';
import { f16BitsArrayToF32, f32ArrayToF16Bits } from '../shared/f16';
import type { ModelFiles } from './files';
import { defaultGroupIndex, gptqGroupCount, type GptqTensors } from './gptq-pack';
import { awqShapes, awqToGptq } from './awq-repack';
import { gptq8Shapes, type Gptq8Tensors } from './gptq8-pack';
import { readSafetensorsIndex, type SafetensorsDtype, type TensorLocation } from './safetensors';

/**
 * The seven linear layers of a Llama-family block (llama, mistral, qwen2, qwen3 use the same names): short key
 * and HF tensor name under model.layers.N. Qwen2 adds q/k/v `.bias` tensors next to them; Qwen3 adds
 * QK_NORM_NAMES.
 */
export const LINEAR_NAMES = [
  ['q', 'self_attn.q_proj'],
  ['k', 'self_attn.k_proj'],
  ['v', 'self_attn.v_proj'],
  ['o', 'self_attn.o_proj'],
  ['gate', 'mlp.gate_proj'],
  ['up', 'mlp.up_proj'],
  ['down', 'mlp.down_proj'],
] as const;
export type LinearKey = (typeof LINEAR_NAMES)[number][0];

/** Qwen3's per-head RMSNorm weights [head_dim] under model.layers.N. */
export const QK_NORM_NAMES = { q: 'self_attn.q_norm.weight', k: 'self_attn.k_norm.weight' } as const;

export interface TensorInfo {
  dtype: SafetensorsDtype;
  shape: number[];
  byteLength: number;
}

export interface Checkpoint {
  config: LlamaConfig;
  has(name: string): boolean;
  names(): string[];
  info(name: string): TensorInfo;
  /** F32 → Float32Array, F16 → Uint16Array (bits), BF16 → Float32Array, I32 → Int32Array. */
  read(name: string): Promise<Float32Array | Int32Array | Uint16Array>;
  /** Any float dtype as Float32Array. */
  readF32(name: string): Promise<Float32Array>;
  /**
   * The 4-bit tensors of a linear layer (prefix e.g. 'model.layers.0.self_attn.q_proj') in the AutoGPTQ layout
   * (AWQ layers repacked into it), or null when unquantized. Throws for 8-bit layers (use gptq8).
   */
  gptq(prefix: string): Promise<GptqTensors | null>;
  /** The 8-bit GPTQ tensors of a linear layer, or null when it is unquantized or the model is not 8-bit. */
  gptq8(prefix: string): Promise<Gptq8Tensors | null>;
  /** Total bytes of all tensors. */
  weightBytes: number;
}

async function readJson(files: ModelFiles, name: string, listed: string[], required: boolean): Promise<unknown> {
  if (!listed.includes(name)) {
    if (required) throw new AppError('MISSING_FILE', `${name} is missing from the model directory; a Hugging Face model needs it.`);
    return undefined;
  }
  try {
    return JSON.parse(new TextDecoder().decode(await files.read(name)));
  } catch {
    throw new AppError('MALFORMED_CONFIG', `${name} is not valid JSON. Download it again.`);
  }
}

/** Copies the bytes into a fresh, aligned buffer of the right element type. */
function view(bytes: Uint8Array, dtype: SafetensorsDtype): Float32Array | Int32Array | Uint16Array {
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes); // a fresh, aligned copy (Buffer.slice would be a view)
  switch (dtype) {
    case 'F32':
      return new Float32Array(copy);
    case 'I32':
      return new Int32Array(copy);
    case 'F16':
      return new Uint16Array(copy);
    case 'BF16': {
      const src = new Uint16Array(copy);
      const out = new Uint32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = src[i] << 16;
      return new Float32Array(out.buffer);
    }
  }
}

export async function openCheckpoint(files: ModelFiles): Promise<Checkpoint> {
  const listed = await files.list();
  const configJson = await readJson(files, 'config.json', listed, true);
  const quantJson = await readJson(files, 'quantize_config.json', listed, false);
  const genJson = await readJson(files, 'generation_config.json', listed, false);
  const config = parseModelConfig(configJson, quantJson, genJson);
  const index = await readSafetensorsIndex(files);

  const loc = (name: string): TensorLocation => {
    const t = index.tensors.get(name);
    if (!t) throw new AppError('MALFORMED_WEIGHTS', `Tensor ${name} is not in the model's safetensors files (${index.files.join(', ')}).`);
    return t;
  };

  const read = async (name: string) => {
    const t = loc(name);
    const bytes = await files.read(t.file, t.start, t.stop);
    if (bytes.byteLength !== t.stop - t.start) {
      throw new AppError('TRUNCATED_FILE', `${t.file}: tensor ${name} needs bytes ${t.start}..${t.stop} but the file ends early. Download it again.`);
    }
    return view(bytes, t.dtype);
  };

  const readF32 = async (name: string): Promise<Float32Array> => {
    const dtype = loc(name).dtype;
    const data = await read(name);
    if (dtype === 'I32') throw new AppError('MALFORMED_WEIGHTS', `Tensor ${name} is I32 where a float tensor is expected.`);
    return dtype === 'F16' ? f16BitsArrayToF32(data as Uint16Array) : (data as Float32Array);
  };

  const expectShape = (name: string, shape: number[]) => {
    const got = loc(name).shape;
    if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
      throw new AppError('MALFORMED_WEIGHTS', `Tensor ${name} has shape ${JSON.stringify(got)}, expected ${JSON.stringify(shape)}.`);
    }
  };

  const quantConfig = (prefix: string) => {
    const q = config.quant;
    if (!q) throw new AppError('MALFORMED_CONFIG', `${prefix} is quantized (it has a .qweight) but neither config.json nor quantize_config.json has a quantization config.`);
    return q;
  };
  const requireI32 = (names: string[]) => {
    for (const n of names) {
      if (index.tensors.has(n) && loc(n).dtype !== 'I32') throw new AppError('MALFORMED_WEIGHTS', `${n} must be I32, found ${loc(n).dtype}.`);
    }
  };
  const readF16 = async (name: string): Promise<Uint16Array> => {
    const dtype = loc(name).dtype;
    // Scales and biases are floats: I32 bits read as floats would give garbage weights without an error.
    if (dtype === 'I32') throw new AppError('MALFORMED_WEIGHTS', `Tensor ${name} is I32 where float scales or a bias (F16, BF16 or F32) are expected. The checkpoint is not a GPTQ/AWQ export this app reads; pick another.`);
    const raw = await read(name);
    return dtype === 'F16' ? (raw as Uint16Array) : f32ArrayToF16Bits(raw as Float32Array);
  };
  const readBias = async (prefix: string, N: number): Promise<{ bias?: Uint16Array }> => {
    if (!index.tensors.has(`${prefix}.bias`)) return {};
    expectShape(`${prefix}.bias`, [N]);
    return { bias: await readF16(`${prefix}.bias`) };
  };
  const readGIdx = async (prefix: string, K: number, groupSize: number): Promise<Int32Array> => {
    if (!index.tensors.has(`${prefix}.g_idx`)) return defaultGroupIndex(K, groupSize);
    expectShape(`${prefix}.g_idx`, [K]);
    return (await read(`${prefix}.g_idx`)) as Int32Array;
  };

  /** AutoAWQ gemm: qweight [K, N/8] packed along the output dim; repacked into GPTQ v2 tensors. */
  const awq = async (prefix: string, groupSize: number): Promise<GptqTensors> => {
    const qwShape = loc(`${prefix}.qweight`).shape;
    const scShape = index.tensors.has(`${prefix}.scales`) ? loc(`${prefix}.scales`).shape : [];
    if (qwShape.length !== 2 || scShape.length !== 2) throw new AppError('MALFORMED_WEIGHTS', `AWQ layer ${prefix}: qweight and scales must be 2-D (qweight [in, out/8], scales [in/group, out]).`);
    const K = qwShape[0];
    const N = scShape[1];
    const want = awqShapes(K, N, groupSize);
    if (qwShape[1] * 8 !== N) {
      throw new AppError(
        'MALFORMED_WEIGHTS',
        `AWQ layer ${prefix}: qweight has shape ${JSON.stringify(qwShape)} but scales ${JSON.stringify(scShape)} imply ${JSON.stringify(want.qweight)} (AutoAWQ gemm packs 8 output columns per int32). This is not an AutoAWQ gemm checkpoint, or it is damaged.`,
      );
    }
    expectShape(`${prefix}.scales`, want.scales);
    expectShape(`${prefix}.qzeros`, want.qzeros);
    requireI32([`${prefix}.qweight`, `${prefix}.qzeros`]);
    return awqToGptq({
      qweight: (await read(`${prefix}.qweight`)) as Int32Array,
      qzeros: (await read(`${prefix}.qzeros`)) as Int32Array,
      scales: await readF16(`${prefix}.scales`),
      ...(await readBias(prefix, N)),
      K,
      N,
      groupSize,
    });
  };

  const gptq = async (prefix: string): Promise<GptqTensors | null> => {
    if (!index.tensors.has(`${prefix}.qweight`)) return null;
    const q = quantConfig(prefix);
    if (q.bits === 8) throw new AppError('INTERNAL', `${prefix} is an 8-bit GPTQ layer; read it with gptq8().`);
    if (q.method === 'awq') return awq(prefix, q.groupSize);
    const qwShape = loc(`${prefix}.qweight`).shape;
    if (qwShape.length !== 2) throw new AppError('MALFORMED_WEIGHTS', `${prefix}.qweight must be 2-D.`);
    const K = qwShape[0] * 8;
    const N = qwShape[1];
    const nG = gptqGroupCount(K, q.groupSize);
    expectShape(`${prefix}.qzeros`, [nG, N / 8]);
    expectShape(`${prefix}.scales`, [nG, N]);
    requireI32([`${prefix}.qweight`, `${prefix}.qzeros`, `${prefix}.g_idx`]);
    const scales = await readF16(`${prefix}.scales`);
    const gIdx = await readGIdx(prefix, K, q.groupSize);
    return {
      qweight: (await read(`${prefix}.qweight`)) as Int32Array,
      qzeros: (await read(`${prefix}.qzeros`)) as Int32Array,
      scales,
      gIdx,
      ...(await readBias(prefix, N)),
      K,
      N,
      groupSize: q.groupSize,
      format: q.format,
    };
  };

  const gptq8 = async (prefix: string): Promise<Gptq8Tensors | null> => {
    if (!index.tensors.has(`${prefix}.qweight`)) return null;
    const q = quantConfig(prefix);
    if (q.bits !== 8) return null;
    const qwShape = loc(`${prefix}.qweight`).shape;
    if (qwShape.length !== 2) throw new AppError('MALFORMED_WEIGHTS', `${prefix}.qweight must be 2-D.`);
    const K = qwShape[0] * 4;
    const N = qwShape[1];
    const want = gptq8Shapes(K, N, q.groupSize);
    expectShape(`${prefix}.qzeros`, want.qzeros);
    expectShape(`${prefix}.scales`, want.scales);
    requireI32([`${prefix}.qweight`, `${prefix}.qzeros`, `${prefix}.g_idx`]);
    return {
      bits: 8,
      qweight: (await read(`${prefix}.qweight`)) as Int32Array,
      qzeros: (await read(`${prefix}.qzeros`)) as Int32Array,
      scales: await readF16(`${prefix}.scales`),
      gIdx: await readGIdx(prefix, K, q.groupSize),
      ...(await readBias(prefix, N)),
      K,
      N,
      groupSize: q.groupSize,
      format: q.format,
    };
  };

  let weightBytes = 0;
  for (const t of index.tensors.values()) weightBytes += t.stop - t.start;

  return {
    config,
    has: (name) => index.tensors.has(name),
    names: () => [...index.tensors.keys()],
    info: (name) => {
      const t = loc(name);
      return { dtype: t.dtype, shape: t.shape, byteLength: t.stop - t.start };
    },
    read,
    readF32,
    gptq,
    gptq8,
    weightBytes,
  };
}
