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
/** A window event sent when the person acted on a task, so counts elsewhere on the page refresh. */
export const TASKS_CHANGED = 'nocode:tasks-changed';

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
  code?: string;
  /** Where in an expression's text the problem is (0-based), for editors to underline. */
  position?: number;
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
          .map((d) => ({
            path: String(d.path ?? ''),
            message: String(d.message ?? ''),
            ...(typeof d.code === 'string' ? { code: d.code } : {}),
            ...(typeof d.position === 'number' ? { position: d.position } : {}),
          }))
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
  /** The published definition; sections left empty are sent without their key, and come back as empty lists. */
  async getApp(key: string, signal?: AbortSignal): Promise<AppDefinition> {
    const app = await request<AppDefinition>('GET', `/api/apps/${encodeURIComponent(key)}`, { signal });
    return { ...app, forms: app.forms ?? [] };
  },
};

// ---------------------------------------------------------------- runtime (the apps staff use)

/** A record as the records API answers: system fields plus the fields the caller may see. */
export interface RecordData {
  id: number;
  version: number;
  created_at?: string;
  updated_at?: string;
  [field: string]: unknown;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  page_size: number;
}

export interface ListQuery {
  page?: number;
  page_size?: number;
  sort?: string;
  q?: string;
  filter?: string;
}

export interface AppRoleGrant {
  app: string;
  roles: string[];
}

export interface Me extends CurrentUser {
  departments?: { id: number; name: string }[];
  roles?: AppRoleGrant[];
}

export interface AuditEntry {
  id: number;
  at: string;
  action: string;
  user: { id: number; name: string | null } | null;
  detail: Record<string, unknown> | null;
}

export type TaskBox = 'todo' | 'done' | 'cc';

export interface Task {
  id: number;
  instance: number;
  app: string;
  flow: string;
  node: string;
  kind: string;
  status: string;
  assignee: number | null;
  form: string | null;
  record_id: number | null;
  initiator: number | null;
  instance_status: string;
  created_at: string | null;
  due_at: string | null;
  decided_at: string | null;
  decided_by: number | null;
  comment: string | null;
}

export interface TaskList {
  box: TaskBox;
  items: Task[];
  counts: Record<TaskBox, number>;
  page: number;
  page_size: number;
}

export interface FlowHistoryEntry {
  seq: number;
  at: string | null;
  node: string | null;
  action: string;
  by: number | null;
  task: number | null;
  detail: Record<string, unknown>;
}

export interface FlowInstance {
  id: number;
  app: string;
  flow: string;
  name: string;
  version: number;
  status: string;
  initiator: number | null;
  form: string | null;
  record_id: number | null;
  started_at: string | null;
  ended_at: string | null;
  record: RecordData | null;
  current: string[];
  tasks: Array<{
    id: number; node: string; node_name: string | null; kind: string; assignee: number | null; status: string;
    created_at: string | null; decided_at: string | null; decided_by: number | null; comment: string | null;
  }>;
  history: FlowHistoryEntry[];
}

export interface InstanceSummary {
  id: number;
  flow: string;
  status: string;
  initiator: number | null;
  form: string | null;
  record_id: number | null;
  started_at: string | null;
  ended_at: string | null;
}

export type TaskActionName = 'approve' | 'reject' | 'return' | 'transfer' | 'add_signer' | 'comment' | 'read';

export interface TaskActionBody {
  action: TaskActionName;
  comment?: string;
  to?: unknown;
  users?: number[];
}

export interface Notification {
  id: number;
  app: string | null;
  instance: number | null;
  /** The record it is about (a mention on a comment). */
  form?: string | null;
  record?: number | null;
  reason: string;
  channel: string;
  title: string | null;
  text: string | null;
  created_at: string | null;
  read_at: string | null;
}

export interface NotificationList extends Page<Notification> {
  unread: number;
}

export interface DashboardFilter {
  key: string;
  label: string;
  type: 'date_range' | 'member' | 'relation' | 'select' | 'text';
  default?: string | null;
  targets: Record<string, string>;
}

export interface DashboardWidget {
  report: string;
  x: number;
  y: number;
  w: number;
  h: number;
  data?: { report: { key: string; name: string; drill_form?: string }; chart: import('./charts').ChartPayload; [k: string]: unknown };
  error?: { code: string; status: number; message?: string };
}

export interface Dashboard {
  key: string;
  name: string;
  description?: string | null;
  filters: DashboardFilter[];
  values: Record<string, string>;
  widgets: DashboardWidget[];
}

export interface Region {
  code: string;
  name: string;
  leaf: boolean;
}

export interface UploadedFile {
  token: string;
  name: string;
  size: number;
  mime: string;
  url: string;
  signed_url?: string;
  thumb_url?: string;
}

export interface UserSummary {
  id: number;
  username: string;
  name: string | null;
}

const seg = encodeURIComponent;

function recordsPath(app: string, form: string): string {
  return `/api/apps/${seg(app)}/forms/${seg(form)}/records`;
}

