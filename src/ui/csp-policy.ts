// The app's Content-Security-Policy and how the hub endpoint setting relates to it.
//
// The policy is a <meta http-equiv="Content-Security-Policy"> written into index.html at build time
// (vite.config.ts). connect-src = 'self' + the hub origins below, so no request can go anywhere else:
//   - https://huggingface.co and its download hosts (*.huggingface.co, *.hf.co: LFS/Xet redirects),
//   - loopback (http://127.0.0.1:*, http://localhost:*): a mirror or test hub on this machine,
//   - whatever PDFCHAT_HUB_ORIGINS lists at build time (space- or comma-separated origins, e.g.
//     "https://hf.example.org") for self-hosted mirrors.
// The endpoint setting in the UI accepts only endpoints this policy allows (checked with endpointAllowed
// against the policy actually in the page), so the user gets an explanation instead of a silent CSP block.

export const DEFAULT_HUB_ORIGINS = ['https://huggingface.co', 'https://*.huggingface.co', 'https://*.hf.co', 'http://127.0.0.1:*', 'http://localhost:*'];

export function hubOrigins(extra: string | undefined): string[] {
  const more = (extra ?? '').split(/[\s,]+/).filter(Boolean).map((o) => new URL(o).origin);
  return [...new Set([...DEFAULT_HUB_ORIGINS, ...more])];
}

export function buildCsp(origins: string[]): string {
  return [
    "default-src 'self'",
    // wasm-unsafe-eval: WebAssembly (ONNX runtime for embeddings, pdf.js image decoders); no JS eval.
    // blob:: onnxruntime-web imports its wasm glue from a blob: URL it creates itself (same-origin code only);
    // this matters once the policy is an HTTP header, which also binds the embedder worker.
    "script-src 'self' 'wasm-unsafe-eval' blob:",
    "worker-src 'self' blob:",
    `connect-src 'self' ${origins.join(' ')}`,
    "img-src 'self' data: blob:",
    // pdf.js's text layer and React set element styles; no inline script is allowed anywhere.
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'none'",
    "manifest-src 'self'",
  ].join('; ');
}

/** The connect-src sources of a policy string (empty when absent). */
export function connectSources(policy: string): string[] {
  const d = policy.split(';').map((s) => s.trim().split(/\s+/)).find((p) => p[0] === 'connect-src');
  return d ? d.slice(1) : [];
}

/** Whether a URL's origin matches a CSP source expression list (scheme, host with *. wildcard, port or *). */
export function endpointAllowed(url: string, sources: string[], selfOrigin: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return sources.some((src) => {
    if (src === "'self'") return u.origin === selfOrigin;
    const m = /^(https?):\/\/(\*\.)?([^:/]+)(?::(\d+|\*))?$/.exec(src);
    if (!m) return false;
    const [, scheme, wildcard, host, port] = m;
    if (u.protocol !== `${scheme}:`) return false;
    const hostOk = wildcard ? u.hostname.endsWith(`.${host}`) : u.hostname === host;
    const defaultPort = scheme === 'https' ? '443' : '80';
    const uPort = u.port || defaultPort;
    const portOk = port === '*' || uPort === (port ?? defaultPort);
    return hostOk && portOk;
  });
}

/** The policy in this page (browser), or null when none is set (dev server). */
export function pagePolicy(): string | null {
  const meta = typeof document !== 'undefined' ? document.querySelector('meta[http-equiv="Content-Security-Policy"]') : null;
  return meta?.getAttribute('content') ?? null;
}
