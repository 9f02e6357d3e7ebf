import { render } from '@testing-library/react';
import { MemoryRouter, useLocation } from 'react-router-dom';
import { vi } from 'vitest';
import { App } from '../App';

export interface MockResponse {
  status?: number;
  body?: unknown;
}

export type MockHandler = MockResponse | ((init: RequestInit | undefined) => MockResponse | Promise<MockResponse>);

export interface RecordedCall {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * Replace `fetch` with a router over `"METHOD /path"` keys. Unknown routes answer 404
 * with the server's error body. Returns the list of calls made.
 */
export function mockFetch(routes: Record<string, MockHandler>): RecordedCall[] {
  const calls: RecordedCall[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const path = new URL(url, 'http://localhost').pathname;
    const method = (init?.method ?? 'GET').toUpperCase();
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    // a multipart body (an upload) is recorded as it is
    const body = init?.body instanceof FormData ? init.body : init?.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ method, path, headers, body });
    const handler = routes[`${method} ${path}`];
    const result: MockResponse = handler
      ? typeof handler === 'function'
        ? await handler(init)
        : handler
      : { status: 404, body: { error: { code: 'not_found', message: `No route ${method} ${path}`, details: [] } } };
    const status = result.status ?? 200;
    return new Response(result.body === undefined ? null : JSON.stringify(result.body), {
      status,
      headers: { 'Content-Type': 'application/json' },
    });
  });
  vi.stubGlobal('fetch', fetchMock);
  return calls;
}

export function errorBody(code: string, message: string, details: { path: string; message: string }[] = []) {
  return { error: { code, message, details } };
}

/** Shows the current location so tests can assert on redirects. */
function LocationProbe() {
  const location = useLocation();
  return <div data-testid="location" hidden>{location.pathname}</div>;
}

/** Render the whole app (providers + routes) at `route`. */
export function renderApp(route = '/') {
  return render(
    <MemoryRouter initialEntries={[route]}>
      <App />
      <LocationProbe />
    </MemoryRouter>,
  );
}

export const USER = { id: 1, username: 'admin', name: 'Administrator', is_admin: true };
