/** The three drop zones: 维度 (dimensions), 指标 (measures), 筛选 (filters). */
import type { ReactNode } from 'react';
import { useDroppable } from '@dnd-kit/core';
import { Button, Input, Select, Space, Typography } from 'antd';
import { SortableContext, useSortable, verticalListSortingStrategy } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { CloseOutlined, HolderOutlined, PlusOutlined } from '@ant-design/icons';
import { useText } from '../text';
import type { Problem } from '../types';
import { dropId, useFieldLabel, type Zone } from './FieldPalette';
import {
  aggsFor, BUCKETS, isDate, removeAt, setDimension, setMeasure, type Agg, type Bucket, type MeasureLabel,
  type ReportDef,
  type SourceField,
} from './model';
import { ProblemText } from './problems';
import { TEXT } from './text';

export function DropZone({ zone, title, help, extra, children }: {
  zone: Zone; title: string; help?: string; extra?: ReactNode; children: ReactNode;
}) {
  const t = useText(TEXT);
  const { setNodeRef, isOver } = useDroppable({ id: dropId(zone) });
  return (
    <div ref={setNodeRef} data-testid={`report-zone-${zone}`}
      className={`report-designer__zone${isOver ? ' report-designer__zone--over' : ''}`}>
      <div className="report-designer__zone-head">
        <Typography.Text strong>{title}</Typography.Text>
        {help ? <Typography.Text type="secondary" style={{ fontSize: 12 }}>{help}</Typography.Text> : null}
        <span style={{ flex: 1 }} />
        {extra}
      </div>
      {children}
      <div className="report-designer__drop-hint">{t('zone.drop')}</div>
    </div>
  );
}

interface ListProps {
  report: ReportDef;
  onChange: (next: ReportDef) => void;
  fieldOf: (path: string) => SourceField | undefined;
  problems: Problem[];
}

/** A row of a zone that drags (by its grip) to another place in the same zone: the order decides series and sides. */
function SortableRow({ id, testId, field, children, below }: {
  id: string; testId: string; field: string; children: ReactNode; below?: ReactNode;
}) {
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } = useSortable({ id });
  return (
    <div ref={setNodeRef} className="report-designer__item" data-testid={testId} data-field={field}
      style={{ transform: CSS.Transform.toString(transform), transition, opacity: isDragging ? 0.5 : 1 }}>
      <Space wrap size={4}>
        <span ref={setActivatorNodeRef} className="report-designer__grip report-designer__sort-grip" {...attributes} {...listeners}>
          <HolderOutlined />
        </span>
        {children}
      </Space>
      {below}
    </div>
  );
}

/** The sortable ids of a zone's rows ("dimensions:0"), and the row an id names. */
export const sortId = (list: 'dimensions' | 'measures', index: number) => `${list}:${index}`;
export function readSortId(id: string | number | undefined | null): { list: 'dimensions' | 'measures'; index: number } | null {
  const m = /^(dimensions|measures):(\d+)$/.exec(String(id ?? ''));
  return m ? { list: m[1] as 'dimensions' | 'measures', index: Number(m[2]) } : null;
}

/** An `as` key typed by the person: kept as typed while editing, written when it is a valid key. */
function AsInput({ value, onChange, testId }: { value: string; onChange: (v: string) => void; testId: string }) {
  const t = useText(TEXT);
  return (
    <Input size="small" value={value} data-testid={testId} title={t('as')} prefix={<span className="report-designer__as">as</span>}
      style={{ width: 130 }} onChange={(e) => onChange(e.target.value.trim())} />
  );
}

export function DimensionList({ report, onChange, fieldOf, problems }: ListProps) {
  const t = useText(TEXT);
  const label = useFieldLabel();
  const dims = report.dimensions ?? [];
  return (
    <SortableContext items={dims.map((_, i) => sortId('dimensions', i))} strategy={verticalListSortingStrategy}>
      {dims.map((d, i) => {
        const source = fieldOf(d.field);
        return (
          <SortableRow key={i} id={sortId('dimensions', i)} below={<ProblemText problems={problems} at={`/dimensions/${i}`} />} testId={`report-dimension-${i}`} field={d.field}>
              <Typography.Text className="report-designer__item-label">{label(source, d.field)}</Typography.Text>
              {source && isDate(source.field) ? (
                <Select<Bucket | ''> size="small" style={{ width: 96 }} data-testid={`report-dimension-bucket-${i}`}
                  value={d.bucket ?? ''}
                  options={[{ value: '', label: t('bucket') }, ...BUCKETS.map((b) => ({ value: b, label: t(`bucket.${b}`) }))]}
                  onChange={(b) => onChange(setDimension(report, i, { bucket: b || undefined }))} />
              ) : null}
              <AsInput value={d.as} testId={`report-dimension-as-${i}`}
                onChange={(as) => onChange(setDimension(report, i, { as }))} />
              <Button size="small" type="text" icon={<CloseOutlined />} aria-label={t('remove')}
                data-testid={`report-dimension-remove-${i}`} onClick={() => onChange(removeAt(report, 'dimensions', i))} />
          </SortableRow>
        );
      })}
    </SortableContext>
  );
}

export function MeasureList({ report, onChange, fieldOf, problems, labelOf }: ListProps & { labelOf?: MeasureLabel }) {
  const t = useText(TEXT);
  const label = useFieldLabel();
  const measures = report.measures ?? [];
  return (
    <SortableContext items={measures.map((_, i) => sortId('measures', i))} strategy={verticalListSortingStrategy}>
      {measures.map((m, i) => {
        const source = m.field ? fieldOf(m.field) : undefined;
        const aggs: Agg[] = m.field ? aggsFor(source?.field) : ['count'];
        if (!aggs.includes(m.agg)) aggs.push(m.agg);
        return (
          <SortableRow key={i} id={sortId('measures', i)} below={<ProblemText problems={problems} at={`/measures/${i}`} />} testId={`report-measure-${i}`} field={m.field ?? ''}>
              <Typography.Text className="report-designer__item-label">
                {m.field ? label(source, m.field) : m.expr ?? t('records')}
              </Typography.Text>
              <Select<Agg> size="small" style={{ width: 104 }} value={m.agg} data-testid={`report-measure-agg-${i}`}
                options={aggs.map((a) => ({ value: a, label: t(`agg.${a}`) }))}
                onChange={(agg) => onChange(setMeasure(report, i, { agg }, labelOf))} />
              <AsInput value={m.as} testId={`report-measure-as-${i}`} onChange={(as) => onChange(setMeasure(report, i, { as }, labelOf))} />
              <Button size="small" type="text" icon={<CloseOutlined />} aria-label={t('remove')}
                data-testid={`report-measure-remove-${i}`} onClick={() => onChange(removeAt(report, 'measures', i))} />
          </SortableRow>
        );
      })}
    </SortableContext>
  );
}

export function CountButton({ onClick }: { onClick: () => void }) {
  const t = useText(TEXT);
  return (
    <Button size="small" type="link" icon={<PlusOutlined />} data-testid="report-add-count" onClick={onClick}>
      {t('zone.count')}
    </Button>
  );
}
