/**
 * The dashboard designer: report widgets on a draggable, resizable 24-column grid (react-grid-layout) whose
 * places are the widgets' x, y, w, h; each widget previews its report live; shared filters below.
 */
import { useMemo } from 'react';
import ReactGridLayout, { useContainerWidth, verticalCompactor, type Layout } from 'react-grid-layout';
import 'react-grid-layout/css/styles.css';
import 'react-resizable/css/styles.css';
import { Alert, Button, Card, Empty, Input, Select, Skeleton, Space, Tag, Typography } from 'antd';
import { CloseOutlined, HolderOutlined } from '@ant-design/icons';
import { builderApi } from '../api';
import { DesignerTabs } from '../DesignerTabs';
import { reportApi } from '../report/api';
import { AnswerView } from '../report/PreviewPanel';
import { ProblemText, problemsAt } from '../report/problems';
import { useReportAnswer } from '../report/usePreview';
import { clauseSeparator, useText } from '../text';
import type { AppDraft, DesignerProps, Item, Problem } from '../types';
import { useAsync } from '../../useAsync';
import { defaultsFor, reportsOf } from './filters';
import { FiltersEditor } from './FiltersEditor';
import { addWidget, fromLayout, GRID, removeWidget, toLayout, type DashboardDef, type GridItem } from './layout';
import { TEXT } from './text';
import '../report/report.css';

const ROW_PX = 40;
const MARGIN_PX = 12;
const HEAD_PX = 58; // the card's title bar and padding

/** A widget's report, as published when it is unchanged (its data), else as the working copy (a preview). */
function WidgetBody({ appKey, report, published, params, height }: {
  appKey: string; report: Item; published: Item | undefined; params: Record<string, string>; height: number;
}) {
  const t = useText(TEXT);
  const same = published !== undefined && JSON.stringify(published) === JSON.stringify(report);
  const state = useReportAnswer(`${same}:${JSON.stringify(params)}:${JSON.stringify(report)}`, (signal) =>
    same ? reportApi.data(appKey, report.key, params, signal) : reportApi.preview(appKey, report, signal), 300);
  return (
    <div data-testid="dashboard-widget-body" data-source={same ? 'published' : 'preview'}>
      {!same ? <Tag color="orange" style={{ marginBottom: 4 }}>{t('unpublished')}</Tag> : null}
      {state.problems.length ? (
        <Alert type="warning" showIcon title={state.problems.map((p) => `${p.path} ${p.message}`).join(clauseSeparator())} />
      ) : state.error ? (
        <Alert type="warning" showIcon title={(state.error as Error).message} />
      ) : state.answer ? (
        <AnswerView answer={state.answer} mode="chart" height={height} />
      ) : null}
    </div>
  );
}