/** `?a=1&b=x` from the set values (empty strings and undefined are left out). */
export function queryString(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** Multipart upload (the JSON `request` cannot send a form body). */
async function upload<T = UploadedFile>(path: string, form: FormData): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', 'Accept-Language': getStoredLang() };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(path, { method: 'POST', headers, body: form });
  } catch (err) {
    throw new ApiError(0, NETWORK_ERROR, err instanceof Error ? err.message : String(err));
  }
  const data: unknown = await response.json().catch(() => undefined);
  if (!response.ok && !(response.status === 422 && isImportReport(data))) {
    throw parseErrorBody(response.status, response.statusText, data);
  }
  return data as T;
}

/** An import refused as a whole (all-or-nothing with bad rows) still answers its per-row report. */
function isImportReport(data: unknown): boolean {
  return !!data && typeof data === 'object' && 'imported' in data && 'errors' in data;
}

/** Downloads a file the API answers (export, print) and hands it to the browser under `filename`. */
export async function download(path: string, filename: string): Promise<void> {
  const headers: Record<string, string> = { 'Accept-Language': getStoredLang() };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, { headers });
  if (!response.ok) {
    const data: unknown = await response.json().catch(() => undefined);
    throw parseErrorBody(response.status, response.statusText, data);
  }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A view of a form's records (docs/views.md): the app's (`id` null) or the person's own saved one. Settings
 * beyond the common ones depend on `type` (group_by, date, end, cover, start, parent, columns…). */
export interface ViewItem {
  id: number | null;
  saved: boolean;
  key: string;
  form: string;
  name: string;
  type: string;
  filter?: string | null;
  sort?: { field: string; desc?: boolean }[];
  colors?: { when: string; color: string; field?: string | null }[];
  problem?: string;
  [setting: string]: unknown;
}

function viewsPath(app: string, form: string): string {
  return `/api/apps/${seg(app)}/forms/${seg(form)}/views`;
}

/** The mapping step of an import: the file's headers, first rows, auto-matched columns and mappable fields. */
export interface ImportPreview {
  headers: string[];
  rows: unknown[][];
  mapping: Record<string, string>;
  fields: { key: string; label: string; type: string; required: boolean }[];
}

export interface ImportRowError {
  row: number;
  column: string;
  field: string;
  message: string;
}

/** What an import did (or, with `dry_run`, would do: `valid` rows pass). */
export interface ImportReport {
  dry_run?: boolean;
  imported: number;
  valid?: number;
  failed: number;
  errors: ImportRowError[];
  columns: Record<string, string>;
  ignored_columns: string[];
}

export type ImportMode = 'all_or_nothing' | 'good_rows';

/** Records of another form pointing at a record, within the viewer's rights. */
export interface RelatedGroup {
  form: string;
  name: string;
  field: string;
  label: string;
  count: number;
  latest: RecordData[];
}

export interface RecordComment {
  id: number;
  text: string;
  created_at: string;
  user: { id: number; name: string } | null;
  mentions: { id: number; name: string }[];
  can_delete: boolean;
}

/** The viewer's rights on a form, as the server enforces them ("lines.cost" for sub-table fields). */
export interface ServerFormAccess {
  ops: string[];
  hidden: string[];
  readonly: string[];
}

export interface Person {
  id: number;
  name: string;
  username: string;
  departments: string[];
}

function importForm(file: File, extra: Record<string, string> = {}): FormData {
  const form = new FormData();
  form.append('file', file);
  for (const [key, value] of Object.entries(extra)) form.append(key, value);
  return form;
}

