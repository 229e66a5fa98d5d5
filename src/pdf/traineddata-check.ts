// Checks a gzip'd Tesseract language file (`<lang>.traineddata.gz`) before tesseract.js is given it. A damaged
// file is worse than a missing one there: Tesseract's init fails, and tesseract.js 7 then reports that job as
// both rejected and resolved, the second throwing inside its own message listener (in Node, an uncaught
// exception that ends the process). Damage that happens to these files — a download cut short, a network login
// page or proxy answering in the file's place, a flipped bit on disk — is caught here: the gzip stream must be
// whole (its CRC is checked by the decompressor, its trailer's length is checked here), and what it holds must
// be a traineddata archive with the LSTM model, its character set and its recoder (what OEM.LSTM_ONLY loads).
//
// The archive (tesseract's TessdataManager): int32 entry count n (little-endian), then n int64 offsets, one per
// TessdataType, -1 for an absent entry; each present entry runs from its offset to the next present one's.

/** TessdataType indices that OEM.LSTM_ONLY needs: TESSDATA_LSTM, TESSDATA_LSTM_UNICHARSET, TESSDATA_LSTM_RECODER. */
const LSTM_ENTRIES: ReadonlyArray<[index: number, name: string]> = [
  [17, 'LSTM model'],
  [21, 'LSTM character set'],
  [22, 'LSTM recoder'],
];
/** tesseract 5 has 24 entry types; a count far above that is not a traineddata header. */
const MAX_ENTRIES = 64;

/**
 * What is wrong with `gzipped` (a gzip'd traineddata archive, or the archive itself) as a language file for
 * tesseract.js (`gzip: true`, OEM.LSTM_ONLY), in a few words for an error message; null when it is sound.
 */
export async function traineddataProblem(gzipped: Uint8Array): Promise<string | null> {
  // Served with Content-Encoding: gzip, the browser's fetch hands over (and the cache stores) the archive itself;
  // tesseract.js takes both, deciding by the gzip magic bytes as here.
  if (gzipped.length < 2 || gzipped[0] !== 0x1f || gzipped[1] !== 0x8b) return archiveProblem(gzipped);
  if (gzipped.length < 18) return 'its compressed data is cut short';
  let raw: Uint8Array;
  try {
    const stream = new Blob([gzipped as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    raw = new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    return `its compressed data is damaged (${e instanceof Error ? e.message : String(e)})`;
  }
  // ISIZE, the gzip trailer's uncompressed length mod 2^32: a stream cut short ends in other bytes.
  const tail = gzipped.length - 4;
  const isize = (gzipped[tail]! | (gzipped[tail + 1]! << 8) | (gzipped[tail + 2]! << 16) | (gzipped[tail + 3]! << 24)) >>> 0;
  if (isize !== raw.length % 2 ** 32) return 'its compressed data is cut short or damaged (the length in its trailer does not match)';
  return archiveProblem(raw);
}

/** What is wrong with `raw` (an uncompressed traineddata archive) for OEM.LSTM_ONLY; null when it is sound. */
export function archiveProblem(raw: Uint8Array): string | null {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (raw.length < 4) return `it is not a Tesseract language file (${raw.length === 0 ? 'it is empty' : 'too short'})`;
  const count = view.getInt32(0, true);
  const headerEnd = 4 + 8 * count;
  if (count < 1 || count > MAX_ENTRIES || headerEnd > raw.length) return `it is not a Tesseract language file (its header is not a table of contents${startsWith(raw)})`;
  const offsets: number[] = [];
  for (let i = 0; i < count; i++) offsets.push(Number(view.getBigInt64(4 + 8 * i, true)));
  let previous = headerEnd - 1;
  for (const [i, offset] of offsets.entries()) {
    if (offset === -1) continue;
    if (offset <= previous || offset >= raw.length) return `it is damaged (entry ${i} of its table of contents points outside the file or backwards)`;
    previous = offset;
  }
  const missing = LSTM_ENTRIES.filter(([i]) => (offsets[i] ?? -1) === -1).map(([, name]) => name);
  if (missing.length > 0) return `it has no ${missing.join(', ')} (a legacy-only language file; this app needs the LSTM "best_int" data)`;
  return null;
}

/** `: it starts with "<!DOCTYPE html>…"` when the bytes start with printable text, so an error page shows. */
function startsWith(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 24);
  if (!head.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f))) return '';
  return `: it starts with "${new TextDecoder().decode(head).replace(/\s+/g, ' ').trim()}${bytes.length > head.length ? '…' : ''}"`;
}
