// Minimal GGUF (v2/v3) metadata reader: key/value pairs only (tensor data is not read). Used to build
// tokenizers from GGUF vocabularies (tokenizer.ggml.tokens / scores / token_type) in tests and tools.
import { AppError } from '../../shared/errors';

export type GgufValue = number | bigint | boolean | string | GgufValue[];

export function readGgufMetadata(bytes: Uint8Array): Map<string, GgufValue> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dec = new TextDecoder();
  let o = 0;
  const need = (n: number) => {
    if (o + n > bytes.byteLength) throw new AppError('TRUNCATED_FILE', 'GGUF file ends inside its metadata.');
  };
  const u32 = () => (need(4), (o += 4), dv.getUint32(o - 4, true));
  const u64 = () => (need(8), (o += 8), Number(dv.getBigUint64(o - 8, true)));
  const str = () => {
    const n = u64();
    need(n);
    const s = dec.decode(bytes.subarray(o, o + n));
    o += n;
    return s;
  };
  const value = (type: number): GgufValue => {
    switch (type) {
      case 0: return (need(1), (o += 1), dv.getUint8(o - 1));
      case 1: return (need(1), (o += 1), dv.getInt8(o - 1));
      case 2: return (need(2), (o += 2), dv.getUint16(o - 2, true));
      case 3: return (need(2), (o += 2), dv.getInt16(o - 2, true));
      case 4: return u32();
      case 5: return (need(4), (o += 4), dv.getInt32(o - 4, true));
      case 6: return (need(4), (o += 4), dv.getFloat32(o - 4, true));
      case 7: return (need(1), (o += 1), dv.getUint8(o - 1) !== 0);
      case 8: return str();
      case 9: {
        const t = u32();
        const n = u64();
        const arr: GgufValue[] = new Array(n);
        for (let i = 0; i < n; i++) arr[i] = value(t);
        return arr;
      }
      case 10: return (need(8), (o += 8), dv.getBigUint64(o - 8, true));
      case 11: return (need(8), (o += 8), dv.getBigInt64(o - 8, true));
      case 12: return (need(8), (o += 8), dv.getFloat64(o - 8, true));
      default: throw new AppError('MALFORMED_WEIGHTS', `GGUF metadata value type ${type} is unknown.`);
    }
  };
  if (u32() !== 0x46554747) throw new AppError('MALFORMED_WEIGHTS', 'Not a GGUF file (bad magic).');
  const version = u32();
  if (version < 2) throw new AppError('MALFORMED_WEIGHTS', `GGUF version ${version} is not supported.`);
  u64(); // tensor count
  const kvCount = u64();
  const kv = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = str();
    kv.set(key, value(u32()));
  }
  return kv;
}
