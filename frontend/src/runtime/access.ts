/**
 * What the signed-in person may do in an app, worked out in the browser from the app's `roles` and the roles
 * `GET /api/me` lists for them — the same union the server applies (docs/permissions.md). The server still
 * decides: this only keeps buttons and inputs that would be refused out of the way.
 */
import { useMemo } from 'react';
import { runtimeApi, type AppDefinition, type Me, type ServerFormAccess } from '../api';
import { useAsync } from '../useAsync';

export type Op = 'read' | 'create' | 'update' | 'delete' | 'import' | 'export';

interface Permission {
  form: string;
  ops?: string[];
  fields?: Record<string, string>;
}

interface RoleDef {
  key: string;
  permissions?: Permission[];
}

export interface FormAccess {
  can: (op: Op) => boolean;
  /** Fields the person may not change (read-only for every role of theirs that reads the form). */
  readonly: Set<string>;
  /** Fields hidden from the person (the API leaves them out of records too). */
  hidden: Set<string>;
}

const EVERYTHING: FormAccess = { can: () => true, readonly: new Set(), hidden: new Set() };

/** The person's access to one form; admins (and apps without roles) get everything. */
export function formAccess(app: AppDefinition, me: Me | null | undefined, form: string): FormAccess {
  if (!me || me.is_admin) return EVERYTHING;
  const roles = (app.roles as RoleDef[] | undefined) ?? [];
  const mine = new Set(me.roles?.find((grant) => grant.app === app.key)?.roles ?? []);
  const permissions = roles
    .filter((role) => mine.has(role.key))
    .flatMap((role) => role.permissions ?? [])
    .filter((p) => p.form === form);
  const ops = new Set(permissions.flatMap((p) => p.ops ?? []));
  // a field is as open as the most open role reading the form makes it
  const readers = permissions.filter((p) => (p.ops ?? []).includes('read'));
  const readonly = new Set<string>();
  const hidden = new Set<string>();
  const named = new Set(readers.flatMap((p) => Object.keys(p.fields ?? {})));
  for (const key of named) {
    if (readers.every((p) => p.fields?.[key] === 'hidden')) hidden.add(key);
    else if (readers.every((p) => p.fields?.[key] === 'readonly' || p.fields?.[key] === 'hidden')) readonly.add(key);
  }
  return { can: (op) => ops.has(op), readonly, hidden };
}

/** The roles' answer refined by the server's (`GET …/forms/{form}/access`): the server decides the operations, and
 * a field hidden or read-only on either side stays so (the server also hides computed fields reading hidden ones). */
export function withServerAccess(local: FormAccess, server: ServerFormAccess | null | undefined): FormAccess {
  if (!server) return local;
  const ops = new Set(server.ops);
  return {
    can: (op) => ops.has(op),
    hidden: new Set([...local.hidden, ...server.hidden]),
    readonly: new Set([...local.readonly, ...server.readonly]),
  };
}

/** formAccess, then what the server says once it answered (admins need no asking). */
export function useFormAccess(app: AppDefinition, me: Me | null | undefined, form: string): FormAccess {
  const ask = !!me && !me.is_admin;
  const server = useAsync((signal) => (ask ? runtimeApi.formAccess(app.key, form, signal).catch((err: unknown) => {
    if (signal.aborted) throw err;
    return null; // an older server: the roles alone
  }) : Promise.resolve(null)), [app.key, form, ask]);
  return useMemo(() => withServerAccess(formAccess(app, me, form), server.data),
    [app, me, form, server.data]);
}
