import { Route, Routes } from 'react-router-dom';
import { AuthProvider } from './auth/AuthProvider';
import { BuilderPage } from './builder/BuilderPage';
import { RequireAuth } from './auth/RequireAuth';
import { AppShell } from './components/AppShell';
import { I18nProvider } from './components/I18nProvider';
import { AppsPage } from './pages/AppsPage';
import { LoginPage } from './pages/LoginPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { AppHomePage } from './runtime/AppHomePage';
import { DashboardPage } from './runtime/DashboardPage';
import { RecordListPage } from './runtime/RecordListPage';
import { RuntimeLayout } from './runtime/RuntimeLayout';
import { TaskInboxPage } from './runtime/TaskInboxPage';

/** The route table. Everything but /login requires a session. */
export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route
        element={
          <RequireAuth>
            <AppShell />
          </RequireAuth>
        }
      >
        <Route index element={<AppsPage />} />
        <Route path="apps/:key" element={<RuntimeLayout />}>
          <Route index element={<AppHomePage />} />
          <Route path="forms/:form" element={<RecordListPage />} />
          <Route path="dashboards/:dashboard" element={<DashboardPage />} />
        </Route>
        <Route path="tasks" element={<TaskInboxPage />} />
        <Route path="build/:key" element={<BuilderPage />} />
        <Route path="build/:key/:section" element={<BuilderPage />} />
        <Route path="build/:key/:section/:item" element={<BuilderPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

/** Providers + routes; the router itself is supplied by main.tsx (BrowserRouter) or tests (MemoryRouter). */
export function App() {
  return (
    <I18nProvider>
      <AuthProvider>
        <AppRoutes />
      </AuthProvider>
    </I18nProvider>
  );
}
