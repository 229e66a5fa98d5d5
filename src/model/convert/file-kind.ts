// Recognises files that are often passed to convert-llama2c by mistake, from their first bytes, so the error
// can say what the file is and what to pass instead.

export type ForeignKind = 'gguf' | 'pdf' | 'safetensors' | 'zip' | 'json';

/** What the bytes are, when they are one of the well-known formats that are not llama2.c files. */
export function foreignFileKind(bytes: Uint8Array): ForeignKind | null {
  const head = String.fromCharCode(...bytes.subarray(0, 16));
  if (head.startsWith('GGUF')) return 'gguf';
  if (head.startsWith('%PDF')) return 'pdf';
  if (head.startsWith('PK\x03\x04')) return 'zip';
  // JSON: a bracket followed by JSON (a llama2.c header whose first byte happens to be 0x7b is followed by zeros).
  if (/^\s*[[{]\s*["{[\]}]/.test(head.replace(/^\xEF\xBB\xBF/, ''))) return 'json';
  // safetensors: u64 little-endian header length, then a JSON header starting with '{"'.
  if (bytes.byteLength > 10 && bytes[6] === 0 && bytes[7] === 0 && bytes[8] === 0x7b && bytes[9] === 0x22) return 'safetensors';
  return null;
}

const WHAT: Record<ForeignKind, string> = {
  gguf: 'a GGUF model file (llama.cpp)',
  pdf: 'a PDF document',
  zip: 'a zip archive (a PyTorch .pt/.pth checkpoint is one)',
  json: 'a JSON file',
  safetensors: 'a safetensors weights file',
};

/**
 * "The --model file is a GGUF model file (llama.cpp), not a llama2.c checkpoint. … Pass …" when the bytes are a
 * well-known other format, else null.
 */
export function foreignFileMessage(bytes: Uint8Array, role: 'model' | 'tokenizer'): string | null {
  const kind = foreignFileKind(bytes);
  if (!kind) return null;
  const expected = role === 'model' ? 'a llama2.c checkpoint' : 'a llama2.c tokenizer';
  const notes: string[] = [];
  if (role === 'model' && kind === 'gguf') {
    notes.push('convert-llama2c does not read GGUF, and the app loads Hugging Face safetensors folders, not GGUF: use the model\'s safetensors (or GPTQ) release instead.');
  }
  if (role === 'model' && (kind === 'safetensors' || kind === 'json')) notes.push('A Hugging Face model folder needs no conversion: open that folder directly.');
  notes.push(
    role === 'model'
      ? 'To convert, pass the llama2.c .bin checkpoint (e.g. stories260K.bin) as --model.'
      : 'Pass the llama2.c tokenizer .bin (e.g. tok512.bin, written by llama2.c\'s tokenizer.py) as --tokenizer.',
  );
  return `The --${role} file is ${WHAT[kind]}, not ${expected}. ${notes.join(' ')}`;
}
