// Shown when WebGPU is missing: what it means and that search mode still works.
import { useI18n } from './i18n';

export function WebGpuNotice() {
  const { t } = useI18n();
  return (
    <div className="notice" role="status" data-testid="no-webgpu">
      {t('noWebGpu')}
    </div>
  );
}
