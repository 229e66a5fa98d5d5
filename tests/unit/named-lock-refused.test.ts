// A browser that refuses Web Locks (Chromium rejects `navigator.locks.request` with SecurityError where the
// site's storage is blocked): every lock of the project falls back to the in-page chain instead of leaving its
// caller waiting forever. Node has no navigator.locks, so a LockManager-shaped object that refuses every request
// stands in for that browser (the one stand-in here: the refusal is the browser's, not code of ours).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chainBusy, holdNamedLock, namedLockHeld, requestNamedLock, whenNamedLockFree, withNamedLock } from '../../src/shared/named-lock';
import { ifDocumentFree, withDocumentLock } from '../../src/ui/services/document-lock';

const refusal = () => new DOMException('Access to the Locks API is denied in this context.', 'SecurityError');
let requests = 0;
const refusingLocks = {
  request: async () => {
    requests++;
    throw refusal();
  },
  query: async () => {
    throw refusal();
  },
};

beforeEach(() => {
  requests = 0;
  Object.defineProperty(globalThis, 'navigator', { value: { locks: refusingLocks }, configurable: true, writable: true });
});
afterEach(() => {
  delete (globalThis as { navigator?: unknown }).navigator;
});

describe('Web Locks refused by the browser', () => {
  it('holdNamedLock still takes the lock (in this page), and whenNamedLockFree waits for its release', async () => {
    const release = await holdNamedLock('pdfchat-answer:t1');
    expect(requests).toBe(1); // the Web Lock was asked for first
    expect(chainBusy('pdfchat-answer:t1')).toBe(true);
    expect(await namedLockHeld('pdfchat-answer:t1')).toBe(true); // query refused too: the chain answers
    let freed = false;
    const watching = whenNamedLockFree('pdfchat-answer:t1').then(() => (freed = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(freed).toBe(false);
    release();
    await watching;
    expect(freed).toBe(true);
    expect(await namedLockHeld('pdfchat-answer:t1')).toBe(false);
  });

  it('withNamedLock runs the work, one at a time per name; an error of the work reaches the caller', async () => {
    const order: string[] = [];
    let openFirst!: () => void;
    const first = withNamedLock('pdfchat-conversation:c1', async () => {
      order.push('first start');
      await new Promise<void>((r) => (openFirst = r));
      order.push('first end');
    });
    const second = withNamedLock('pdfchat-conversation:c1', async () => {
      order.push('second');
      return 7;
    });
    await new Promise((r) => setTimeout(r, 20));
    openFirst();
    await first;
    expect(await second).toBe(7);
    expect(order).toEqual(['first start', 'first end', 'second']);
    await expect(withNamedLock('pdfchat-conversation:c1', async () => { throw new Error('the work failed'); })).rejects.toThrow('the work failed');
  });

  it('the document lock: ifAvailable sees this page\'s holder; a waiter is told it waited', async () => {
    let done!: () => void;
    const holding = withDocumentLock('d1', (waited) => {
      expect(waited).toBe(false);
      return new Promise<void>((r) => (done = r));
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(await ifDocumentFree('d1', async () => undefined)).toBe(false);
    const waiter = withDocumentLock('d1', async (waited) => waited);
    done();
    await holding;
    expect(await waiter).toBe(true);
    expect(await ifDocumentFree('d1', async () => undefined)).toBe(true);
    expect(await requestNamedLock('pdfchat-doc:d2', { ifAvailable: true }, async (held) => held)).toBe(true);
  });
});
