// The curated catalog as the model manager shows it: sizes, GPU memory estimate and the fit check
// against this adapter's limits (store/catalog.ts does the maths); the recommended entry for this UI language
// and adapter (a Qwen model for a Chinese UI) first, marked.
import { CATALOG, checkFits, estimateGpuMemory, recommendedEntry } from '../../store/catalog';

export interface CatalogItem {
  repo: string;
  revision: string;
  title: string;
  downloadBytes: number;
  gpuBytes: number;
  contextLength: number;
  licence: string;
  /** null when it fits (or when the adapter is unknown). */
  doesNotFit: string | null;
  /** config.json model_type (llama, mistral, qwen2, qwen3, …) and the quantisation format, for display. */
  architecture: string;
  format: string;
  /** The suggestion for this UI language and adapter (exactly one item). */
  recommended: boolean;
}

export function catalogView(limits: { maxBufferSize: number; maxStorageBufferBindingSize: number } | undefined, uiLanguage = 'en'): CatalogItem[] {
  const suggested = recommendedEntry(uiLanguage, limits);
  const items = CATALOG.filter((e) => e.curated).map((e) => {
    const fit = limits ? checkFits(e, limits) : null;
    return {
      repo: e.repo,
      revision: e.revision,
      title: e.label,
      downloadBytes: e.downloadBytes,
      gpuBytes: (fit?.estimate ?? estimateGpuMemory(e.shape, e.quant, e.contextLength)).total,
      contextLength: e.contextLength,
      licence: e.licence,
      doesNotFit: fit && !fit.ok ? fit.reason : null,
      architecture: e.architecture ?? 'llama',
      format: e.quant.method === 'none' ? 'f16' : `${e.quant.method ?? 'gptq'} ${e.quant.bits}-bit`,
      recommended: e.id === suggested.id,
    };
  });
  return [...items.filter((i) => i.recommended), ...items.filter((i) => !i.recommended)];
}
