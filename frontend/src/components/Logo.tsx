import { useId } from 'react';
import { useI18n } from '../i18n';

/** The product's mark: four building blocks, one of them rounded — apps assembled from parts. */
export function LogoMark({ size = 32 }: { size?: number }) {
  const gradientId = `logo-gradient-${useId().replace(/:/g, '')}`;
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" role="img" aria-hidden="true" className="logo-mark">
      <defs>
        <linearGradient id={gradientId} x1="0" y1="0" x2="1" y2="1">
          <stop offset="0" stopColor="#3b82f6" />
          <stop offset="1" stopColor="#4f46e5" />
        </linearGradient>
      </defs>
      <rect width="32" height="32" rx="8" fill={`url(#${gradientId})`} />
      <rect x="7" y="7" width="8" height="8" rx="2" fill="#fff" />
      <rect x="17" y="7" width="8" height="8" rx="2" fill="#fff" fillOpacity="0.55" />
      <rect x="7" y="17" width="8" height="8" rx="2" fill="#fff" fillOpacity="0.55" />
      <rect x="17" y="17" width="8" height="8" rx="4" fill="#fff" />
    </svg>
  );
}

/** Mark plus product name. */
export function Logo({ size = 32, inverted = false }: { size?: number; inverted?: boolean }) {
  const { t } = useI18n();
  return (
    <span className={`logo${inverted ? ' logo--inverted' : ''}`} data-testid="logo">
      <LogoMark size={size} />
      <span className="logo__name">{t('app.name')}</span>
    </span>
  );
}
