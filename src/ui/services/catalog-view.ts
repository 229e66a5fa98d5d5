// The curated catalog as the model manager shows it: sizes, GPU memory estimate and the fit check
// against this adapter's limits (store/catalog.ts does the maths).
import { CATALOG, checkFits, estimateGpuMemory } from '../../store/catalog';

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
}

export function catalogView(limits: { maxBufferSize: number; maxStorageBufferBindingSize: number } | undefined): CatalogItem[] {
  return CATALOG.filter((e) => e.curated).map((e) => {
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
    };
  });
}
