import { Breadcrumb, Button, Card, Descriptions, Empty, Result, Skeleton, Space, Table, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { ArrowLeftOutlined, EditOutlined } from '@ant-design/icons';
import { useAuth } from '../auth/context';
import { Link, useParams } from 'react-router-dom';
import { api, ApiError, type FieldDefinition, type FormDefinition } from '../api';
import { ApiErrorAlert } from '../components/ApiErrorAlert';
import { AppAvatar } from '../components/AppAvatar';
import { PageHeader } from '../components/PageHeader';
import { useI18n } from '../i18n';
import { useAsync } from '../useAsync';
import { formatTime } from './AppsPage';

function fieldLabel(field: FieldDefinition): string {
  const label = field.label ?? field.name ?? field.title;
  return typeof label === 'string' ? label : '';
}

type FieldRow = FieldDefinition & { rowKey: string };

function FieldsTable({ fields }: { fields: FieldDefinition[] }) {
  const { t } = useI18n();
  const columns: TableColumnsType<FieldRow> = [
    { title: t('appDetail.field.label'), key: 'label', render: (_, f) => fieldLabel(f) },
    {
      title: t('appDetail.field.key'),
      dataIndex: 'key',
      key: 'key',
      render: (value: unknown) => (value ? <Typography.Text code>{String(value)}</Typography.Text> : null),
    },
    {
      title: t('appDetail.field.type'),
      dataIndex: 'type',
      key: 'type',
      render: (value: unknown) => (value ? <Tag>{String(value)}</Tag> : null),
    },
  ];
  const rows: FieldRow[] = fields.map((field, index) => ({ ...field, rowKey: `${String(field.key ?? '')}#${index}` }));
  return (
    <Table<FieldRow>
      size="small"
      columns={columns}
      dataSource={rows}
      rowKey="rowKey"
      pagination={false}
    />
  );
}

export function AppDetailPage() {
  const { key = '' } = useParams();
  const { t } = useI18n();
  const { user } = useAuth();
  const { data: app, error, loading, reload } = useAsync((signal) => api.getApp(key, signal), [key]);

  const breadcrumb = (
    <Breadcrumb
      className="page-breadcrumb"
      items={[{ title: <Link to="/">{t('nav.apps')}</Link> }, { title: app?.name ?? key }]}
    />
  );

  if (error instanceof ApiError && error.status === 404) {
    return (
      <div className="page">
        {breadcrumb}
        <Card>
          <Result
            status="404"
            title={t('appDetail.notFound')}
            subTitle={error.message}
            extra={
              <Link to="/">
                <Button type="primary">{t('appDetail.back')}</Button>
              </Link>
            }
            data-testid="app-not-found"
          />
        </Card>
      </div>
    );
  }

  if (error) {
    return (
      <div className="page">
        {breadcrumb}
        <ApiErrorAlert
          error={error}
          title={t('error.title')}
          action={
            <Button size="small" onClick={reload}>
              {t('error.retry')}
            </Button>
          }
        />
      </div>
    );
  }

  if (loading || !app) {
    return (
      <div className="page">
        {breadcrumb}
        <Card>
          <Skeleton avatar active paragraph={{ rows: 4 }} />
        </Card>
      </div>
    );
  }

  const forms = app.forms ?? [];
  const columns: TableColumnsType<FormDefinition> = [
    {
      title: t('appDetail.col.name'),
      dataIndex: 'name',
      key: 'name',
      render: (value: string) => <Typography.Text strong>{value}</Typography.Text>,
    },
    {
      title: t('appDetail.col.key'),
      dataIndex: 'key',
      key: 'key',
      render: (value: string) => <Typography.Text code>{value}</Typography.Text>,
    },
    {
      title: t('appDetail.col.fields'),
      key: 'fields',
      align: 'right',
      render: (_, form) => (Array.isArray(form.fields) ? form.fields.length : 0),
    },
  ];
  const published = formatTime(app.published_at);

  return (
    <div className="page" data-testid="app-detail">
      {breadcrumb}
      <PageHeader
        leading={<AppAvatar name={app.name} appKey={app.key} size={48} />}
        title={app.name}
        subtitle={app.description || t('apps.noDescription')}
        extra={
          <Space wrap>
            {user?.is_admin ? (
              <Link to={`/build/${encodeURIComponent(app.key)}`}>
                <Button icon={<EditOutlined />} data-testid="app-design">{t('apps.design')}</Button>
              </Link>
            ) : null}
            <Link to="/">
              <Button icon={<ArrowLeftOutlined />}>{t('appDetail.back')}</Button>
            </Link>
          </Space>
        }
      />
      <Card className="section-card">
        <Descriptions
          size="small"
          column={{ xs: 1, sm: 3 }}
          items={[
            { key: 'key', label: t('appDetail.col.key'), children: <Typography.Text code>{app.key}</Typography.Text> },
            { key: 'version', label: t('apps.version'), children: <Tag>v{app.version}</Tag> },
            {
              key: 'forms',
              label: t('apps.forms'),
              children: t('apps.formsCount', { count: forms.length }),
            },
          ]}
        />
        {published ? (
          <Typography.Text type="secondary" className="section-card__note">
            {t('apps.publishedAt', { time: published })}
          </Typography.Text>
        ) : null}
      </Card>
      <Card title={t('appDetail.forms')} className="section-card">
        <Table<FormDefinition>
          data-testid="forms-table"
          columns={columns}
          dataSource={forms}
          rowKey="key"
          pagination={false}
          locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('appDetail.formsEmpty')} /> }}
          expandable={{
            rowExpandable: (form) => Array.isArray(form.fields) && form.fields.length > 0,
            expandedRowRender: (form) => <FieldsTable fields={form.fields ?? []} />,
          }}
        />
      </Card>
    </div>
  );
}
