/**
 * Each builder section keeps its own zh-CN / en-US strings next to its code:
 *   const TEXT = defineText({ 'palette.title': '字段' }, { 'palette.title': 'Fields' });
 *   const t = useText(TEXT);  t('palette.title')
 * The English dictionary must translate every key (the type checker enforces it).
 */
import { useCallback } from 'react';
import { fillTemplate, getStoredLang, useI18n, type Lang, type TranslateVars } from '../i18n';

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

const COMMON = defineText(
  { named: '{name}（{key}）', clauses: '；' },
  { named: '{name} ({key})', clauses: '; ' },
);

/** "客户（customer）": a thing's name with its key, in the reader's language. */
export function named(name: string | null | undefined, key: string): string {
  return name ? fillTemplate(COMMON[getStoredLang()].named, { name, key }) : key;
}

/** A value of a section's own dictionary picked without a hook (pure model code), in the stored language. */
export function textNow<K extends string>(text: SectionText<K>, key: K, vars?: TranslateVars): string {
  return fillTemplate(text[getStoredLang()][key] ?? text['zh-CN'][key] ?? key, vars);
}

/** What joins several messages into one line ("…；…"). */
export function clauseSeparator(): string {
  return COMMON[getStoredLang()].clauses;
}
