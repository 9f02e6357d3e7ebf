/**
 * The report designer: pick a source, drag its fields into 维度 / 指标 / 筛选, add metrics, sort and limit, switch
 * the chart, and watch the live preview (the working report run by the server, drawn by ReportChart).
 */
import { useEffect, useMemo, useState } from 'react';
import {
  DndContext, DragOverlay, KeyboardSensor, PointerSensor, useSensor, useSensors, type DragEndEvent,
  type DragStartEvent,
} from '@dnd-kit/core';
import { sortableKeyboardCoordinates } from '@dnd-kit/sortable';
import { Alert, Card, Collapse, Select, Space, Typography } from 'antd';
import { DesignerTabs } from '../DesignerTabs';
import { useText } from '../text';
import type { DesignerProps } from '../types';
import { reportApi } from './api';
import { ChartEditor } from './ChartEditor';
import { FieldPalette, useFieldLabel, ZONES, type Zone } from './FieldPalette';
import { FilterEditor, type FilterMode } from './FilterEditor';
import { compileRows, operatorsFor, parseRows, type FilterRow } from './filters';
import { MetricsEditor, SortLimitEditor } from './MoreEditor';
import {
  addDimension, addMeasure, changeSource, moveItem, sourceFields, sources, type MeasureLabel, type ReportDef, type SourceField,
} from './model';
import { PreviewPanel } from './PreviewPanel';
import { mergeProblems, ProblemText, unplaced } from './problems';
import { TEXT } from './text';
import { CountButton, DimensionList, DropZone, MeasureList, readSortId } from './Zones';
import { useReportAnswer } from './usePreview';
import './report.css';

interface FilterState {
  mode: FilterMode;
  rows: FilterRow[];
  formula: string;
}

function filterStateOf(filter: string | undefined): FilterState {
  const rows = parseRows(filter);
  return rows ? { mode: 'rows', rows, formula: filter ?? '' } : { mode: 'formula', rows: [], formula: filter ?? '' };
}

/** The filter a state writes: its rows joined, or the formula as typed. */
function filterOf(state: FilterState, fieldOf: (path: string) => SourceField | undefined): string | undefined {
  if (state.mode === 'formula') return state.formula.trim() || undefined;
  return compileRows(state.rows, (path) => fieldOf(path)?.field);
}

function withFilter(report: ReportDef, filter: string | undefined): ReportDef {
  const next = { ...report };
  if (filter) next.filter = filter;
  else delete next.filter;
  return next;
}

/** What a field dropped on (or added to) a zone becomes. */
export function dropField(
  report: ReportDef, zone: Exclude<Zone, 'filters'>, source: SourceField, labelOf?: MeasureLabel,
): ReportDef {
  return zone === 'dimensions' ? addDimension(report, source) : addMeasure(report, source, labelOf);
}

/** 「金额（求和）」, 「记录数」: how the designer names a measure in charts and tables. */
export function useMeasureLabel(fieldOf: (path: string) => SourceField | undefined): MeasureLabel {
  const t = useText(TEXT);
  const label = useFieldLabel();
  return (m) => (m.field ? t('measure.label', { field: label(fieldOf(m.field), m.field), agg: t(`agg.${m.agg}`) }) : t('zone.count'));
}

