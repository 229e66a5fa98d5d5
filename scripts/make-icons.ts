// Draws the app icon (a page with text lines and a speech bubble on a blue rounded square) and writes
// public/icons/icon-192.png, icon-512.png and a maskable 512 variant. Run: npx tsx scripts/make-icons.ts
// Pure Node: pixels are computed here and encoded as PNG with node:zlib.
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

type RGBA = [number, number, number, number];

function crc32(buf: Uint8Array): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export function encodePng(width: number, height: number, rgba: Uint8Array): Uint8Array {
  const raw = new Uint8Array(height * (width * 4 + 1));
  for (let y = 0; y < height; y++) raw.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (width * 4 + 1) + 1); // filter 0
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  const parts = [new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array())];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Signed distance to a rounded rectangle (unit square coordinates). */
function roundRect(x: number, y: number, cx: number, cy: number, hw: number, hh: number, r: number): number {
  const qx = Math.abs(x - cx) - hw + r;
  const qy = Math.abs(y - cy) - hh + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

function draw(size: number, maskable: boolean): Uint8Array {
  const px = new Uint8Array(size * size * 4);
  const blue: RGBA = [36, 87, 197, 255];
  const white: RGBA = [255, 255, 255, 255];
  const line: RGBA = [160, 178, 214, 255];
  const bubble: RGBA = [255, 196, 0, 255];
  const s = maskable ? 0.8 : 1; // maskable icons keep their content inside the central 80% circle
  const aa = 1.5 / size;
  for (let py = 0; py < size; py++) {
    for (let pxi = 0; pxi < size; pxi++) {
      const x = (pxi + 0.5) / size;
      const y = (py + 0.5) / size;
      const u = (x - 0.5) / s + 0.5;
      const v = (y - 0.5) / s + 0.5;
      let c: RGBA = [0, 0, 0, 0];
      const blend = (col: RGBA, d: number) => {
        const a = Math.min(1, Math.max(0, 0.5 - d / aa));
        if (a > 0) c = [0, 1, 2, 3].map((i) => c[i] * (1 - a) + col[i] * a) as RGBA;
      };
      blend(blue, maskable ? -1 : roundRect(x, y, 0.5, 0.5, 0.5, 0.5, 0.18));
      blend(white, roundRect(u, v, 0.44, 0.47, 0.22, 0.29, 0.03) * s);
      for (let i = 0; i < 5; i++) blend(line, roundRect(u, v, 0.42, 0.3 + i * 0.075, 0.15 - (i === 4 ? 0.06 : 0), 0.012, 0.01) * s);
      blend(bubble, roundRect(u, v, 0.68, 0.7, 0.15, 0.1, 0.06) * s);
      // bubble tail
      const tail = Math.max(-(v - 0.78), (u - 0.6) - (v - 0.78), -(u - 0.6) * 0.4 + (v - 0.87));
      blend(bubble, tail * s);
      const o = (py * size + pxi) * 4;
      px.set(c.map((n) => Math.round(n)), o);
    }
  }
  return encodePng(size, size, px);
}

const outDir = new URL('../public/icons/', import.meta.url);
mkdirSync(outDir, { recursive: true });
writeFileSync(new URL('icon-192.png', outDir), draw(192, false));
writeFileSync(new URL('icon-512.png', outDir), draw(512, false));
writeFileSync(new URL('icon-maskable-512.png', outDir), draw(512, true));
console.log('wrote public/icons/icon-192.png, icon-512.png, icon-maskable-512.png');
