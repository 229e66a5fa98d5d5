// safetensors: header parsing, a tensor index over one file / a sharded set, and a writer.
// Format: u64 LE N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end)}, __metadata__?}, then data;
// offsets count from byte 8 + N.
import { AppError } from '../shared/errors';
import type { ModelFiles } from './files';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'I32';
const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, I32: 4 };

export function dtypeBytes(dtype: SafetensorsDtype): number {
  return DTYPE_BYTES[dtype];
}

export interface SafetensorsTensorInfo {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte range inside the data section. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Byte offset of the data section in the file (8 + N). */
  dataOffset: number;
  tensors: Map<string, SafetensorsTensorInfo>;
  metadata: Record<string, string>;
  /** Largest data end offset (data section length the header requires). */
  dataLength: number;
}

function bad(file: string, why: string): AppError {
  return new AppError('MALFORMED_WEIGHTS', `${file}: ${why}. The weights file is damaged or not a safetensors file; download it again.`);
}

/** Length N of the JSON header from the first 8 bytes. */
export function safetensorsHeaderLength(first8: Uint8Array, file = 'safetensors file'): number {
  if (first8.byteLength < 8) throw bad(file, 'shorter than the 8-byte header length');
  const dv = new DataView(first8.buffer, first8.byteOffset, 8);
  const n = Number(dv.getBigUint64(0, true));
  if (n <= 1 || n > 100_000_000) throw bad(file, `implausible header length ${n}`);
  return n;
}

/** Parses the header from bytes that start at file offset 0 and hold at least 8 + N bytes. */
export function parseSafetensorsHeader(bytes: Uint8Array, file = 'safetensors file'): SafetensorsHeader {
  const n = safetensorsHeaderLength(bytes, file);
  if (bytes.byteLength < 8 + n) throw bad(file, `header says ${n} bytes of JSON but only ${bytes.byteLength - 8} are present`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch {
    throw bad(file, 'header is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad(file, 'header is not a JSON object');
  const tensors = new Map<string, SafetensorsTensorInfo>();
  let metadata: Record<string, string> = {};
  let dataLength = 0;
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = (v ?? {}) as Record<string, string>;
      continue;
    }
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t !== 'object' || t === null) throw bad(file, `entry ${name} is not an object`);
    if (typeof t.dtype !== 'string' || !(t.dtype in DTYPE_BYTES)) {
      throw new AppError('UNSUPPORTED_MODEL', `${file}: tensor ${name} has dtype ${JSON.stringify(t.dtype)}; only F32, F16, BF16 and I32 are supported.`);
    }
    const dtype = t.dtype as SafetensorsDtype;
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(file, `tensor ${name} has an invalid shape`);
    const offs = t.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0) || offs[1] < offs[0]) {
      throw bad(file, `tensor ${name} has invalid data_offsets`);
    }
    const shape = t.shape as number[];
    const count = shape.reduce((a, b) => a * b, 1);
    if (offs[1] - offs[0] !== count * DTYPE_BYTES[dtype]) {
      throw bad(file, `tensor ${name}: shape ${JSON.stringify(shape)} ${dtype} needs ${count * DTYPE_BYTES[dtype]} bytes but data_offsets span ${offs[1] - offs[0]}`);
    }
    tensors.set(name, { dtype, shape, begin: offs[0], end: offs[1] });
    dataLength = Math.max(dataLength, offs[1]);
  }
  // Two tensors over the same bytes: a damaged or hand-edited header (the format forbids it); reading on would
  // give one of them the other's values.
  const spans = [...tensors].filter(([, t]) => t.end > t.begin).sort((a, b) => a[1].begin - b[1].begin);
  for (let i = 1; i < spans.length; i++) {
    const [prevName, prev] = spans[i - 1];
    const [name, t] = spans[i];
    if (t.begin < prev.end) throw bad(file, `tensors ${prevName} (bytes ${prev.begin}..${prev.end}) and ${name} (bytes ${t.begin}..${t.end}) overlap`);
  }
  return { dataOffset: 8 + n, tensors, metadata, dataLength };
}

/** Reads and parses the header of one safetensors file, checking the file is as long as the header says. */
export async function readSafetensorsHeader(files: ModelFiles, file: string): Promise<SafetensorsHeader> {
  const size = await files.size(file);
  if (size < 8) throw new AppError('TRUNCATED_FILE', `${file} is ${size} bytes, too short to be a safetensors file. Download it again.`);
  const n = safetensorsHeaderLength(await files.read(file, 0, 8), file);
  if (size < 8 + n) {
    throw new AppError('TRUNCATED_FILE', `${file} is truncated: its header needs ${8 + n} bytes but the file has ${size}. Download it again.`);
  }
  const header = parseSafetensorsHeader(await files.read(file, 0, 8 + n), file);
  const needed = header.dataOffset + header.dataLength;
  if (size < needed) {
    throw new AppError('TRUNCATED_FILE', `${file} is truncated: its header describes ${needed} bytes but the file has ${size}. Download it again.`);
  }
  return header;
}

