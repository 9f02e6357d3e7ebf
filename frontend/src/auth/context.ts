import { createContext, useContext } from 'react';
import type { CurrentUser } from '../api';

export interface AuthContextValue {
  /** The bearer token, or null when signed out. */
  token: string | null;
  /** The signed-in user from `GET /api/me`, once loaded. */
  user: CurrentUser | null;
  /** The error of the last `GET /api/me`, if it failed for a reason other than 401. */
  userError: unknown;
  /** True after a 401 signed the user out (shown on the login page). */
  sessionExpired: boolean;
  login: (username: string, password: string) => Promise<void>;
  logout: () => void;
}

export const AuthContext = createContext<AuthContextValue | null>(null);

export function useAuth(): AuthContextValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth must be used inside <AuthProvider>');
  return value;
}
