/**
 * Internationalisation: every user-visible string of the UI lives in the
 * dictionaries below. zh-CN is the default and the source of truth for the
 * set of keys; en-US must translate every key (enforced by the type checker).
 *
 * Components read strings with `useI18n().t('key', { var: value })`.
 */
import { createContext, useContext } from 'react';

export const LANG_STORAGE_KEY = 'nocode.lang';

export const LANGUAGES = ['zh-CN', 'en-US'] as const;
export type Lang = (typeof LANGUAGES)[number];
export const DEFAULT_LANG: Lang = 'zh-CN';

const zhCN = {
  'app.name': '无代码平台',
  'app.tagline': '私域电商的应用搭建与运行平台',
  'app.copyright': '私有化部署 · 数据留在您自己的服务器',

  'common.listSeparator': '、',

  'lang.switch': '切换语言',
  'lang.zh-CN': '中文',
  'lang.en-US': 'English',

  'login.title': '登录',
  'login.subtitle': '使用您的账号登录控制台',
  'login.username': '用户名',
  'login.username.placeholder': '请输入用户名',
  'login.username.required': '请输入用户名',
  'login.password': '密码',
  'login.password.placeholder': '请输入密码',
  'login.password.required': '请输入密码',
  'login.submit': '登录',
  'login.failed': '登录失败',
  'login.sessionExpired': '登录已过期，请重新登录',
  'login.hero.title': '搭建属于您的业务应用',
  'login.hero.subtitle': '表单、流程、规则与报表，一站式配置，无需编写代码。',
  'login.hero.feature.forms': '可视化表单与数据模型',
  'login.hero.feature.flows': '审批流程与业务规则',
  'login.hero.feature.reports': '实时报表与数据洞察',

  'nav.apps': '应用',

  'user.logout': '退出登录',
  'user.admin': '管理员',

  'apps.title': '应用',
  'apps.subtitle': '已安装到本平台的应用',
  'apps.count': '共 {count} 个应用',
  'apps.empty.title': '还没有安装任何应用',
  'apps.empty.hint': '安装应用模板或发布应用后，它们会显示在这里。',
  'apps.version': '版本',
  'apps.forms': '表单',
  'apps.formsCount': '{count} 个表单',
  'apps.publishedAt': '发布于 {time}',
  'apps.notPublished': '未发布',
  'apps.noDescription': '暂无描述',
  'apps.open': '打开',
  'apps.reload': '刷新',

  'appDetail.back': '返回应用列表',
  'appDetail.forms': '表单',
  'appDetail.formsEmpty': '此应用没有表单',
  'appDetail.col.name': '名称',
  'appDetail.col.key': '标识',
  'appDetail.col.fields': '字段数',
  'appDetail.field.key': '字段标识',
  'appDetail.field.label': '字段名称',
  'appDetail.field.type': '类型',
  'appDetail.notFound': '应用不存在或尚未发布',

  'notFound.title': '页面不存在',
  'notFound.back': '返回首页',

  'error.title': '出错了',
  'error.network': '无法连接服务器，请检查网络后重试',
  'error.unknown': '发生未知错误',
  'error.retry': '重试',
} as const;

export type MessageKey = keyof typeof zhCN;
export type Messages = Record<MessageKey, string>;