function Widgets({ appKey, app, board, onChange, problems, published }: {
  appKey: string; app: AppDraft; board: DashboardDef; onChange: (next: DashboardDef) => void; problems: Problem[];
  /** the published definition; null when there is none, undefined while it loads */
  published: AppDraft | null | undefined;
}) {
  const t = useText(TEXT);
  const { width, containerRef, mounted } = useContainerWidth();
  const widgets = useMemo(() => board.widgets ?? [], [board.widgets]);
  const layout = useMemo(() => toLayout(widgets), [widgets]);
  // moves and resizes are written when they end; the grid's own compaction on first draw is not an edit
  const write = (next: Layout) => {
    const placed = fromLayout(widgets, next as readonly GridItem[]);
    if (placed !== widgets) onChange({ ...board, widgets: placed });
  };
  const reports = reportsOf(app) as Item[];
  return (
    <div ref={containerRef} className="dashboard-designer__grid" data-testid="dashboard-grid">
      {widgets.length === 0 ? <Empty description={t('empty')} /> : null}
      {mounted && widgets.length ? (
        <ReactGridLayout
          width={width}
          layout={layout}
          gridConfig={{ cols: GRID, rowHeight: ROW_PX, margin: [MARGIN_PX, MARGIN_PX] }}
          dragConfig={{ handle: '.dashboard-designer__handle' }}
          compactor={verticalCompactor}
          onDragStop={(next) => write(next)}
          onResizeStop={(next) => write(next)}
        >
          {widgets.map((widget, index) => {
            const report = reports.find((r) => r.key === widget.report);
            const item = layout[index];
            const height = Math.max(item.h * ROW_PX + (item.h - 1) * MARGIN_PX - HEAD_PX, 80);
            return (
              <div key={String(index)} data-testid={`dashboard-widget-${index}`} data-report={widget.report}
                data-grid-x={item.x} data-grid-y={item.y} data-grid-w={item.w} data-grid-h={item.h}>
                <Card
                  size="small"
                  className="dashboard-designer__widget"
                  title={
                    <span className="dashboard-designer__handle">
                      <HolderOutlined /> {widget.title || (report?.name as string) || widget.report}
                    </span>
                  }
                  extra={
                    <Space size={2}>
                      <Input size="small" variant="borderless" style={{ width: 120 }} placeholder={t('title')}
                        title={t('title')} value={widget.title ?? ''}
                        onMouseDown={(e) => e.stopPropagation()}
                        onChange={(e) => {
                          const next = { ...widget, title: e.target.value || undefined };
                          if (!next.title) delete next.title;
                          onChange({ ...board, widgets: widgets.map((w, i) => (i === index ? next : w)) });
                        }} />
                      <Button size="small" type="text" icon={<CloseOutlined />} aria-label={t('remove')}
                        data-testid={`dashboard-widget-remove-${index}`}
                        onMouseDown={(e) => e.stopPropagation()}
                        onClick={() => onChange(removeWidget(board, index))} />
                    </Space>
                  }
                >
                  <ProblemText problems={problems} at={`/widgets/${index}`} />
                  {published === undefined ? (
                    <Skeleton active />
                  ) : report ? (
                    <WidgetBody appKey={appKey} report={report}
                      published={published ? (reportsOf(published).find((r) => r.key === report.key) as Item | undefined) : undefined}
                      params={defaultsFor(board, widget.report)} height={height} />
                  ) : (
                    <Alert type="warning" showIcon title={t('unknownReport', { key: widget.report })} />
                  )}
                </Card>
              </div>
            );
          })}
        </ReactGridLayout>
      ) : null}
    </div>
  );
}

export function DashboardDesigner(props: DesignerProps<DashboardDef>) {
  const { app, appKey, value: board, onChange, problems, publishedVersion } = props;
  const t = useText(TEXT);
  const published = useAsync((signal) => builderApi.published(appKey, signal), [appKey, publishedVersion]);
  const reports = reportsOf(app);
  const other = problems.filter((p) => !problemsAt(problems, '/widgets').includes(p) && !problemsAt(problems, '/filters').includes(p));
  const design = (
    <div className="dashboard-designer" data-testid="dashboard-designer">
      {other.length ? (
        <Alert type="error" showIcon title={t('problems')} style={{ marginBottom: 12 }}
          description={other.map((p, i) => <div key={i}>{p.path}: {p.message}</div>)} />
      ) : null}
      <Space wrap size={[16, 8]} style={{ marginBottom: 12 }}>
        <Space size={4}>
          <Typography.Text type="secondary">{t('addWidget')}</Typography.Text>
          <Select size="small" style={{ width: 260 }} value={null} data-testid="dashboard-add-widget" showSearch
            optionFilterProp="label" placeholder={reports.length ? t('addWidget.placeholder') : t('addWidget.none')}
            disabled={!reports.length}
            options={reports.map((r) => ({ value: r.key, label: r.name ?? r.key }))}
            onChange={(report: string | null) => report && onChange(addWidget(board, report))} />
        </Space>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('hint')}</Typography.Text>
      </Space>
      <Widgets appKey={appKey} app={app} board={board} onChange={onChange} problems={problems}
        published={published.data ?? (published.error ? null : undefined)} />
      <Card size="small" title={t('filters')} style={{ marginTop: 16 }}>
        <FiltersEditor app={app} board={board} onChange={onChange} problems={problems} />
      </Card>
    </div>
  );
  return <DesignerTabs design={design} labels={{ design: t('tab.design'), json: t('tab.json') }} designer={props} />;
}
