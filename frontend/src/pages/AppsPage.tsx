import { Button, Card, Col, Empty, Row, Skeleton, Space, Tag, Tooltip, Typography } from 'antd';
import { ClockCircleOutlined, EditOutlined, FileTextOutlined, ReloadOutlined, RightOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { Link, useNavigate } from 'react-router-dom';
import { useAuth } from '../auth/context';
import { CreateAppButton } from '../builder/CreateApp';
import { api, type AppSummary } from '../api';
import { ApiErrorAlert } from '../components/ApiErrorAlert';
import { AppAvatar } from '../components/AppAvatar';
import { PageHeader } from '../components/PageHeader';
import { useI18n } from '../i18n';
import { useAsync } from '../useAsync';

/** A server timestamp (ISO 8601) in the browser's time zone; unparsable values are shown as sent. */
export function formatTime(value: string | null | undefined): string | null {
  if (!value) return null;
  const parsed = dayjs(value);
  return parsed.isValid() ? parsed.format('YYYY-MM-DD HH:mm') : value;
}

function AppCard({ app }: { app: AppSummary }) {
  const { t } = useI18n();
  const { user } = useAuth();
  const navigate = useNavigate();
  const published = formatTime(app.published_at);
  const forms = app.forms ?? [];
  return (
    <Link to={`/apps/${encodeURIComponent(app.key)}`} className="app-card-link" data-testid={`app-card-${app.key}`}>
      <Card hoverable className="app-card">
        <div className="app-card__head">
          <AppAvatar name={app.name} appKey={app.key} />
          <div className="app-card__title">
            <Typography.Text strong className="app-card__name" data-testid="app-name" ellipsis>
              {app.name}
            </Typography.Text>
            <Typography.Text type="secondary" className="app-card__key" data-testid="app-key">
              {app.key}
            </Typography.Text>
          </div>
          <Tag className="app-card__version" data-testid="app-version">
            v{app.version}
          </Tag>
        </div>
        <Typography.Paragraph
          type="secondary"
          className="app-card__description"
          ellipsis={{ rows: 2 }}
          data-testid="app-description"
        >
          {app.description || t('apps.noDescription')}
        </Typography.Paragraph>
        <div className="app-card__meta">
          <Tooltip title={forms.map((f) => f.name).join(t('common.listSeparator')) || undefined}>
            <span data-testid="app-forms-count">
              <FileTextOutlined /> {t('apps.formsCount', { count: forms.length })}
            </span>
          </Tooltip>
          <span>
            <ClockCircleOutlined /> {published ? t('apps.publishedAt', { time: published }) : t('apps.notPublished')}
          </span>
          {user?.is_admin ? (
            <Button
              size="small"
              type="link"
              icon={<EditOutlined />}
              data-testid="app-design"
              onClick={(e) => {
                e.preventDefault();
                navigate(`/build/${encodeURIComponent(app.key)}`);
              }}
            >
              {t('apps.design')}
            </Button>
          ) : null}
          <RightOutlined className="app-card__arrow" />
        </div>
      </Card>
    </Link>
  );
}

export function AppsPage() {
  const { t } = useI18n();
  const { user } = useAuth();
  const { data: apps, error, loading, reload } = useAsync((signal) => api.listApps(signal), []);

  let body;
  if (error) {
    body = (
      <ApiErrorAlert
        error={error}
        title={t('error.title')}
        action={
          <Button size="small" onClick={reload}>
            {t('error.retry')}
          </Button>
        }
      />
    );
  } else if (loading && !apps) {
    body = (
      <Row gutter={[16, 16]}>
        {[0, 1, 2].map((i) => (
          <Col key={i} xs={24} md={12} xl={8}>
            <Card className="app-card">
              <Skeleton avatar active paragraph={{ rows: 2 }} />
            </Card>
          </Col>
        ))}
      </Row>
    );
  } else if (!apps || apps.length === 0) {
    body = (
      <Card className="empty-card">
        <Empty
          image={Empty.PRESENTED_IMAGE_SIMPLE}
          data-testid="apps-empty"
          description={
            <Space orientation="vertical" size={4}>
              <Typography.Text strong>{t('apps.empty.title')}</Typography.Text>
              <Typography.Text type="secondary">{t('apps.empty.hint')}</Typography.Text>
            </Space>
          }
        />
      </Card>
    );
  } else {
    body = (
      <Row gutter={[16, 16]} data-testid="apps-list">
        {apps.map((app) => (
          <Col key={app.key} xs={24} md={12} xl={8}>
            <AppCard app={app} />
          </Col>
        ))}
      </Row>
    );
  }

  return (
    <div className="page" data-testid="apps-page">
      <PageHeader
        title={t('apps.title')}
        subtitle={apps && apps.length > 0 ? `${t('apps.subtitle')} · ${t('apps.count', { count: apps.length })}` : t('apps.subtitle')}
        extra={
          <Space>
            <Button icon={<ReloadOutlined />} onClick={reload} loading={loading && !!apps} data-testid="apps-reload">
              {t('apps.reload')}
            </Button>
            {user?.is_admin ? <CreateAppButton /> : null}
          </Space>
        }
      />
      {body}
    </div>
  );
}
