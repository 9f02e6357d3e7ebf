/**
 * Excel import in four steps: upload an .xlsx / .csv → map each column to a field (matched by label or key by the
 * server, with the first rows shown) → a dry run with the per-row problems → import, all-or-nothing or skipping the
 * bad rows → the result. The server does every check (runtime/importer.py); nothing is written before the last step.
 */
import { useMemo, useState } from 'react';
import { Alert, Button, Modal, Radio, Result, Select, Space, Steps, Table, Typography, Upload } from 'antd';
import { InboxOutlined } from '@ant-design/icons';
import {
  runtimeApi, type ImportMode, type ImportPreview, type ImportReport, type ImportRowError,
} from '../api';
import { ApiErrorAlert } from '../components/ApiErrorAlert';
import { useI18n } from '../i18n';

type Step = 'upload' | 'map' | 'check' | 'done';
const STEPS: Step[] = ['upload', 'map', 'check', 'done'];
const STEP_LABELS = { upload: 'rt.import.stepUpload', map: 'rt.import.stepMap', check: 'rt.import.stepCheck',
  done: 'rt.import.stepDone' } as const;

export interface ImportWizardProps {
  app: string;
  form: { key: string; name: string };
  onClose: () => void;
  /** After records were written. */
  onImported: () => void;
}

/** Problems of a mapping before it is sent: nothing mapped, a field chosen twice, a required field left out. */
export function mappingProblems(preview: ImportPreview, mapping: Record<string, string>,
  t: (key: 'rt.import.noMapping' | 'rt.import.duplicate' | 'rt.import.missingRequired' | 'rt.listSep',
    vars?: Record<string, string>) => string): string[] {
  const chosen = Object.values(mapping).filter(Boolean);
  const problems: string[] = [];
  if (!chosen.length) problems.push(t('rt.import.noMapping'));
  const label = (key: string) => preview.fields.find((f) => f.key === key)?.label ?? key;
  for (const key of new Set(chosen.filter((key, i) => chosen.indexOf(key) !== i))) {
    problems.push(t('rt.import.duplicate', { field: label(key) }));
  }
  const missing = preview.fields.filter((f) => f.required && !chosen.includes(f.key)).map((f) => f.label);
  if (chosen.length && missing.length) problems.push(t('rt.import.missingRequired', { fields: missing.join(t('rt.listSep')) }));
  return problems;
}