export interface TensorLocation extends SafetensorsTensorInfo {
  file: string;
  /** Absolute byte range in `file`. */
  start: number;
  stop: number;
}

export interface SafetensorsIndex {
  /** Weight files in use, in order. */
  files: string[];
  tensors: Map<string, TensorLocation>;
}

const INDEX_FILE = 'model.safetensors.index.json';

/**
 * Finds the weights of a model directory: a sharded set listed in model.safetensors.index.json,
 * model.safetensors, or a single other *.safetensors (e.g. gptq_model-4bit-128g.safetensors).
 */
export async function readSafetensorsIndex(files: ModelFiles): Promise<SafetensorsIndex> {
  const listed = await files.list();
  let weightFiles: string[];
  if (listed.includes(INDEX_FILE)) {
    let idx: unknown;
    try {
      idx = JSON.parse(new TextDecoder().decode(await files.read(INDEX_FILE)));
    } catch {
      throw new AppError('MALFORMED_WEIGHTS', `${INDEX_FILE} is not valid JSON. Download it again.`);
    }
    const map = typeof idx === 'object' && idx !== null ? (idx as { weight_map?: unknown }).weight_map : undefined;
    if (typeof map !== 'object' || map === null || Array.isArray(map)) {
      throw new AppError('MALFORMED_WEIGHTS', `${INDEX_FILE} has no weight_map object (it holds ${idx === null ? 'null' : Array.isArray(idx) ? 'a list' : typeof idx === 'object' ? 'an object without one' : `a ${typeof idx}`}). Download it again.`);
    }
    const values = Object.values(map as Record<string, unknown>);
    const odd = values.find((f) => typeof f !== 'string' || !f.endsWith('.safetensors'));
    if (odd !== undefined) throw new AppError('MALFORMED_WEIGHTS', `${INDEX_FILE} maps a tensor to ${JSON.stringify(odd)}, not a .safetensors file name. Download it again.`);
    weightFiles = [...new Set(values as string[])].sort();
    for (const f of weightFiles) {
      if (!listed.includes(f)) throw new AppError('MISSING_FILE', `Shard ${f} (listed in ${INDEX_FILE}) is missing from the model directory. Download it again.`);
    }
  } else if (listed.includes('model.safetensors')) {
    weightFiles = ['model.safetensors'];
  } else {
    const any = listed.filter((f) => f.endsWith('.safetensors')).sort();
    if (any.length === 0) throw new AppError('MISSING_FILE', 'No weights found: the model directory has no model.safetensors, no model.safetensors.index.json and no other .safetensors file.');
    weightFiles = any;
  }
  const tensors = new Map<string, TensorLocation>();
  for (const file of weightFiles) {
    const h = await readSafetensorsHeader(files, file);
    for (const [name, t] of h.tensors) {
      // Without an index nothing says which file is meant (an old export left beside a new one, say): refused
      // rather than taking the last file in name order.
      const earlier = tensors.get(name);
      if (earlier) {
        throw new AppError(
          'MALFORMED_WEIGHTS',
          `Tensor ${name} is in two weight files, ${earlier.file} and ${file}. Remove the one that does not belong to this model from the folder (or add its model.safetensors.index.json).`,
        );
      }
      tensors.set(name, { ...t, file, start: h.dataOffset + t.begin, stop: h.dataOffset + t.end });
    }
  }
  return { files: weightFiles, tensors };
}

export type TensorData = Float32Array | Uint16Array | Int32Array;

export interface TensorToWrite {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** F32 → Float32Array; F16/BF16 → Uint16Array of bits; I32 → Int32Array (or Uint32Array). */
  data: TensorData | Uint32Array;
}

/** Serialises tensors into one safetensors file (data 8-byte aligned by padding the JSON with spaces). */
export function writeSafetensors(tensors: TensorToWrite[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    const bytes = count * DTYPE_BYTES[t.dtype];
    if (t.data.byteLength !== bytes) {
      throw new AppError('INTERNAL', `writeSafetensors: ${t.name} has ${t.data.byteLength} bytes of data but shape ${JSON.stringify(t.shape)} ${t.dtype} needs ${bytes}.`);
    }
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let jsonBytes = enc.encode(json);
  const pad = (8 - (jsonBytes.byteLength % 8)) % 8;
  if (pad) jsonBytes = enc.encode((json += ' '.repeat(pad)));
  const out = new Uint8Array(8 + jsonBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(jsonBytes.byteLength), true);
  out.set(jsonBytes, 8);
  let p = 8 + jsonBytes.byteLength;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
    p += t.data.byteLength;
  }
  return out;
}
