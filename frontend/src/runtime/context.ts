/** The app being used: its published definition and the signed-in person (with their roles), for every page of
 * the runtime under /apps/:key. */
import { createContext, useContext } from 'react';
import type { AppDefinition, FormDefinition, Me } from '../api';

export interface RuntimeContextValue {
  app: AppDefinition;
  me: Me | null;
}

export const RuntimeContext = createContext<RuntimeContextValue | null>(null);

export function useRuntime(): RuntimeContextValue {
  const value = useContext(RuntimeContext);
  if (!value) throw new Error('useRuntime must be used inside <RuntimeLayout>');
  return value;
}

export function findForm(app: AppDefinition, key: string | undefined): FormDefinition | undefined {
  return app.forms.find((f) => f.key === key);
}
