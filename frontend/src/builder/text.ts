/**
 * Each builder section keeps its own zh-CN / en-US strings next to its code:
 *   const TEXT = defineText({ 'palette.title': '字段' }, { 'palette.title': 'Fields' });
 *   const t = useText(TEXT);  t('palette.title')
 * The English dictionary must translate every key (the type checker enforces it).
 */
import { useCallback } from 'react';
import { fillTemplate, useI18n, type Lang, type TranslateVars } from '../i18n';

export type SectionText<K extends string> = Record<Lang, Record<K, string>>;

export function defineText<const Z extends Record<string, string>>(
  zh: Z,
  en: Record<keyof Z & string, string>,
): SectionText<keyof Z & string> {
  return { 'zh-CN': zh, 'en-US': en };
}

export function useText<K extends string>(text: SectionText<K>): (key: K, vars?: TranslateVars) => string {
  const { lang } = useI18n();
  return useCallback((key: K, vars?: TranslateVars) => fillTemplate(text[lang][key] ?? text['zh-CN'][key] ?? key, vars), [lang, text]);
}
