/**
 * The builder workspace for one app (/build/:key/:section?/:item?): the app's forms, flows, rules, reports,
 * dashboards and roles in a side list, the chosen item's designer on the right, and the app's lifecycle on top
 * (save the draft, publish with the list of changes, versions and rollback, export). The working copy is checked
 * live; each problem shows on its item and inside its designer.
 */
import {
  Alert,
  Badge,
  Breadcrumb,
  Button,
  Card,
  Dropdown,
  Empty,
  Input,
  Popconfirm,
  Popover,
  Result,
  Skeleton,
  Space,
  Tag,
  Tooltip,
  Typography,
  message,
} from 'antd';
import {
  AppstoreOutlined,
  BarChartOutlined,
  BranchesOutlined,
  CheckCircleOutlined,
  CloudUploadOutlined,
  DashboardOutlined,
  DeleteOutlined,
  DownloadOutlined,
  ExclamationCircleOutlined,
  FormOutlined,
  HistoryOutlined,
  MoreOutlined,
  PlayCircleOutlined,
  PlusOutlined,
  SafetyOutlined,
  SaveOutlined,
  SettingOutlined,
  ThunderboltOutlined,
  UndoOutlined,
} from '@ant-design/icons';
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { ApiErrorAlert } from '../components/ApiErrorAlert';
import { builderApi } from './api';
import { AddItemDialog, PublishDialog, VersionsDrawer } from './dialogs';
import { placeOf, problemCounts, SECTION_KEYS } from './places';
import { SECTIONS } from './registry';
import { AppSettings } from './AppSettings';
import { useText } from './text';
import { problemsUnder, type AppDraft, type Item, type Problem, type SectionKey } from './types';
import { useWorkingCopy } from './useWorkingCopy';
import { WORKSPACE_TEXT } from './workspaceText';
import './builder.css';

export const SECTION_ICONS: Record<SectionKey, ReactNode> = {
  forms: <FormOutlined />,
  flows: <BranchesOutlined />,
  rules: <ThunderboltOutlined />,
  reports: <BarChartOutlined />,
  dashboards: <DashboardOutlined />,
  roles: <SafetyOutlined />,
};

const items = (app: AppDraft, section: SectionKey) => (app[section] as Item[] | undefined) ?? [];
const itemName = (item: Item) => (typeof item.name === 'string' && item.name) || item.key;

function SideList({
  app,
  appKey,
  problems,
  current,
  onAdd,
}: {
  app: AppDraft;
  appKey: string;
  problems: Problem[];
  current: string;
  onAdd: (section: SectionKey) => void;
}) {
  const t = useText(WORKSPACE_TEXT);
  const counts = useMemo(() => problemCounts(app, problems), [app, problems]);
  const base = `/build/${encodeURIComponent(appKey)}`;
  return (
    <nav className="builder__nav" data-testid="builder-nav">
      <Link to={base} className={`builder__nav-item ${current === '' ? 'is-active' : ''}`} data-testid="builder-settings">
        <SettingOutlined /> <span className="builder__nav-name">{t('section.settings')}</span>
        {counts.get('settings') ? <Badge count={counts.get('settings')} size="small" /> : null}
      </Link>
      {SECTION_KEYS.map((section) => (
        <div key={section} className="builder__nav-group" data-testid={`builder-section-${section}`}>
          <div className="builder__nav-head">
            <Link to={`${base}/${section}`} className="builder__nav-title">
              {SECTION_ICONS[section]} {t(`section.${section}`)}
              <span className="builder__nav-count">{items(app, section).length}</span>
            </Link>
            <Tooltip title={t('add.title', { section: t(`section.${section}`) })}>
              <Button
                type="text"
                size="small"
                icon={<PlusOutlined />}
                data-testid={`builder-add-${section}`}
                aria-label={t('add.title', { section: t(`section.${section}`) })}
                onClick={() => onAdd(section)}
              />
            </Tooltip>
          </div>
          {items(app, section).map((item) => {
            const id = `${section}/${item.key}`;
            return (
              <Link
                key={item.key}
                to={`${base}/${section}/${encodeURIComponent(item.key)}`}
                className={`builder__nav-item ${current === id ? 'is-active' : ''}`}
                data-testid={`builder-item-${section}-${item.key}`}
              >
                <span className="builder__nav-name">{itemName(item)}</span>
                {counts.get(id) ? <Badge count={counts.get(id)} size="small" /> : null}
              </Link>
            );
          })}
        </div>
      ))}
    </nav>
  );
}

