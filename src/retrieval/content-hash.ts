// A document's identity is the SHA-256 of its bytes (hex): the same PDF dropped twice, under any name,
// is recognised and never extracted or embedded again. Web Crypto works in browsers, workers and Node ≥ 20.
export async function contentHash(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