export const runtimeApi = {
  importPreview(app: string, form: string, file: File): Promise<ImportPreview> {
    return upload(`${recordsPath(app, form)}/import/preview`, importForm(file));
  },
  /** `mapping`: header → field key ("" leaves the column out). A refused all-or-nothing import resolves too. */
  importRecords(app: string, form: string, file: File, options: {
    mapping: Record<string, string>; mode: ImportMode; dryRun?: boolean;
  }): Promise<ImportReport> {
    return upload(`${recordsPath(app, form)}/import`, importForm(file, {
      mapping: JSON.stringify(options.mapping), mode: options.mode, dry_run: options.dryRun ? 'true' : 'false',
    }));
  },
  related(app: string, form: string, id: number, signal?: AbortSignal): Promise<{ items: RelatedGroup[] }> {
    return request('GET', `${recordsPath(app, form)}/${id}/related`, { signal });
  },
  formAccess(app: string, form: string, signal?: AbortSignal): Promise<ServerFormAccess> {
    return request('GET', `/api/apps/${seg(app)}/forms/${seg(form)}/access`, { signal });
  },
  comments(app: string, form: string, id: number, signal?: AbortSignal): Promise<{ items: RecordComment[]; total: number }> {
    return request('GET', `${recordsPath(app, form)}/${id}/comments`, { signal });
  },
  addComment(app: string, form: string, id: number, text: string, mentions: number[]): Promise<RecordComment> {
    return request('POST', `${recordsPath(app, form)}/${id}/comments`, { body: { text, mentions } });
  },
  deleteComment(app: string, form: string, id: number, comment: number): Promise<void> {
    return request('DELETE', `${recordsPath(app, form)}/${id}/comments/${comment}`);
  },
  people(q: string, signal?: AbortSignal): Promise<Page<Person>> {
    return request('GET', `/api/people${queryString({ q, page_size: 20 })}`, { signal });
  },
  me(signal?: AbortSignal): Promise<Me> {
    return request<Me>('GET', '/api/me', { signal });
  },
  views(app: string, form: string, signal?: AbortSignal): Promise<{ items: ViewItem[] }> {
    return request('GET', viewsPath(app, form), { signal });
  },
  saveView(app: string, form: string, view: Omit<ViewItem, 'id' | 'saved' | 'key'> & { key?: string }): Promise<ViewItem> {
    return request('POST', viewsPath(app, form), { body: view });
  },
  replaceView(app: string, form: string, id: number, view: Partial<ViewItem>): Promise<ViewItem> {
    return request('PUT', `${viewsPath(app, form)}/${id}`, { body: view });
  },
  deleteView(app: string, form: string, id: number): Promise<void> {
    return request('DELETE', `${viewsPath(app, form)}/${id}`);
  },
  listRecords(app: string, form: string, query: ListQuery, signal?: AbortSignal): Promise<Page<RecordData>> {
    return request('GET', recordsPath(app, form) + queryString({ ...query }), { signal });
  },
  getRecord(app: string, form: string, id: number, signal?: AbortSignal): Promise<RecordData> {
    return request('GET', `${recordsPath(app, form)}/${id}`, { signal });
  },
  createRecord(app: string, form: string, values: Record<string, unknown>): Promise<RecordData> {
    return request('POST', recordsPath(app, form), { body: values });
  },
  updateRecord(
    app: string, form: string, id: number, version: number, values: Record<string, unknown>,
  ): Promise<RecordData> {
    return request('PATCH', `${recordsPath(app, form)}/${id}`, { body: { ...values, version } });
  },
  deleteRecord(app: string, form: string, id: number): Promise<void> {
    return request('DELETE', `${recordsPath(app, form)}/${id}`);
  },
  exportRecords(app: string, form: string, query: { q?: string; filter?: string; sort?: string }, name: string) {
    return download(`${recordsPath(app, form)}/export${queryString({ format: 'xlsx', ...query })}`, `${name}.xlsx`);
  },
  printRecord(app: string, form: string, id: number, name: string) {
    return download(`${recordsPath(app, form)}/${id}/print?format=pdf`, `${name}.pdf`);
  },
  recordAudit(app: string, form: string, id: number, signal?: AbortSignal): Promise<Page<AuditEntry>> {
    return request('GET', `${recordsPath(app, form)}/${id}/audit`, { signal });
  },
  triggerFlow(app: string, form: string, id: number, flow: string): Promise<FlowInstance> {
    return request('POST', `${recordsPath(app, form)}/${id}/trigger/${seg(flow)}`);
  },
  flowInstances(app: string, flow: string, signal?: AbortSignal): Promise<Page<InstanceSummary>> {
    return request('GET', `/api/apps/${seg(app)}/flows/${seg(flow)}/instances?page_size=500`, { signal });
  },
  tasks(box: TaskBox, signal?: AbortSignal): Promise<TaskList> {
    return request('GET', `/api/tasks?box=${box}`, { signal });
  },
  async taskAction(id: number, body: TaskActionBody): Promise<FlowInstance> {
    const instance = await request<FlowInstance>('POST', `/api/tasks/${id}/actions`, { body });
    window.dispatchEvent(new Event(TASKS_CHANGED));
    return instance;
  },
  flowInstance(id: number, signal?: AbortSignal): Promise<FlowInstance> {
    return request('GET', `/api/flow-instances/${id}`, { signal });
  },
  notifications(signal?: AbortSignal): Promise<NotificationList> {
    return request('GET', '/api/notifications?page_size=20', { signal });
  },
  readNotification(id: number): Promise<unknown> {
    return request('POST', `/api/notifications/${id}/read`);
  },
  readAllNotifications(): Promise<unknown> {
    return request('POST', '/api/notifications/read-all');
  },
  dashboard(app: string, key: string, values: Record<string, string>, signal?: AbortSignal): Promise<Dashboard> {
    return request('GET', `/api/apps/${seg(app)}/dashboards/${seg(key)}${queryString(values)}`, { signal });
  },
  regions(parent?: string, signal?: AbortSignal): Promise<Region[]> {
    return request('GET', `/api/regions${queryString({ parent })}`, { signal });
  },
  users(q: string, signal?: AbortSignal): Promise<Page<UserSummary>> {
    return request('GET', `/api/admin/users${queryString({ q, page_size: 20 })}`, { signal });
  },
  uploadFile(app: string, file: File): Promise<UploadedFile> {
    const form = new FormData();
    form.append('app', app);
    form.append('file', file);
    return upload('/api/files', form);
  },
};
