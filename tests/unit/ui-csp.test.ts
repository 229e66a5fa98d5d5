import { describe, expect, it } from 'vitest';
import { buildCsp, connectSources, endpointAllowed, hubOrigins } from '../../src/ui/csp-policy';

describe('Content-Security-Policy and the hub endpoint', () => {
  const policy = buildCsp(hubOrigins('https://hf.example.org/some/path, http://10.0.0.5:8080'));
  const sources = connectSources(policy);
  const self = 'http://127.0.0.1:4173';

  it('allows connections only to self and the hub origins', () => {
    expect(sources).toEqual(["'self'", 'https://huggingface.co', 'https://*.huggingface.co', 'https://*.hf.co', 'http://127.0.0.1:*', 'http://localhost:*', 'https://hf.example.org', 'http://10.0.0.5:8080']);
    expect(policy).toContain("script-src 'self' 'wasm-unsafe-eval' blob:");
    expect(policy).not.toMatch(/script-src[^;]*unsafe-inline/);
  });

  it('matches endpoints like the browser would', () => {
    expect(endpointAllowed('https://huggingface.co', sources, self)).toBe(true);
    expect(endpointAllowed('https://cas-bridge.xethub.hf.co/x', sources, self)).toBe(true);
    expect(endpointAllowed('http://127.0.0.1:9999', sources, self)).toBe(true);
    expect(endpointAllowed('https://hf.example.org/mirror', sources, self)).toBe(true);
    expect(endpointAllowed('http://10.0.0.5:8080', sources, self)).toBe(true);
    expect(endpointAllowed('http://10.0.0.5:8081', sources, self)).toBe(false);
    expect(endpointAllowed('https://hf-mirror.com', sources, self)).toBe(false);
    expect(endpointAllowed('http://huggingface.co', sources, self)).toBe(false); // scheme must match
    expect(endpointAllowed('https://evilhuggingface.co', sources, self)).toBe(false);
    expect(endpointAllowed(self + '/x', sources, self)).toBe(true);
    expect(endpointAllowed('not a url', sources, self)).toBe(false);
  });
});
