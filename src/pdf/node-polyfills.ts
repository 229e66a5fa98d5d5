// Polyfills pdfjs-dist 6 needs on Node 20 (it targets Node >= 22). Import this before pdf.js in Node.

declare global {
  interface PromiseConstructor {
    withResolvers<T>(): { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void };
  }
}

if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

// pdf.js's rendering (font and image data handed between its threads) calls ArrayBuffer.prototype.
// transferToFixedLength (Node >= 21). structuredClone with a transfer list moves the bytes the same way.
interface TransferableArrayBuffer {
  transferToFixedLength?(newLength?: number): ArrayBuffer;
}
if (typeof (ArrayBuffer.prototype as TransferableArrayBuffer).transferToFixedLength !== 'function') {
  Object.defineProperty(ArrayBuffer.prototype, 'transferToFixedLength', {
    configurable: true,
    writable: true,
    value: function transferToFixedLength(this: ArrayBuffer, newLength: number = this.byteLength): ArrayBuffer {
      const moved = structuredClone(this, { transfer: [this] });
      if (newLength === moved.byteLength) return moved;
      const out = new ArrayBuffer(newLength);
      new Uint8Array(out).set(new Uint8Array(moved, 0, Math.min(newLength, moved.byteLength)));
      return out;
    },
  });
}

export {};
