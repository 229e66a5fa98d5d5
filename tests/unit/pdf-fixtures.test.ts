// Every PDF of ../shared/fixtures/pdfs against the outcome MANIFEST.json lists for it.
import { describe, expect, it } from 'vitest';
import { extractPdf, type ExtractResult } from '../../src/pdf/extract';
import { errorOf, fixture, HAVE_FIXTURES, readManifest, SKIP_REASON, type ManifestFile } from './pdf-helpers';

if (!HAVE_FIXTURES) console.warn(SKIP_REASON);

const files: ManifestFile[] = HAVE_FIXTURES ? readManifest().files : [];
const cache = new Map<string, Promise<ExtractResult>>();
function extracted(name: string, password?: string): Promise<ExtractResult> {
  const key = `${name}\0${password ?? ''}`;
  if (!cache.has(key)) cache.set(key, extractPdf(fixture(name), password !== undefined ? { password } : {}));
  return cache.get(key)!;
}
const flat = (s: string) => s.replace(/\s+/g, ' ');
const pageText = (r: ExtractResult, n: number) => r.pages.find((p) => p.page === n)!.text;

describe.skipIf(!HAVE_FIXTURES)('fixture PDFs: outcomes listed in MANIFEST.json', () => {
  it('covers the whole manifest', () => expect(files.length).toBeGreaterThanOrEqual(11));

  for (const f of files) {
    const password = f.encrypted.user_password ?? undefined;
    if (!f.has_text) {
      it(`${f.name}: no text layer → NO_TEXT naming OCR`, async () => {
        const err = await errorOf(extracted(f.name));
        expect(err.code).toBe('NO_TEXT');
        expect(err.message).toMatch(/OCR/);
      });
      continue;
    }
    it(`${f.name}: ${f.pages} pages, probes found, no control or ligature characters`, async () => {
      const r = await extracted(f.name, password);
      expect(r.pageCount).toBe(f.pages);
      expect(r.pages.map((p) => p.page)).toEqual(Array.from({ length: f.pages }, (_, i) => i + 1));
      for (const probe of f.extraction_probes) {
        const want = probe.text ?? probe.text_expected ?? probe.value;
        expect(want, JSON.stringify(probe)).toBeTruthy();
        expect(flat(pageText(r, probe.page))).toContain(want);
        expect(r.pages[probe.page - 1].quality).toBe('ok');
      }
      for (const p of r.pages) expect(p.text).not.toMatch(/[\x00-\x08\x0B-\x1F\x7F\uFB00-\uFB06\uFFFD]/);
    });
  }

  it('issue6010_1.pdf (AES-256): PASSWORD_REQUIRED, then BAD_PASSWORD, then the text with the right password', async () => {
    expect((await errorOf(extracted('issue6010_1.pdf'))).code).toBe('PASSWORD_REQUIRED');
    const bad = await errorOf(extracted('issue6010_1.pdf', 'not-the-password'));
    expect(bad.code).toBe('BAD_PASSWORD');
    expect(bad.message).toMatch(/password/i);
    const ok = await extracted('issue6010_1.pdf', 'abc');
    expect(ok.pages[0].text).toBe('Issue 6010');
  });

  it('TAMReview.pdf: pages 2–22 are garbled (flagged, text withheld, warning names OCR); pages 1 and 23 are ok', async () => {
    const r = await extracted('TAMReview.pdf');
    const garbled = r.pages.filter((p) => p.quality === 'garbled').map((p) => p.page);
    expect(garbled).toEqual(Array.from({ length: 21 }, (_, i) => i + 2));
    for (const p of r.pages.filter((p) => p.quality === 'garbled')) expect(p.text).toBe('');
    expect(r.pages[0].quality).toBe('ok');
    expect(r.pages[22].quality).toBe('ok');
    expect(r.warnings.join(' ')).toMatch(/2–22.*garbled.*OCR/);
    expect(r.title).toMatch(/^Overview of the Technology Acceptance Model/);
  });

  it('rotation.pdf: the /Rotate 90 page reads in order like an upright one', async () => {
    const r = await extracted('rotation.pdf');
    expect(pageText(r, 1)).toBe('This is my first page with normal layout.\nThis is the second line on the page.');
    expect(pageText(r, 2)).toBe('This is my second page. It will have a landscape layout.\nSecond line here.');
  });

  it('chrome-text-selection-markedContent.pdf: two columns read one after the other, table rows kept', async () => {
    const t = pageText(await extracted('chrome-text-selection-markedContent.pdf'), 1);
    // Consecutive lines of the left column stay together (no right-column line in between).
    expect(t).toContain("In Q4, Kreate's revenue decreased by 5.9% to around 75.5 MEUR,\nwhich was in line with our forecasts");
    // The sentence split across the column break continues where the right column starts.
    expect(flat(t)).toMatch(/Our revenue forecasts were subject to small upward pressures due to the guidance and outlook/);
    const at = (s: string) => t.indexOf(s);
    expect(at('A successful year overall')).toBeLessThan(at('Growth and profitability improvement expected'));
    expect(at('Growth and profitability improvement expected')).toBeLessThan(at('Moderate upside in valuation'));
    expect(t).toContain('Revenue 275.5 295.6 319.4 330.7');
  });

  it('compressed.tracemonkey-pldi-09.pdf: two-column paper, left column before right, lines not interleaved', async () => {
    const r = await extracted('compressed.tracemonkey-pldi-09.pdf');
    expect(r.pages.every((p) => p.quality === 'ok')).toBe(true);
    const t = pageText(r, 1);
    expect(t).toContain('is available, traditional compilers need to emit generic code that can\nhandle all possible type combinations at runtime.');
    expect(t.indexOf('the de facto standard for client-side web programming')).toBeLessThan(t.indexOf('and is used for the application logic of browser-based'));
    expect(t.indexOf('Permission to make digital or hard copies')).toBeLessThan(t.indexOf('Compilers for statically typed languages rely on type'));
  });

  it('issue918.pdf (Type 3, T1 codes): ligatures restored, hyphenation repaired, quotes mapped', async () => {
    const t = pageText(await extracted('issue918.pdf'), 1);
    expect(t).toContain('signifier');
    expect(t).toContain('suffice');
    expect(t).toContain('signification');
    expect(t).toContain('\u201CWorkers of the World, Unite!\u201D'); // "Work-" / "ers" across a line break
    expect(t).toContain('the relationship of people'); // "rela-" / "tionship"
  });

  it('issue12823.pdf: Chinese text present', async () => {
    const t = pageText(await extracted('issue12823.pdf'), 1);
    expect(t).toContain('描述团队的共同目标');
    expect(t).toContain('介绍知识库的主要内容、面向的群体');
    expect(t.match(/\p{Script=Han}/gu)!.length).toBeGreaterThan(60);
  });

  it('issue17492.pdf: AcroForm values sit next to their labels on page 1', async () => {
    const t = pageText(await extracted('issue17492.pdf'), 1);
    expect(t).toContain('First name: Lucía');
    expect(t).toContain('Last name: Garzas');
    expect(t).toContain('Years of job experience: 6');
    expect(t).toContain('Country: Spain');
    expect(t).toContain('(x) Bachelor');
    expect(t).toContain('[x] JavaScript');
  });

  it('issue9418.pdf (broken xref/trailer): recovered; overprinted text is not doubled', async () => {
    const t = pageText(await extracted('issue9418.pdf'), 1);
    expect(t).toContain('Project Name and Address');
    expect(t).not.toContain('No.No.');
  });
});