const enUS: Messages = {
  'app.name': 'No-code platform',
  'app.tagline': 'Build and run business apps for private-domain commerce',
  'app.copyright': 'Self-hosted · your data stays on your own servers',

  'common.listSeparator': ', ',

  'lang.switch': 'Switch language',
  'lang.zh-CN': '中文',
  'lang.en-US': 'English',

  'login.title': 'Sign in',
  'login.subtitle': 'Sign in to the console with your account',
  'login.username': 'Username',
  'login.username.placeholder': 'Enter your username',
  'login.username.required': 'Please enter your username',
  'login.password': 'Password',
  'login.password.placeholder': 'Enter your password',
  'login.password.required': 'Please enter your password',
  'login.submit': 'Sign in',
  'login.failed': 'Sign-in failed',
  'login.sessionExpired': 'Your session has expired. Please sign in again.',
  'login.hero.title': 'Build the business apps you need',
  'login.hero.subtitle': 'Forms, workflows, rules and reports, all configured without writing code.',
  'login.hero.feature.forms': 'Visual forms and data models',
  'login.hero.feature.flows': 'Approval workflows and business rules',
  'login.hero.feature.reports': 'Live reports and insights',

  'nav.apps': 'Apps',

  'user.logout': 'Sign out',
  'user.admin': 'Admin',

  'apps.title': 'Apps',
  'apps.subtitle': 'Apps installed on this platform',
  'apps.count': '{count} app|{count} apps',
  'apps.empty.title': 'No apps installed yet',
  'apps.empty.hint': 'Apps appear here once a template is installed or an app is published.',
  'apps.version': 'Version',
  'apps.forms': 'Forms',
  'apps.formsCount': '{count} form|{count} forms',
  'apps.publishedAt': 'Published {time}',
  'apps.notPublished': 'Not published',
  'apps.noDescription': 'No description',
  'apps.open': 'Open',
  'apps.reload': 'Refresh',

  'appDetail.back': 'Back to apps',
  'appDetail.forms': 'Forms',
  'appDetail.formsEmpty': 'This app has no forms',
  'appDetail.col.name': 'Name',
  'appDetail.col.key': 'Key',
  'appDetail.col.fields': 'Fields',
  'appDetail.field.key': 'Field key',
  'appDetail.field.label': 'Label',
  'appDetail.field.type': 'Type',
  'appDetail.notFound': 'This app does not exist or has not been published',

  'notFound.title': 'Page not found',
  'notFound.back': 'Back to home',

  'error.title': 'Something went wrong',
  'error.network': 'Cannot reach the server. Check your connection and try again.',
  'error.unknown': 'An unknown error occurred',
  'error.retry': 'Retry',
};

export const MESSAGES: Record<Lang, Messages> = {
  'zh-CN': zhCN,
  'en-US': enUS,
};

export type TranslateVars = Record<string, string | number>;
export type Translate = (key: MessageKey, vars?: TranslateVars) => string;

/**
 * Look a key up in a language's dictionary and fill `{name}` placeholders.
 * A message of the form `singular|plural` picks by `vars.count` (1 → singular).
 */
export function translate(lang: Lang, key: MessageKey, vars?: TranslateVars): string {
  let template: string = MESSAGES[lang][key] ?? MESSAGES[DEFAULT_LANG][key] ?? key;
  if (template.includes('|')) {
    const [one, other] = template.split('|');
    template = vars?.count === 1 ? one : other;
  }
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (match, name: string) =>
    name in vars ? String(vars[name]) : match,
  );
}

export function isLang(value: unknown): value is Lang {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** The language remembered in localStorage, or the default (zh-CN). */
export function getStoredLang(): Lang {
  try {
    const stored = window.localStorage.getItem(LANG_STORAGE_KEY);
    return isLang(stored) ? stored : DEFAULT_LANG;
  } catch {
    return DEFAULT_LANG;
  }
}

export function storeLang(lang: Lang): void {
  try {
    window.localStorage.setItem(LANG_STORAGE_KEY, lang);
  } catch {
    // Storage may be unavailable (private mode); the choice then lasts for this page only.
  }
}

export interface I18nContextValue {
  lang: Lang;
  setLang: (lang: Lang) => void;
  t: Translate;
}

export const I18nContext = createContext<I18nContextValue>({
  lang: DEFAULT_LANG,
  setLang: () => undefined,
  t: (key, vars) => translate(DEFAULT_LANG, key, vars),
});

export function useI18n(): I18nContextValue {
  return useContext(I18nContext);
}
