/**
 * Making an app from the app list (admins): a blank app, one from the template gallery (the SCRM app, with demo
 * data at a chosen size), or a definition file exported elsewhere. Each lands in the builder.
 */
import { Alert, Button, Card, Col, Dropdown, Form, Input, InputNumber, Modal, Row, Space, Switch, Tag, Typography, Upload } from 'antd';
import { AppstoreAddOutlined, FileAddOutlined, PlusOutlined, UploadOutlined } from '@ant-design/icons';
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { ApiErrorAlert } from '../components/ApiErrorAlert';
import { useAsync } from '../useAsync';
import { builderApi, type TemplateInfo } from './api';
import { CREATE_APP_TEXT as TEXT } from './createAppText';
import { useText } from './text';


type Mode = 'blank' | 'template' | 'file' | null;
const KEY_RULE = { pattern: /^[a-z][a-z0-9_]{0,39}$/ };

export function CreateAppButton() {
  const t = useText(TEXT);
  const navigate = useNavigate();
  const [mode, setMode] = useState<Mode>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm();
  const [template, setTemplate] = useState<TemplateInfo | null>(null);
  const [file, setFile] = useState<Record<string, unknown> | null>(null);
  const gallery = useAsync((signal) => (mode === 'template' ? builderApi.templates(signal) : Promise.resolve([])), [mode]);

  const open = (next: Mode) => {
    setMode(next);
    setError(null);
    setTemplate(null);
    setFile(null);
    form.resetFields();
  };
  const finish = (key: string) => {
    setMode(null);
    navigate(`/build/${encodeURIComponent(key)}`);
  };
  const run = async (action: () => Promise<{ key: string }>) => {
    setBusy(true);
    setError(null);
    try {
      finish((await action()).key);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const submit = async () => {
    if (mode === 'file') {
      if (file) await run(() => builderApi.importApp(file, true));
      return;
    }
    const values = await form.validateFields();
    if (mode === 'blank') {
      await run(() =>
        builderApi.importApp({ format: 'nocode.app/v1', key: values.key, name: values.name.trim(), description: values.description || undefined, forms: [] }),
      );
    } else if (template) {
      await run(() =>
        builderApi.installTemplate(template.key, { key: values.key, name: values.name.trim(), demo_data: !!values.demo, scale: values.scale ?? 0.1 }),
      );
    }
  };

  return (
    <>
      <Dropdown
        trigger={['click']}
        menu={{
          items: [
            { key: 'blank', icon: <FileAddOutlined />, label: t('blank'), onClick: () => open('blank') },
            { key: 'template', icon: <AppstoreAddOutlined />, label: t('fromTemplate'), onClick: () => open('template') },
            { key: 'file', icon: <UploadOutlined />, label: t('fromFile'), onClick: () => open('file') },
          ],
        }}
      >
        <Button type="primary" icon={<PlusOutlined />} data-testid="app-create">
          {t('create')}
        </Button>
      </Dropdown>
      <Modal
        open={mode !== null}
        title={mode === 'blank' ? t('blank') : mode === 'template' ? t('fromTemplate') : t('fromFile')}
        onCancel={() => setMode(null)}
        onOk={submit}
        okText={t('install')}
        okButtonProps={{ loading: busy, disabled: (mode === 'template' && !template) || (mode === 'file' && !file), ...{ 'data-testid': 'app-create-ok' } }}
        width={mode === 'template' ? 760 : 520}
        destroyOnHidden
      >
        {error ? <ApiErrorAlert error={error} /> : null}
        {mode === 'template' ? (
          <Row gutter={[12, 12]} style={{ marginBottom: 16 }} data-testid="template-gallery">
            {(gallery.data ?? []).map((item) => (
              <Col key={item.key} xs={24} md={12}>
                <Card
                  hoverable
                  size="small"
                  className={template?.key === item.key ? 'template-card is-chosen' : 'template-card'}
                  data-testid={`template-${item.key}`}
                  onClick={() => {
                    setTemplate(item);
                    form.setFieldsValue({ name: item.name, key: item.app_key, demo: item.has_demo, scale: 0.1 });
                  }}
                >
                  <Typography.Text strong>{item.name}</Typography.Text>
                  <Typography.Paragraph type="secondary" ellipsis={{ rows: 3 }} style={{ margin: '4px 0' }}>
                    {item.description}
                  </Typography.Paragraph>
                  <Tag>{t('counts', item.counts)}</Tag>
                </Card>
              </Col>
            ))}
          </Row>
        ) : null}
        {mode === 'file' ? (
          <Space orientation="vertical" style={{ width: '100%' }}>
            <Upload
              accept=".json,application/json"
              maxCount={1}
              beforeUpload={(chosen) => {
                chosen
                  .text()
                  .then((text) => {
                    setFile(JSON.parse(text));
                    setError(null);
                  })
                  .catch((e: Error) => {
                    setFile(null);
                    setError(new Error(t('fileInvalid', { message: e.message })));
                  });
                return false;
              }}
            >
              <Button icon={<UploadOutlined />} data-testid="app-import-file">{t('choose')}</Button>
            </Upload>
            {file ? <Alert type="info" showIcon title={`${String(file.name ?? '')} (${String(file.key ?? '')})`} /> : null}
          </Space>
        ) : null}
        {mode === 'blank' || (mode === 'template' && template) ? (
          <Form form={form} layout="vertical">
            <Form.Item name="name" label={t('name')} rules={[{ required: true, whitespace: true, message: t('nameRequired') }]}>
              <Input maxLength={100} data-testid="app-create-name" />
            </Form.Item>
            <Form.Item name="key" label={t('key')} extra={t('keyHelp')} rules={[{ required: true, message: t('keyPattern') }, { ...KEY_RULE, message: t('keyPattern') }]}>
              <Input data-testid="app-create-key" />
            </Form.Item>
            {mode === 'blank' ? (
              <Form.Item name="description" label={t('description')}>
                <Input.TextArea autoSize={{ minRows: 2 }} />
              </Form.Item>
            ) : template?.has_demo ? (
              <Space size={24} align="start">
                <Form.Item name="demo" label={t('demo')} valuePropName="checked">
                  <Switch data-testid="app-create-demo" />
                </Form.Item>
                <Form.Item name="scale" label={t('scale')} extra={t('scaleHelp')}>
                  <InputNumber min={0.01} max={5} step={0.1} />
                </Form.Item>
              </Space>
            ) : null}
          </Form>
        ) : null}
      </Modal>
    </>
  );
}