export function ReportDesigner(props: DesignerProps<ReportDef>) {
  const { app, appKey, value: report, onChange } = props;
  const t = useText(TEXT);
  const label = useFieldLabel();
  const fields = useMemo(() => sourceFields(app, report.source), [app, report.source]);
  const fieldOf = (path: string) => fields.find((f) => f.path === path);
  const measureLabel = useMeasureLabel(fieldOf);

  const [filter, setFilter] = useState<FilterState>(() => filterStateOf(report.filter));
  useEffect(() => {
    // the filter changed elsewhere (the JSON tab, another source): read it again
    setFilter((state) => (filterOf(state, (p) => fields.find((f) => f.path === p)) === (report.filter || undefined)
      ? state : filterStateOf(report.filter)));
  }, [report.filter, fields]);
  const writeFilter = (state: FilterState) => {
    setFilter(state);
    const next = filterOf(state, fieldOf);
    if (next !== (report.filter || undefined)) onChange(withFilter(report, next));
  };
  const addFilterRow = (source: SourceField) => {
    const row: FilterRow = { field: source.path, op: operatorsFor(source.field)[0], value: '' };
    const rows = filter.mode === 'rows' ? filter.rows : parseRows(filter.formula);
    if (rows === null) return; // a formula the rows cannot show stays a formula
    writeFilter({ mode: 'rows', rows: [...rows, row], formula: filter.formula });
  };

  const add = (zone: Zone, source: SourceField) => {
    if (zone === 'filters') addFilterRow(source);
    else onChange(dropField(report, zone, source, measureLabel));
  };

  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 4 } }), // a click on + is not a drag
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );
  const [dragging, setDragging] = useState<SourceField | null>(null);
  const onDragStart = (e: DragStartEvent) => setDragging((e.active.data.current?.source as SourceField) ?? null);
  const onDragEnd = (e: DragEndEvent) => {
    setDragging(null);
    const moved = readSortId(e.active.id);
    if (moved) {
      // a row dragged within its zone
      const target = readSortId(e.over?.id);
      if (target && target.list === moved.list && target.index !== moved.index) {
        onChange(moveItem(report, moved.list, moved.index, target.index));
      }
      return;
    }
    const source = e.active.data.current?.source as SourceField | undefined;
    // a field dropped on a zone, or on a row inside it
    const zone = ZONES.find((z) => e.over?.id === `zone:${z}`) ?? readSortId(e.over?.id)?.list;
    if (source && zone) add(zone, source);
  };

  // the name is no part of the answer: typing it does not run the report again
  const previewBody = JSON.stringify({ ...report, name: undefined });
  const preview = useReportAnswer(previewBody, (signal) => reportApi.preview(appKey, report, signal));
  const problems = mergeProblems(props.problems, preview.problems);
  const empty = !(report.dimensions ?? []).length && !(report.measures ?? []).length;
  const listProps = { report, onChange, fieldOf, problems };
  const labels: Record<string, string> = Object.fromEntries([
    ...(report.dimensions ?? []).map((d) => [d.as, d.label || label(fieldOf(d.field), d.field)]),
    ...(report.measures ?? []).map((m) => [m.as, m.label || m.as]),
    ...(report.metrics ?? []).map((m) => [m.as, m.label || m.as]),
  ]);

  const design = (
    <DndContext sensors={sensors} onDragStart={onDragStart} onDragEnd={onDragEnd} onDragCancel={() => setDragging(null)}>
      <div className="report-designer" data-testid="report-designer">
        <FieldPalette fields={fields} onAdd={add} />
        <div className="report-designer__main">
          {unplaced(problems).length ? (
            <Alert type="error" showIcon data-testid="report-problems" title={t('problems')} style={{ marginBottom: 12 }}
              description={unplaced(problems).map((p, i) => <div key={i}>{p.path ? `${p.path}: ` : ''}{p.message}</div>)} />
          ) : null}
          <Space wrap size={[16, 8]} style={{ marginBottom: 12 }}>
            <Space size={4}>
              <Typography.Text type="secondary">{t('source')}</Typography.Text>
              <Select size="small" style={{ width: 220 }} value={report.source} data-testid="report-source" showSearch
                optionFilterProp="label"
                options={sources(app).map((s) => ({
                  value: s.key,
                  label: s.sub ? t('source.rows', { form: s.form.name, sub: s.sub.label || s.sub.key }) : s.form.name,
                }))}
                onChange={(source) => onChange(changeSource(report, source))} />
            </Space>
            <ProblemText problems={problems} at="/source" />
            <ProblemText problems={problems} at="/name" />
          </Space>
          <div className="report-designer__zones">
            <DropZone zone="dimensions" title={t('zone.dimensions')} help={t('zone.dimensions.help')}>
              <DimensionList {...listProps} />
            </DropZone>
            <DropZone zone="measures" title={t('zone.measures')} help={t('zone.measures.help')}
              extra={<CountButton onClick={() => onChange(addMeasure(report, undefined, measureLabel))} />}>
              <MeasureList {...listProps} labelOf={measureLabel} />
            </DropZone>
            <DropZone zone="filters" title={t('zone.filters')}>
              <FilterEditor mode={filter.mode} rows={filter.rows} formula={filter.formula} fields={fields}
                problems={problems} rowsPossible={filter.mode === 'rows' || parseRows(filter.formula) !== null}
                onMode={(mode) => writeFilter(mode === 'formula'
                  ? { ...filter, mode, formula: filterOf(filter, fieldOf) ?? '' }
                  : { ...filter, mode, rows: parseRows(filter.formula) ?? [] })}
                onRows={(rows) => writeFilter({ ...filter, rows })}
                onFormula={(formula) => writeFilter({ ...filter, formula })} />
            </DropZone>
          </div>
          <Collapse size="small" style={{ marginTop: 12 }} items={[
            { key: 'metrics', label: t('metrics'), children: <MetricsEditor report={report} onChange={onChange} problems={problems} /> },
            { key: 'sort', label: t('sortLimit'), children: <SortLimitEditor report={report} onChange={onChange} problems={problems} /> },
          ]} />
          <Card size="small" title={t('chart')} style={{ marginTop: 12 }}>
            <ChartEditor report={report} onChange={onChange} problems={problems} labels={labels} />
            <div style={{ marginTop: 12 }}>
              <PreviewPanel state={preview} empty={empty} />
            </div>
          </Card>
        </div>
      </div>
      <DragOverlay dropAnimation={null}>
        {dragging ? <div className="report-designer__field report-designer__field--overlay">{label(dragging, dragging.path)}</div> : null}
      </DragOverlay>
    </DndContext>
  );
  return <DesignerTabs design={design} labels={{ design: t('tab.design'), json: t('tab.json') }} designer={props} />;
}
