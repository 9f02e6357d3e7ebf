/**
 * The frame of a running app (/apps/:key/…): the app's `menus` in a side bar (the forms and dashboards when it
 * has none), collapsing to a drawer-like strip on a phone, and the page on the right. Loads the published
 * definition and the person's roles once for every page below.
 */
import { useMemo } from 'react';
import { Card, Layout, Menu, Skeleton } from 'antd';
import type { MenuProps } from 'antd';
import { DashboardOutlined, HomeOutlined, TableOutlined } from '@ant-design/icons';
import { Link, Outlet, useLocation, useParams } from 'react-router-dom';
import { api, runtimeApi, type AppDefinition, type Me } from '../api';
import { useI18n } from '../i18n';
import { AppDetailPage } from '../pages/AppDetailPage';
import { useAsync } from '../useAsync';
import { formAccess } from './access';
import { RuntimeContext } from './context';
import './runtime.css';

export interface MenuEntry {
  label: string;
  form?: string;
  dashboard?: string;
  children?: MenuEntry[];
}

type MenuItem = Required<MenuProps>['items'][number];

/** Keeps the entries leading to forms the person may read (a role without `read` would only meet a 403 there),
 * and the groups that still have an entry. Without `me` (or for an admin) every entry stays. */
function readableEntries(app: AppDefinition, me: Me | null | undefined, entries: MenuEntry[]): MenuEntry[] {
  return entries.flatMap((entry) => {
    if (entry.children?.length) {
      const children = readableEntries(app, me, entry.children);
      return children.length ? [{ ...entry, children }] : [];
    }
    return !entry.form || formAccess(app, me, entry.form).can('read') ? [entry] : [];
  });
}

/** The side menu: `menus` of the definition, or every form then every dashboard — those the person may open. */
export function menuItems(app: AppDefinition, base: string, me?: Me | null): MenuItem[] {
  const menus = (app.menus as MenuEntry[] | undefined) ?? [];
  const dashboards = (app.dashboards as { key: string; name: string }[] | undefined) ?? [];
  const entries: MenuEntry[] = menus.length ? menus : [
    ...app.forms.map((f) => ({ label: f.name, form: f.key })),
    ...dashboards.map((d) => ({ label: d.name, dashboard: d.key })),
  ];
  const toItem = (entry: MenuEntry, i: number, parent: string): MenuItem => {
    if (entry.children?.length) {
      const children = entry.children.map((c, j) => toItem(c, j, `${parent}${i}.`));
      return { key: `${parent}${i}`, label: entry.label, children };
    }
    const path = entry.form ? `${base}/forms/${entry.form}`
      : entry.dashboard ? `${base}/dashboards/${entry.dashboard}` : base;
    return {
      key: path,
      icon: entry.dashboard ? <DashboardOutlined /> : <TableOutlined />,
      label: <Link to={path} data-testid="app-menu-link">{entry.label}</Link>,
    };
  };
  return readableEntries(app, me, entries).map((e, i) => toItem(e, i, 'group-'));
}

export function RuntimeLayout() {
  const { key = '' } = useParams();
  const { t } = useI18n();
  const location = useLocation();
  const loaded = useAsync(async (signal) => {
    const [app, me] = await Promise.all([api.getApp(key, signal), runtimeApi.me(signal)]);
    return { app, me };
  }, [key]);
  const base = `/apps/${encodeURIComponent(key)}`;
  const items = useMemo<MenuItem[]>(() => (loaded.data ? [
    { key: base, icon: <HomeOutlined />, label: <Link to={base} data-testid="app-menu-home">{t('rt.nav.home')}</Link> },
    ...menuItems(loaded.data.app, base, loaded.data.me),
  ] : []), [loaded.data, base, t]);

  // the app's own page explains a missing app or a failure
  if (loaded.error) return <AppDetailPage />;
  if (!loaded.data) {
    return <div className="page"><Card><Skeleton active paragraph={{ rows: 6 }} /></Card></div>;
  }
  const selected = decodeURIComponent(location.pathname).replace(/\/$/, '');
  return (
    <RuntimeContext.Provider value={loaded.data}>
      <Layout className="rt-layout">
        <Layout.Sider
          theme="light"
          width={200}
          breakpoint="md"
          collapsedWidth={0}
          className="rt-sider"
          data-testid="app-menu"
        >
          <div className="rt-sider__title">{loaded.data.app.name}</div>
          <Menu mode="inline" selectedKeys={[selected]} defaultOpenKeys={items.map((i) => String(i?.key))}
            items={items} />
        </Layout.Sider>
        <Layout.Content className="rt-content">
          <Outlet />
        </Layout.Content>
      </Layout>
    </RuntimeContext.Provider>
  );
}
