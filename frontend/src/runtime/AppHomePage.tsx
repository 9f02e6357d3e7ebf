/** An app's home: what the app holds (its forms), the person's open tasks in this app, and its dashboards. */
import { Badge, Card, Col, Empty, List, Row, Typography } from 'antd';
import { DashboardOutlined } from '@ant-design/icons';
import { Link } from 'react-router-dom';
import { runtimeApi } from '../api';
import { useI18n } from '../i18n';
import { AppDetailPage } from '../pages/AppDetailPage';
import { useAsync } from '../useAsync';
import { useRuntime } from './context';
import { localTime } from './FlowHistory';

export function AppHomePage() {
  const { app } = useRuntime();
  const { t } = useI18n();
  const tasks = useAsync((signal) => runtimeApi.tasks('todo', signal), []);
  const mine = (tasks.data?.items ?? []).filter((task) => task.app === app.key);
  const dashboards = (app.dashboards as { key: string; name: string; description?: string }[] | undefined) ?? [];
  const flowDefs = (app.flows as { key: string; name?: string }[] | undefined) ?? [];
  const flows = new Map(flowDefs.map((f) => [f.key, f.name]));
  return (
    <div data-testid="app-home">
      <AppDetailPage />
      <div className="page">
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={12}>
          <Card title={<><Badge count={mine.length} offset={[12, 0]}>{t('rt.home.tasks')}</Badge></>}
            extra={<Link to="/tasks">{t('rt.home.allTasks')}</Link>} data-testid="home-tasks">
            <List
              size="small"
              loading={tasks.loading}
              dataSource={mine.slice(0, 8)}
              locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('rt.inbox.empty')} /> }}
              renderItem={(task) => (
                <List.Item>
                  <Link to={`/tasks?task=${task.id}`}>{flows.get(task.flow) ?? task.flow}</Link>
                  <Typography.Text type="secondary">{localTime(task.created_at)}</Typography.Text>
                </List.Item>
              )}
            />
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={t('rt.home.dashboards')} data-testid="home-dashboards">
            <List
              size="small"
              dataSource={dashboards}
              locale={{
                emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('rt.home.noDashboards')} />,
              }}
              renderItem={(d) => (
                <List.Item>
                  <Link to={`/apps/${encodeURIComponent(app.key)}/dashboards/${encodeURIComponent(d.key)}`}>
                    <DashboardOutlined /> {d.name}
                  </Link>
                </List.Item>
              )}
            />
          </Card>
        </Col>
      </Row>
      </div>
    </div>
  );
}