function ProblemList({ app, problems, appKey }: { app: AppDraft; problems: Problem[]; appKey: string }) {
  const t = useText(WORKSPACE_TEXT);
  if (!problems.length) return <Typography.Text type="secondary">{t('problems.none')}</Typography.Text>;
  return (
    <ul className="builder__problems" data-testid="builder-problems">
      {problems.map((p, i) => {
        const place = placeOf(app, p.path);
        const to = place.section && place.item
          ? `/build/${encodeURIComponent(appKey)}/${place.section}/${encodeURIComponent(place.item.key)}`
          : `/build/${encodeURIComponent(appKey)}`;
        return (
          <li key={`${p.path}#${i}`}>
            <Link to={to}>
              {place.section && place.item
                ? t('problems.item', { section: t(`section.${place.section}`), name: itemName(place.item) })
                : t('section.settings')}
            </Link>
            <Typography.Text code className="builder__problem-path">{place.rest || '/'}</Typography.Text>
            <div>{p.message}</div>
          </li>
        );
      })}
    </ul>
  );
}

export function BuilderPage() {
  const t = useText(WORKSPACE_TEXT);
  const { key: appKey = '', section, item: itemKey } = useParams();
  const navigate = useNavigate();
  const wc = useWorkingCopy(appKey);
  const [adding, setAdding] = useState<SectionKey | null>(null);
  const [publishing, setPublishing] = useState(false);
  const [versionsOpen, setVersionsOpen] = useState(false);
  const [saving, setSaving] = useState(false);

  // a closed tab must not lose unsaved work (it is also kept in this browser, but say so)
  useEffect(() => {
    if (!wc.dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [wc.dirty]);

  const base = `/build/${encodeURIComponent(appKey)}`;
  const crumbs = (
    <Breadcrumb
      className="page-breadcrumb"
      items={[
        { title: <Link to="/">{t('crumb.apps')}</Link> },
        { title: wc.app?.name ?? appKey },
        { title: t('crumb.design') },
      ]}
    />
  );

  if (wc.error) {
    return (
      <div className="builder">
        {crumbs}
        <ApiErrorAlert error={wc.error} />
      </div>
    );
  }
  if (wc.loading || !wc.app) {
    return (
      <div className="builder">
        {crumbs}
        <Card>
          <Skeleton active paragraph={{ rows: 8 }} />
        </Card>
      </div>
    );
  }
  const app = wc.app;

  const save = async () => {
    setSaving(true);
    try {
      if (await wc.save()) message.success(t('saved'));
      else message.error(t('saveFailed', { count: wc.problems.length || 1 }));
    } catch (e) {
      message.error((e as Error).message);
    } finally {
      setSaving(false);
    }
  };

  const publish = async () => {
    try {
      const version = await wc.publish();
      if (version === null) {
        message.error(t('saveFailed', { count: wc.problems.length || 1 }));
        return;
      }
      setPublishing(false);
      message.success(t('published', { version }));
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  const designer = SECTIONS.find((s) => s.section === section);
  const sectionItems = designer ? items(app, designer.section) : [];
  const index = sectionItems.findIndex((it) => it.key === itemKey);
  const current = designer && index >= 0 ? `${designer.section}/${itemKey}` : '';

  let content: ReactNode;
  if (!section) {
    content = <AppSettings app={app} problems={problemsUnder(wc.problems, '')} onChange={(next) => wc.update(() => next)} />;
  } else if (!designer) {
    content = <Result status="404" title={section} />;
  } else if (!itemKey) {
    content = (
      <Card title={<Space>{SECTION_ICONS[designer.section]}{t(`section.${designer.section}`)}</Space>}>
        {sectionItems.length ? (
          <div className="builder__cards">
            {sectionItems.map((it) => (
              <Link key={it.key} to={`${base}/${designer.section}/${encodeURIComponent(it.key)}`} className="builder__card">
                <Typography.Text strong>{itemName(it)}</Typography.Text>
                <Typography.Text type="secondary" code>{it.key}</Typography.Text>
              </Link>
            ))}
          </div>
        ) : (
          <Empty description={t('empty.section', { section: t(`section.${designer.section}`) })}>
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(designer.section)}>
              {t('add.title', { section: t(`section.${designer.section}`) })}
            </Button>
          </Empty>
        )}
      </Card>
    );
  } else if (index < 0) {
    content = <Result status="404" title={t('notFound', { key: itemKey, section: t(`section.${designer.section}`) })} />;
  } else {
    const item = sectionItems[index];
    const itemProblems = problemsUnder(wc.problems, `/${designer.section}/${index}`);
    const Designer = designer.Designer;
    content = (
      <div className="builder__item" data-testid="builder-item">
        <div className="builder__item-head">
          <Input
            className="builder__item-name"
            value={typeof item.name === 'string' ? item.name : ''}
            placeholder={t('item.name')}
            variant="borderless"
            data-testid="builder-item-name"
            onChange={(e) => wc.setItem(designer.section, item.key, { ...item, name: e.target.value })}
          />
          <Tooltip title={t('item.key')}>
            <Tag>{item.key}</Tag>
          </Tooltip>
          {itemProblems.length ? (
            <Tag color="error" icon={<ExclamationCircleOutlined />}>{t('item.problems', { count: itemProblems.length })}</Tag>
          ) : null}
          <span className="builder__spacer" />
          <Popconfirm
            title={t('action.deleteConfirm', { name: itemName(item) })}
            onConfirm={() => {
              wc.removeItem(designer.section, item.key);
              navigate(`${base}/${designer.section}`);
            }}
          >
            <Button danger type="text" icon={<DeleteOutlined />} data-testid="builder-item-delete">
              {t('action.delete')}
            </Button>
          </Popconfirm>
        </div>
        <Designer
          key={`${designer.section}/${item.key}`}
          appKey={appKey}
          app={app}
          value={item}
          onChange={(next) => wc.setItem(designer.section, item.key, next)}
          problems={itemProblems}
          publishedVersion={wc.currentVersion}
        />
      </div>
    );
  }

  const status = wc.dirty ? (
    <Tag color="orange" data-testid="builder-status">{t('status.unsaved')}</Tag>
  ) : wc.hasDraft ? (
    <Tag color="blue" data-testid="builder-status">{t('status.draft')}</Tag>
  ) : (
    <Tag color="green" data-testid="builder-status">{t('status.published', { version: String(wc.currentVersion ?? '') })}</Tag>
  );
  const check = wc.checking ? (
    <Tag>{t('status.checking')}</Tag>
  ) : (
    <Popover
      trigger="click"
      title={t('problems.title')}
      content={<ProblemList app={app} problems={wc.problems} appKey={appKey} />}
    >
      {wc.problems.length ? (
        <Tag color="error" icon={<ExclamationCircleOutlined />} className="builder__clickable" data-testid="builder-problem-count">
          {t('status.problems', { count: wc.problems.length })}
        </Tag>
      ) : (
        <Tag color="success" icon={<CheckCircleOutlined />} data-testid="builder-problem-count">{t('status.ok')}</Tag>
      )}
    </Popover>
  );

  return (
    <div className="builder" data-testid="builder">
      {crumbs}
      <div className="builder__bar">
        <AppstoreOutlined className="builder__bar-icon" />
        <Typography.Title level={4} className="builder__title">{app.name}</Typography.Title>
        {status}
        {check}
        <span className="builder__spacer" />
        <Space wrap>
          <Link to={`/apps/${encodeURIComponent(appKey)}`}>
            <Button icon={<PlayCircleOutlined />} data-testid="builder-run">{t('action.run')}</Button>
          </Link>
          <Button icon={<SaveOutlined />} onClick={save} loading={saving} disabled={!wc.dirty} data-testid="builder-save">
            {t('action.save')}
          </Button>
          <Button
            type="primary"
            icon={<CloudUploadOutlined />}
            onClick={() => setPublishing(true)}
            disabled={!wc.dirty && !wc.hasDraft}
            data-testid="builder-publish"
          >
            {t('action.publish')}
          </Button>
          <Dropdown
            trigger={['click']}
            menu={{
              items: [
                { key: 'versions', icon: <HistoryOutlined />, label: t('action.versions'), onClick: () => setVersionsOpen(true) },
                { key: 'export', icon: <DownloadOutlined />, label: t('action.export'), onClick: () => void builderApi.exportApp(appKey) },
                {
                  key: 'discard',
                  icon: <UndoOutlined />,
                  danger: true,
                  disabled: !wc.dirty && !wc.hasDraft,
                  label: t('action.discard'),
                  onClick: () => {
                    if (window.confirm(t('action.discardConfirm'))) void wc.discard();
                  },
                },
              ],
            }}
          >
            <Button icon={<MoreOutlined />} data-testid="builder-more" aria-label="more" />
          </Dropdown>
        </Space>
      </div>
      {wc.recovered ? (
        <Alert
          type="warning"
          showIcon
          className="builder__recovered"
          title={t('recovered.title')}
          data-testid="builder-recovered"
          action={
            <Space>
              <Button size="small" type="primary" onClick={wc.restore}>{t('recovered.restore')}</Button>
              <Button size="small" onClick={wc.dropRecovered}>{t('recovered.drop')}</Button>
            </Space>
          }
        />
      ) : null}
      <div className="builder__body">
        <SideList app={app} appKey={appKey} problems={wc.problems} current={section ? current : ''} onAdd={setAdding} />
        <main className="builder__main">{content}</main>
      </div>
      <AddItemDialog
        app={app}
        section={adding}
        onClose={() => setAdding(null)}
        onAdd={(target, key, name) => {
          const sectionDesigner = SECTIONS.find((s) => s.section === target)!;
          wc.addItem(target, sectionDesigner.blank(app, key, name));
          setAdding(null);
          navigate(`${base}/${target}/${encodeURIComponent(key)}`);
        }}
      />
      <PublishDialog
        open={publishing}
        app={app}
        published={wc.published}
        problems={wc.problems}
        onClose={() => setPublishing(false)}
        onPublish={publish}
      />
      <VersionsDrawer
        appKey={appKey}
        open={versionsOpen}
        current={wc.currentVersion ?? undefined}
        onClose={() => setVersionsOpen(false)}
        onRolledBack={wc.reload}
      />
    </div>
  );
}
