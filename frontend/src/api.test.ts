import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, NETWORK_ERROR, setToken, setUnauthorizedHandler, TOKEN_STORAGE_KEY } from './api';
import { errorBody, mockFetch } from './test/utils';

describe('api client', () => {
  let unregister: (() => void) | undefined;
  afterEach(() => unregister?.());

  it('sends the bearer token from localStorage and the UI language', async () => {
    setToken('tok-123');
    window.localStorage.setItem('nocode.lang', 'en-US');
    const calls = mockFetch({ 'GET /api/apps': { body: [] } });

    await expect(api.listApps()).resolves.toEqual([]);

    expect(calls).toHaveLength(1);
    expect(calls[0].headers.authorization).toBe('Bearer tok-123');
    expect(calls[0].headers['accept-language']).toBe('en-US');
  });

  it('posts login credentials as JSON without a token', async () => {
    setToken('stale');
    const calls = mockFetch({
      'POST /api/auth/login': { body: { access_token: 'new', token_type: 'bearer', expires_in: 3600 } },
    });

    const result = await api.login('alice', 's3cret');

    expect(result.access_token).toBe('new');
    expect(calls[0].method).toBe('POST');
    expect(calls[0].body).toEqual({ username: 'alice', password: 's3cret' });
    expect(calls[0].headers['content-type']).toBe('application/json');
    expect(calls[0].headers.authorization).toBeUndefined();
  });

  it('turns the server error body into an ApiError with message and details', async () => {
    mockFetch({
      'GET /api/apps/crm': {
        status: 422,
        body: errorBody('validation_error', 'Invalid app', [{ path: 'forms[0].key', message: 'required' }]),
      },
    });

    const error = await api.getApp('crm').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 422,
      code: 'validation_error',
      message: 'Invalid app',
      details: [{ path: 'forms[0].key', message: 'required' }],
    });
  });

  it('clears the token and calls the unauthorized handler on 401', async () => {
    setToken('expired');
    const handler = vi.fn();
    unregister = setUnauthorizedHandler(handler);
    mockFetch({ 'GET /api/me': { status: 401, body: errorBody('unauthorized', 'Token expired') } });

    await expect(api.me()).rejects.toMatchObject({ status: 401, message: 'Token expired' });

    expect(window.localStorage.getItem(TOKEN_STORAGE_KEY)).toBeNull();
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('does not treat a failed login (401) as an expired session', async () => {
    const handler = vi.fn();
    unregister = setUnauthorizedHandler(handler);
    mockFetch({ 'POST /api/auth/login': { status: 401, body: errorBody('invalid_credentials', 'Wrong password') } });

    await expect(api.login('a', 'b')).rejects.toMatchObject({ status: 401, message: 'Wrong password' });
    expect(handler).not.toHaveBeenCalled();
  });

  it('reports a network failure with a distinct code', async () => {
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(new TypeError('Failed to fetch')));
    await expect(api.listApps()).rejects.toMatchObject({ status: 0, code: NETWORK_ERROR });
  });

  it('encodes the app key in the path', async () => {
    const calls = mockFetch({ 'GET /api/apps/a%2Fb': { body: { key: 'a/b', name: 'x', version: 1, forms: [] } } });
    await api.getApp('a/b');
    expect(calls[0].path).toBe('/api/apps/a%2Fb');
  });
});
