import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { LANG_STORAGE_KEY, LANGUAGES, MESSAGES, translate, type MessageKey } from './i18n';
import { mockFetch, renderApp, USER } from './test/utils';

describe('translate', () => {
  it('fills placeholders and picks the English plural', () => {
    expect(translate('en-US', 'apps.formsCount', { count: 1 })).toBe('1 form');
    expect(translate('en-US', 'apps.formsCount', { count: 3 })).toBe('3 forms');
    expect(translate('zh-CN', 'apps.formsCount', { count: 3 })).toBe('3 个表单');
  });

  it('has a non-empty translation of every key in every language', () => {
    const keys = Object.keys(MESSAGES['zh-CN']) as MessageKey[];
    for (const lang of LANGUAGES) {
      expect(Object.keys(MESSAGES[lang]).sort()).toEqual([...keys].sort());
      for (const key of keys) expect(MESSAGES[lang][key].trim(), `${lang} ${key}`).not.toBe('');
    }
  });

  it('keeps Chinese text out of components (all UI strings come from the dictionary)', () => {
    const sources = import.meta.glob(['./**/*.{ts,tsx}', '!./**/*.test.{ts,tsx}', '!./i18n.ts', '!./test/**'], {
      query: '?raw',
      import: 'default',
      eager: true,
    }) as Record<string, string>;
    expect(Object.keys(sources).length).toBeGreaterThan(5);
    // the builder's sections keep their dictionaries beside their code, in files named text.ts / …Text.ts
    const dictionary = /(^|\/)[a-zA-Z]*[tT]ext\.ts$/;
    const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
    const offenders = Object.entries(sources)
      .filter(([file, text]) => !dictionary.test(file) && /[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/.test(code(text)))
      .map(([file]) => file);
    expect(offenders).toEqual([]);
  });
});

describe('language switch', () => {
  it('defaults to Chinese and switches the login page to English, remembering the choice', async () => {
    const user = userEvent.setup();
    mockFetch({});
    renderApp('/login');

    expect(screen.getByTestId('login-title')).toHaveTextContent('登录');
    expect(screen.getByText('用户名')).toBeInTheDocument();
    expect(document.documentElement.lang).toBe('zh-CN');

    await user.click(screen.getByTestId('lang-switch'));

    expect(screen.getByTestId('login-title')).toHaveTextContent('Sign in');
    expect(screen.getByText('Username')).toBeInTheDocument();
    expect(screen.queryByText('用户名')).not.toBeInTheDocument();
    expect(window.localStorage.getItem(LANG_STORAGE_KEY)).toBe('en-US');
    expect(document.documentElement.lang).toBe('en-US');
    expect(document.title).toBe('No-code platform');

    await user.click(screen.getByTestId('lang-switch'));
    expect(screen.getByTestId('login-title')).toHaveTextContent('登录');
    expect(window.localStorage.getItem(LANG_STORAGE_KEY)).toBe('zh-CN');
  });

  it('starts in the remembered language', () => {
    window.localStorage.setItem(LANG_STORAGE_KEY, 'en-US');
    mockFetch({});
    renderApp('/login');
    expect(screen.getByTestId('login-title')).toHaveTextContent('Sign in');
    expect(screen.getByTestId('lang-switch')).toHaveTextContent('中文');
  });

  it('switches the console header and page', async () => {
    const user = userEvent.setup();
    window.localStorage.setItem('nocode.token', 'tok');
    mockFetch({ 'GET /api/me': { body: USER }, 'GET /api/apps': { body: [] } });
    renderApp('/');

    const header = await screen.findByRole('banner');
    expect(within(header).getByText('无代码平台')).toBeInTheDocument();
    expect(await screen.findByText('还没有安装任何应用')).toBeInTheDocument();

    await user.click(screen.getByTestId('lang-switch'));

    expect(within(header).getByText('No-code platform')).toBeInTheDocument();
    expect(screen.getByTestId('logout')).toHaveTextContent('Sign out');
    expect(screen.getByText('No apps installed yet')).toBeInTheDocument();
    expect(screen.getByTestId('page-title')).toHaveTextContent('Apps');
  });
});
