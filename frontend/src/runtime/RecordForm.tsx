/**
 * The record form, drawn from the form definition: a widget per field type, linkage rules evaluated as the person
 * types (frontend/src/expr/linkage.ts), computed fields shown read-only, the server's 422 details put on their
 * fields (`/amount`, `/lines/0/qty`) and a stale version (409) answered with a reload.
 */
import { useMemo, useState } from 'react';
import { Alert, App as AntApp, Button, Card, Col, Divider, Form, Grid, Row, Space, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { ApiError, runtimeApi, type ErrorDetail, type FormDefinition, type RecordData } from '../api';
import { errorMessage } from '../components/ApiErrorAlert';
import type { FieldDef as ExprFieldDef } from '../expr/evaluate';
import { linkageState, rowLinkageState, type LinkageRule, type LinkageState } from '../expr/linkage';
import { liveFormulas } from '../expr/formulas';
import { useI18n } from '../i18n';
import { useFormAccess } from './access';
import { useRuntime } from './context';
import { COMPUTED_TYPES, fieldLabel, fieldsOf, LAYOUT_TYPES, renderValue, type FieldDef } from './fields';
import { FIELD_WIDGETS, payloadValue } from './widgets';

const SYSTEM_KEYS = new Set(['id', 'version', 'created_at', 'updated_at', 'created_by', 'updated_by', 'owner']);

/** "/lines/0/qty" → ["lines", 0, "qty"] (antd's field name path). */
export function errorPath(pointer: string): (string | number)[] {
  return pointer.split('/').filter(Boolean).map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function linkageCtx(userId: unknown) {
  return {
    now: new Date(),
    tz: Intl.DateTimeFormat().resolvedOptions().timeZone || 'Asia/Shanghai',
    userId: typeof userId === 'number' ? userId : null,
  };
}

/** Default values of a new record: the fields' literal `default`s (expression defaults are the server's). */
function defaults(fields: FieldDef[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const f of fields) {
    if (f.default !== undefined && (f.default === null || typeof f.default !== 'object' || Array.isArray(f.default))) {
      values[f.key] = f.default;
    }
  }
  return values;
}

export interface RecordFormProps {
  form: FormDefinition;
  /** The record being edited; none to create one. */
  record?: RecordData;
  onSaved: (record: RecordData) => void;
  onCancel?: () => void;
}

export function RecordForm({ form: definition, record, onSaved, onCancel }: RecordFormProps) {
  const { app, me } = useRuntime();
  const { t, lang } = useI18n();
  const { message } = AntApp.useApp();
  const screens = Grid.useBreakpoint();
  const wide = screens.md !== false;
  const [form] = Form.useForm();
  const access = useFormAccess(app, me, definition.key);
  const fields = useMemo(() => fieldsOf(definition).filter((f) => {
    if (f.hidden || access.hidden.has(f.key)) return false;
    // nothing to show of a computed value before the record exists, but formulas, worked out as one types
    if (!record && COMPUTED_TYPES.has(f.type) && f.type !== 'formula') return false;
    // a field the API left out of the record is hidden from this viewer
    return !record || f.key in record || LAYOUT_TYPES.has(f.type);
  }), [definition, record, access.hidden]);
  const initial = useMemo(() => (record ? { ...record } : defaults(fields)), [record, fields]);
  const [values, setValues] = useState<Record<string, unknown>>(initial);
  const [current, setCurrent] = useState<RecordData | undefined>(record);
  const [saving, setSaving] = useState(false);
  const [conflict, setConflict] = useState<ApiError | null>(null);
  const [unplaced, setUnplaced] = useState<{ error: unknown; details: ErrorDetail[] } | null>(null);

  const scope = useMemo(() => ({
    fields: fieldsOf(definition) as unknown as ExprFieldDef[],
    ctx: linkageCtx(me?.id),
    forms: Object.fromEntries(app.forms.map((f) => [f.key, { fields: fieldsOf(f) as unknown as ExprFieldDef[] }])),
  }), [definition, app.forms, me?.id]);
  const rules = definition.linkage as LinkageRule[] | undefined;
  const payloadOf = (all: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (const f of fieldsOf(definition)) if (f.key in all) out[f.key] = payloadValue(f, all[f.key]);
    return out;
  };
  const linked = linkageState(rules, payloadOf(values), scope);
  const live = liveFormulas(payloadOf(values), scope);

  // `parent`: the sub-table a field sits in (the server names such fields "lines.price")
  const editable = (f: FieldDef, parent?: string) =>
    (FIELD_WIDGETS[f.type] !== undefined || f.type === 'subtable') && !COMPUTED_TYPES.has(f.type) &&
    !SYSTEM_KEYS.has(f.key) && !f.readonly && !access.readonly.has(parent ? `${parent}.${f.key}` : f.key);

  const reload = async () => {
    if (!current) return;
    const fresh = await runtimeApi.getRecord(app.key, definition.key, current.id);
    setCurrent(fresh);
    form.resetFields();
    form.setFieldsValue(fresh);
    setValues(fresh);
    setConflict(null);
  };

  const submit = async () => {
    const all = form.getFieldsValue(true) as Record<string, unknown>;
    const body: Record<string, unknown> = {};
    for (const f of fields) {
      if (!editable(f) || linked.hidden.has(f.key)) continue;
      const value = all[f.key];
      if (!current && (value === undefined || value === null)) continue;
      body[f.key] = payloadValue(f, value ?? null);
      if (f.type === 'subtable' && Array.isArray(body[f.key])) {  // rows carry only what this person may change
        const closed = (f.fields ?? []).filter((c) => !editable(c, f.key)).map((c) => c.key);
        body[f.key] = (body[f.key] as Record<string, unknown>[]).map((row) =>
          Object.fromEntries(Object.entries(row).filter(([key]) => !closed.includes(key))));
      }
    }
    setSaving(true);
    setUnplaced(null);
    setConflict(null);
    try {
      const saved = current
        ? await runtimeApi.updateRecord(app.key, definition.key, current.id, current.version, body)
        : await runtimeApi.createRecord(app.key, definition.key, body);
      message.success(t('rt.form.saved'));
      onSaved(saved);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && current) {
        setConflict(err);
      } else if (err instanceof ApiError && err.details.length) {
        const shown = new Set(fields.map((f) => f.key));
        const placed = err.details.filter((d) => shown.has(String(errorPath(d.path)[0])));
        form.setFields(placed.map((d) => ({ name: errorPath(d.path), errors: [d.message] })));
        const rest = err.details.filter((d) => !placed.includes(d));
        setUnplaced(rest.length || !placed.length ? { error: err, details: rest } : null);
      } else {
        setUnplaced({ error: err, details: [] });
      }
    } finally {
      setSaving(false);
    }
  };

  const item = (f: FieldDef, name: (string | number)[], state: LinkageState, rowValue?: Record<string, unknown>,
    parent?: string) => {
    const label = fieldLabel(f);
    if (LAYOUT_TYPES.has(f.type)) {
      return f.type === 'divider'
        ? <Divider titlePlacement="start">{label}</Divider>
        : <Typography.Paragraph type="secondary">{String(f.text ?? f.label ?? '')}</Typography.Paragraph>;
    }
    const source = rowValue ?? { ...values, ...live };
    if (!editable(f, parent)) {
      return (
        <Form.Item label={label} tooltip={f.description} data-field={name.join('.')}>
          <div className="rt-readonly" data-testid={`readonly-${parent ? `${parent}.` : ''}${f.key}`}>
            {renderValue(f, source[f.key], lang)}
          </div>
        </Form.Item>
      );
    }
    const Widget = FIELD_WIDGETS[f.type];
    const required = state.required.has(f.key);
    return (
      <Form.Item
        name={name}
        label={label}
        tooltip={f.description}
        required={required}
        rules={required ? [{
          validator: (_, v) => (v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length)
            ? Promise.reject(new Error(t('rt.form.required', { field: label }))) : Promise.resolve()),
        }] : []}
        data-field={name.join('.')}
      >
        <Widget field={f} allowed={state.options.get(f.key)} />
      </Form.Item>
    );
  };

  const subtable = (f: FieldDef) => {
    const children = (f.fields ?? []).filter((c) => !c.hidden && !access.hidden.has(`${f.key}.${c.key}`));
    const rows = (values[f.key] as Record<string, unknown>[] | undefined) ?? [];
    const canEdit = editable(f);
    return (
      <Form.Item label={fieldLabel(f)} required={linked.required.has(f.key)} data-field={f.key}>
        <Form.List name={f.key}>
          {(items, { add, remove }) => (
            <div className="rt-rows" data-testid={`subtable-${f.key}`}>
              {items.map((row, i) => {
                const rowValue = rows[i] ?? {};
                const rowState = rowLinkageState(f as unknown as ExprFieldDef, payloadOf(rowValue), scope);
                return (
                  <Card key={row.key} size="small" className="rt-row" title={`#${i + 1}`}
                    extra={canEdit ? <Button type="text" danger icon={<DeleteOutlined />}
                      aria-label={t('rt.form.removeRow')}
                      onClick={() => remove(row.name)} /> : null}>
                    <Row gutter={12}>
                      {children.filter((c) => !rowState.hidden.has(c.key)).map((c) => (
                        <Col key={c.key} xs={24} sm={12} lg={8}>
                          {item(c, [row.name, c.key], rowState, rowValue, f.key)}
                        </Col>
                      ))}
                    </Row>
                  </Card>
                );
              })}
              {canEdit ? (
                <Button type="dashed" block icon={<PlusOutlined />} onClick={() => add({})}
                  data-testid={`add-row-${f.key}`}>
                  {t('rt.form.addRow')}
                </Button>
              ) : null}
            </div>
          )}
        </Form.List>
      </Form.Item>
    );
  };

  return (
    <Form
      form={form}
      layout="vertical"
      initialValues={initial}
      // every value, the unregistered ones too (sub-table row ids and computed cells)
      onValuesChange={() => setValues(form.getFieldsValue(true))}
      onFinish={submit}
      data-testid="record-form"
      disabled={saving}
    >
      {conflict ? (
        <Alert type="warning" showIcon className="rt-form-alert" data-testid="conflict"
          title={t('rt.form.conflict')} description={errorMessage(conflict, t)}
          action={<Button size="small" icon={<ReloadOutlined />} onClick={reload}>{t('rt.form.reload')}</Button>} />
      ) : null}
      {unplaced ? (
        <Alert type="error" showIcon className="rt-form-alert" data-testid="form-error"
          title={errorMessage(unplaced.error, t)}
          description={unplaced.details.length ? (
            <ul className="error-details">
              {unplaced.details.map((d, i) => <li key={i}>{d.path ? <code>{d.path}</code> : null} {d.message}</li>)}
            </ul>
          ) : undefined} />
      ) : null}
      <Row gutter={16}>
        {fields.filter((f) => !linked.hidden.has(f.key)).map((f) => {
          // `width`: quarters of a row the designer gave the field; else wide types a row, others half
          const full = !wide || f.type === 'subtable' || f.type === 'long_text' || LAYOUT_TYPES.has(f.type) ||
            f.type === 'rich_text' || f.type === 'address';
          const quarters = typeof f.width === 'number' && f.width >= 1 && f.width <= 4 ? f.width : null;
          const span = !wide ? 24 : quarters ? quarters * 6 : full ? 24 : 12;
          return (
            <Col key={f.key} span={span}>
              {f.type === 'subtable' ? subtable(f) : item(f, [f.key], linked)}
            </Col>
          );
        })}
      </Row>
      <Space className="rt-form-actions">
        <Button type="primary" htmlType="submit" loading={saving} data-testid="record-save">{t('rt.form.save')}</Button>
        {onCancel ? <Button onClick={onCancel}>{t('rt.form.cancel')}</Button> : null}
      </Space>
    </Form>
  );
}
