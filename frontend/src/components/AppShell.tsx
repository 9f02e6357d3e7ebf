import { Avatar, Badge, Button, Divider, Layout, Menu, Space, Tag, Typography } from 'antd';
import { AppstoreOutlined, CheckSquareOutlined, LogoutOutlined, UserOutlined } from '@ant-design/icons';
import { useEffect } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { useAuth } from '../auth/context';
import { runtimeApi, TASKS_CHANGED } from '../api';
import { useI18n } from '../i18n';
import { NotificationBell } from '../runtime/NotificationBell';
import { useAsync } from '../useAsync';
import { LanguageSwitch } from './LanguageSwitch';
import { Logo } from './Logo';

const { Header, Content } = Layout;

/** The signed-in console: a top bar (logo, navigation, language, user, sign-out) over the page. */
export function AppShell() {
  const { t } = useI18n();
  const { user, logout } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();

  const selected = location.pathname === '/' || location.pathname.startsWith('/apps') ? 'apps' : '';
  // the badge refreshes when the person moves between pages (acting on a task lands on another page)
  const tasks = useAsync((signal) => runtimeApi.tasks('todo', signal).catch(() => null), [location.pathname]);
  // …and when a task is acted on here, and now and then for tasks that arrive from others
  const reloadTasks = tasks.reload;
  useEffect(() => {
    window.addEventListener(TASKS_CHANGED, reloadTasks);
    const timer = window.setInterval(reloadTasks, 60_000);
    return () => {
      window.removeEventListener(TASKS_CHANGED, reloadTasks);
      window.clearInterval(timer);
    };
  }, [reloadTasks]);
  const displayName = user ? user.name || user.username : '';

  return (
    <Layout className="shell">
      <Header className="shell__header">
        <Link to="/" className="shell__brand" aria-label={t('app.name')}>
          <Logo size={28} />
        </Link>
        <Menu
          mode="horizontal"
          className="shell__nav"
          selectedKeys={[selected]}
          items={[{ key: 'apps', icon: <AppstoreOutlined />, label: <Link to="/">{t('nav.apps')}</Link> }]}
        />
        <Space size={4} className="shell__actions" separator={<Divider orientation="vertical" />}>
          <Link to="/tasks" data-testid="nav-tasks">
            <Button
              type="text"
              icon={<Badge count={tasks.data?.counts.todo ?? 0} size="small"><CheckSquareOutlined /></Badge>}
            >
              <span className="shell__action-label">{t('nav.tasks')}</span>
            </Button>
          </Link>
          <NotificationBell />
          <LanguageSwitch />
          <Space size={8} data-testid="current-user" className="shell__user">
            <Avatar size={28} icon={displayName ? undefined : <UserOutlined />} className="shell__avatar">
              {displayName ? Array.from(displayName)[0].toUpperCase() : null}
            </Avatar>
            <Typography.Text className="shell__user-name" data-testid="current-user-name">
              {displayName}
            </Typography.Text>
            {user?.is_admin ? (
              <Tag color="blue" variant="filled" className="shell__admin-tag">
                {t('user.admin')}
              </Tag>
            ) : null}
          </Space>
          <Button
            type="text"
            icon={<LogoutOutlined />}
            data-testid="logout"
            aria-label={t('user.logout')}
            onClick={() => {
              logout();
              navigate('/login', { replace: true });
            }}
          >
            <span className="shell__action-label">{t('user.logout')}</span>
          </Button>
        </Space>
      </Header>
      <Content className="shell__content">
        <Outlet />
      </Content>
    </Layout>
  );
}
