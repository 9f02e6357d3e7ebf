import { Button } from 'antd';
import { GlobalOutlined } from '@ant-design/icons';
import { LANGUAGES, useI18n } from '../i18n';

/**
 * Toggles between the UI languages. The button shows the language it switches to,
 * so a reader of either language can find it.
 */
export function LanguageSwitch({ type = 'text' }: { type?: 'text' | 'default' }) {
  const { lang, setLang, t } = useI18n();
  const next = LANGUAGES[(LANGUAGES.indexOf(lang) + 1) % LANGUAGES.length];
  return (
    <Button
      type={type}
      icon={<GlobalOutlined />}
      onClick={() => setLang(next)}
      title={t('lang.switch')}
      aria-label={`${t('lang.switch')}: ${t(`lang.${next}`)}`}
      data-testid="lang-switch"
      data-lang={lang}
    >
      <span className="shell__action-label">{t(`lang.${next}`)}</span>
    </Button>
  );
}