function cellText(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

export function ImportWizard({ app, form, onClose, onImported }: ImportWizardProps) {
  const { t } = useI18n();
  const [step, setStep] = useState<Step>('upload');
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [check, setCheck] = useState<ImportReport | null>(null);
  const [mode, setMode] = useState<ImportMode>('all_or_nothing');
  const [result, setResult] = useState<ImportReport | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const choose = (chosen: File) => run(async () => {
    const shown = await runtimeApi.importPreview(app, form.key, chosen);
    setFile(chosen);
    setPreview(shown);
    // every column is named: matched ones to their field, the others left out on purpose
    setMapping(Object.fromEntries(shown.headers.filter(Boolean).map((h) => [h, shown.mapping[h] ?? ''])));
    setCheck(null);
    setStep('map');
  });

  const dryRun = () => run(async () => {
    if (!file) return;
    setCheck(await runtimeApi.importRecords(app, form.key, file, { mapping, mode, dryRun: true }));
    setStep('check');
  });

  const importAll = () => run(async () => {
    if (!file) return;
    const done = await runtimeApi.importRecords(app, form.key, file, { mapping, mode });
    setResult(done);
    setStep('done');
    if (done.imported) onImported();
  });

  const restart = () => {
    setStep('upload');
    setFile(null);
    setPreview(null);
    setCheck(null);
    setResult(null);
    setError(null);
  };

  const problems = useMemo(() => (preview ? mappingProblems(preview, mapping, t) : []), [preview, mapping, t]);

  const body = () => {
    if (step === 'upload') {
      return (
        <Upload.Dragger accept=".xlsx,.csv" showUploadList={false} disabled={busy} data-testid="import-upload"
          beforeUpload={(chosen) => { void choose(chosen); return false; }}>
          <p className="ant-upload-drag-icon"><InboxOutlined /></p>
          <p className="ant-upload-text">{t('rt.import.drop')}</p>
          <p className="ant-upload-hint">{t('rt.import.dropHint')}</p>
        </Upload.Dragger>
      );
    }
    if (step === 'map' && preview) return <MappingStep preview={preview} mapping={mapping} onChange={setMapping}
      problems={problems} />;
    if (step === 'check' && check) return <CheckStep report={check} mode={mode} onMode={setMode} />;
    if (step === 'done' && result) return <DoneStep report={result} mode={mode} />;
    return null;
  };

  const footer = () => {
    if (step === 'map') {
      return [
        <Button key="back" onClick={restart}>{t('rt.import.back')}</Button>,
        <Button key="check" type="primary" loading={busy} disabled={problems.length > 0} onClick={dryRun}
          data-testid="import-check">{t('rt.import.check')}</Button>,
      ];
    }
    if (step === 'check' && check) {
      const nothing = !check.valid || (mode === 'all_or_nothing' && check.failed > 0);
      return [
        <Button key="back" onClick={() => setStep('map')}>{t('rt.import.back')}</Button>,
        <Button key="recheck" loading={busy} onClick={dryRun}>{t('rt.import.check')}</Button>,
        <Button key="run" type="primary" loading={busy} disabled={nothing} onClick={importAll}
          data-testid="import-run">{t('rt.import.run')}</Button>,
      ];
    }
    if (step === 'done') {
      return [
        <Button key="again" onClick={restart}>{t('rt.import.again')}</Button>,
        <Button key="close" type="primary" onClick={onClose} data-testid="import-close">{t('rt.import.close')}</Button>,
      ];
    }
    return null;
  };

  return (
    <Modal open onCancel={onClose} title={t('rt.import.title', { form: form.name })} width={880} footer={footer()}
      destroyOnHidden data-testid="import-wizard">
      <Steps size="small" current={STEPS.indexOf(step)} className="rt-import__steps"
        items={STEPS.map((s) => ({ title: t(STEP_LABELS[s]) }))} />
      {error ? <ApiErrorAlert error={error} /> : null}
      {body()}
    </Modal>
  );
}

interface Column {
  header: string;
  index: number;
}

function MappingStep({ preview, mapping, onChange, problems }: {
  preview: ImportPreview;
  mapping: Record<string, string>;
  onChange: (mapping: Record<string, string>) => void;
  problems: string[];
}) {
  const { t } = useI18n();
  const options = [{ value: '', label: t('rt.import.skip') },
    ...preview.fields.map((f) => ({ value: f.key, label: f.required ? `${f.label} *` : f.label }))];
  const columns = preview.headers.map((header, index) => ({ header, index })).filter((c) => c.header);
  return (
    <Space orientation="vertical" size="middle" className="rt-import__body">
      <Table<Column> size="small" rowKey="header" pagination={false} dataSource={columns} data-testid="import-mapping"
        columns={[
          { key: 'header', title: t('rt.import.column'), dataIndex: 'header', width: 200 },
          {
            key: 'field', title: t('rt.import.field'), width: 240,
            render: (_: unknown, c: Column) => (
              <Select value={mapping[c.header] ?? ''} options={options} className="rt-import__select"
                showSearch={{ optionFilterProp: 'label' }} data-testid={`map-${c.header}`}
                onChange={(value: string) => onChange({ ...mapping, [c.header]: value })} />
            ),
          },
          {
            key: 'sample', title: t('rt.import.sample'), ellipsis: true,
            render: (_: unknown, c: Column) => (
              <Typography.Text type="secondary">
                {preview.rows.map((row) => cellText(row[c.index])).filter(Boolean).slice(0, 3).join(' / ')}
              </Typography.Text>
            ),
          },
        ]} />
      {problems.length ? (
        <Alert type="warning" showIcon data-testid="import-mapping-problems"
          title={problems.map((p) => <div key={p}>{p}</div>)} />
      ) : null}
      <Typography.Text strong>{t('rt.import.preview', { count: preview.rows.length })}</Typography.Text>
      <Table size="small" pagination={false} scroll={{ x: 'max-content' }} data-testid="import-preview"
        rowKey={(row) => String(preview.rows.indexOf(row))} dataSource={preview.rows}
        columns={columns.map((c) => ({
          key: String(c.index), title: c.header,
          render: (_: unknown, row: unknown[]) => cellText(row[c.index]),
          className: mapping[c.header] ? undefined : 'rt-import__skipped',
        }))} />
    </Space>
  );
}

function ErrorTable({ errors }: { errors: ImportRowError[] }) {
  const { t } = useI18n();
  return (
    <Table size="small" rowKey={(e) => `${e.row}-${e.field}-${errors.indexOf(e)}`} dataSource={errors}
      pagination={errors.length > 10 ? { pageSize: 10, showSizeChanger: false } : false} data-testid="import-errors"
      columns={[
        { key: 'row', title: t('rt.import.row'), dataIndex: 'row', width: 80 },
        { key: 'column', title: t('rt.import.column'), dataIndex: 'column', width: 160 },
        { key: 'message', title: t('rt.import.message'), dataIndex: 'message' },
      ]} />
  );
}

function CheckStep({ report, mode, onMode }: {
  report: ImportReport;
  mode: ImportMode;
  onMode: (mode: ImportMode) => void;
}) {
  const { t } = useI18n();
  const valid = report.valid ?? 0;
  return (
    <Space orientation="vertical" size="middle" className="rt-import__body" data-testid="import-check-result">
      {report.failed ? (
        <Alert type="warning" showIcon title={t('rt.import.checked', { valid, failed: report.failed })} />
      ) : (
        <Alert type="success" showIcon title={t('rt.import.allGood', { count: valid })} />
      )}
      {report.ignored_columns.length ? (
        <Typography.Text type="secondary">
          {t('rt.import.ignored', { columns: report.ignored_columns.join(t('rt.listSep')) })}
        </Typography.Text>
      ) : null}
      {report.errors.length ? <ErrorTable errors={report.errors} /> : null}
      {report.failed ? (
        <Space>
          <Typography.Text>{t('rt.import.mode')}</Typography.Text>
          <Radio.Group value={mode} onChange={(e) => onMode(e.target.value as ImportMode)} data-testid="import-mode"
            options={[{ value: 'all_or_nothing', label: t('rt.import.allOrNothing') },
              { value: 'good_rows', label: t('rt.import.goodRows') }]} />
        </Space>
      ) : null}
    </Space>
  );
}

function DoneStep({ report, mode }: { report: ImportReport; mode: ImportMode }) {
  const { t } = useI18n();
  const refused = !report.imported && report.failed > 0 && mode === 'all_or_nothing';
  return (
    <div data-testid="import-result">
      <Result status={refused ? 'error' : report.failed ? 'warning' : 'success'}
        title={refused ? t('rt.import.refused', { count: report.failed }) : t('rt.import.done', { count: report.imported })}
        subTitle={!refused && report.failed ? t('rt.import.skipped', { count: report.failed }) : undefined} />
      {report.errors.length ? <ErrorTable errors={report.errors} /> : null}
    </div>
  );
}
