import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, clearToken, getToken, setToken, setUnauthorizedHandler, type CurrentUser } from '../api';
import { AuthContext, type AuthContextValue } from './context';

/**
 * Keeps the session: the token (mirrored in localStorage by api.ts), the
 * current user, and what happens when the server answers 401.
 */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [token, setTokenState] = useState<string | null>(() => getToken());
  const [user, setUser] = useState<CurrentUser | null>(null);
  const [userError, setUserError] = useState<unknown>(null);
  const [sessionExpired, setSessionExpired] = useState(false);

  // api.ts has already cleared the stored token on a 401; drop it from state too,
  // which makes <RequireAuth> send the user to /login.
  useEffect(
    () =>
      setUnauthorizedHandler(() => {
        setTokenState(null);
        setUser(null);
        setSessionExpired(true);
      }),
    [],
  );

  useEffect(() => {
    if (!token) return;
    const controller = new AbortController();
    setUserError(null);
    api
      .me(controller.signal)
      .then(setUser)
      .catch((err: unknown) => {
        if (!controller.signal.aborted) setUserError(err);
      });
    return () => controller.abort();
  }, [token]);

  const login = useCallback(async (username: string, password: string) => {
    const result = await api.login(username, password);
    setToken(result.access_token);
    setUser(null);
    setSessionExpired(false);
    setTokenState(result.access_token);
  }, []);

  const logout = useCallback(() => {
    clearToken();
    setUser(null);
    setSessionExpired(false);
    setTokenState(null);
  }, []);

  const value = useMemo<AuthContextValue>(
    () => ({ token, user, userError, sessionExpired, login, logout }),
    [token, user, userError, sessionExpired, login, logout],
  );

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
