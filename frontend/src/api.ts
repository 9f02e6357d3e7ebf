/**
 * Typed client for the platform's HTTP API (same origin, under `/api`).
 *
 * - The bearer token lives in localStorage under `nocode.token` and is sent as
 *   `Authorization: Bearer <token>`.
 * - A 401 on an authenticated request clears the token and calls the handler
 *   registered with `setUnauthorizedHandler` (the app sends the user to /login).
 * - A failed request throws `ApiError`, carrying the server's error body
 *   `{"error": {"code", "message", "details": [{"path", "message"}]}}`.
 */
import { getStoredLang } from './i18n';

export const TOKEN_STORAGE_KEY = 'nocode.token';

// ---------------------------------------------------------------- types

export interface LoginResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
}

export interface CurrentUser {
  id: number | string;
  username: string;
  name: string;
  is_admin: boolean;
}

export interface FormSummary {
  key: string;
  name: string;
}

export interface AppSummary {
  key: string;
  name: string;
  description?: string | null;
  version: string | number;
  published_at?: string | null;
  forms: FormSummary[];
}

/** A field of a published form. Only the common properties are typed here. */
export interface FieldDefinition {
  key?: string;
  name?: string;
  label?: string;
  type?: string;
  [property: string]: unknown;
}

export interface FormDefinition extends FormSummary {
  fields?: FieldDefinition[];
  [property: string]: unknown;
}

/** The published app definition, as returned by `GET /api/apps/{key}`. */
export interface AppDefinition {
  key: string;
  name: string;
  version: string | number;
  description?: string | null;
  published_at?: string | null;
  forms: FormDefinition[];
  [property: string]: unknown;
}

export interface ErrorDetail {
  path: string;
  message: string;
}

/** Codes for failures that happen before a server error body is available. */
export const NETWORK_ERROR = 'network_error';
export const BAD_RESPONSE = 'bad_response';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[];

  constructor(status: number, code: string, message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

// ---------------------------------------------------------------- token

export function getToken(): string | null {
  try {
    return window.localStorage.getItem(TOKEN_STORAGE_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string): void {
  window.localStorage.setItem(TOKEN_STORAGE_KEY, token);
}

export function clearToken(): void {
  try {
    window.localStorage.removeItem(TOKEN_STORAGE_KEY);
  } catch {
    // nothing to clear
  }
}

type UnauthorizedHandler = () => void;

const defaultUnauthorizedHandler: UnauthorizedHandler = () => {
  if (window.location.pathname !== '/login') window.location.assign('/login');
};

let unauthorizedHandler: UnauthorizedHandler = defaultUnauthorizedHandler;

/** Register what happens after a 401 (the token is already cleared). Returns an unregister function. */
export function setUnauthorizedHandler(handler: UnauthorizedHandler): () => void {
  unauthorizedHandler = handler;
  return () => {
    if (unauthorizedHandler === handler) unauthorizedHandler = defaultUnauthorizedHandler;
  };
}

// ---------------------------------------------------------------- requests

export interface RequestOptions {
  body?: unknown;
  /** Send the bearer token (default true). */
  auth?: boolean;
  signal?: AbortSignal;
}

function parseErrorBody(status: number, statusText: string, body: unknown): ApiError {
  const error = (body as { error?: unknown } | null)?.error;
  if (error && typeof error === 'object') {
    const { code, message, details } = error as Record<string, unknown>;
    const parsedDetails = Array.isArray(details)
      ? details
          .filter((d): d is Record<string, unknown> => !!d && typeof d === 'object')
          .map((d) => ({ path: String(d.path ?? ''), message: String(d.message ?? '') }))
      : [];
    return new ApiError(
      status,
      typeof code === 'string' ? code : `http_${status}`,
      typeof message === 'string' ? message : statusText,
      parsedDetails,
    );
  }
  return new ApiError(status, `http_${status}`, statusText || `HTTP ${status}`);
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const { body, auth = true, signal } = options;
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'Accept-Language': getStoredLang(),
  };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const token = auth ? getToken() : null;
  if (token) headers.Authorization = `Bearer ${token}`;

  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, NETWORK_ERROR, err instanceof Error ? err.message : String(err));
  }

  const text = await response.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      if (response.ok) throw new ApiError(response.status, BAD_RESPONSE, 'Response is not JSON');
    }
  }

  if (!response.ok) {
    const error = parseErrorBody(response.status, response.statusText, data);
    if (response.status === 401 && auth) {
      clearToken();
      unauthorizedHandler();
    }
    throw error;
  }
  return data as T;
}

// ---------------------------------------------------------------- endpoints

export const api = {
  /** `POST /api/auth/login`; a 401 here means wrong credentials, not an expired session. */
  login(username: string, password: string): Promise<LoginResponse> {
    return request<LoginResponse>('POST', '/api/auth/login', { body: { username, password }, auth: false });
  },
  me(signal?: AbortSignal): Promise<CurrentUser> {
    return request<CurrentUser>('GET', '/api/me', { signal });
  },
  listApps(signal?: AbortSignal): Promise<AppSummary[]> {
    return request<AppSummary[]>('GET', '/api/apps', { signal });
  },
  getApp(key: string, signal?: AbortSignal): Promise<AppDefinition> {
    return request<AppDefinition>('GET', `/api/apps/${encodeURIComponent(key)}`, { signal });
  },
};
