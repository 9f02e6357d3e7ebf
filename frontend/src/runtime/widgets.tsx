/**
 * Input widgets of the record form, one per field type (the keys are the field type keys of docs/forms.md).
 * Each takes and gives the value in the records API's shape — relations as {id, title}, regions as
 * {code, names}, files as [{token, name, …}] — and `toPayload` turns a form's values into what a write sends.
 */
import { useEffect, useMemo, useState, type ComponentType } from 'react';
import {
  Button, Cascader, Checkbox, DatePicker, Input, InputNumber, Radio, Rate, Select, Space, Switch, TimePicker, Upload,
} from 'antd';
import { UploadOutlined } from '@ant-design/icons';
import dayjs, { type Dayjs } from 'dayjs';
import { runtimeApi, type RecordData, type Region, type UploadedFile } from '../api';
import { useAuth } from '../auth/context';
import { useI18n } from '../i18n';
import { optionList, recordTitle, type FieldDef } from './fields';
import { useRuntime } from './context';

export interface WidgetProps {
  field: FieldDef;
  value?: unknown;
  onChange?: (value: unknown) => void;
  disabled?: boolean;
  /** The options linkage allows now (choice fields). */
  allowed?: string[];
  id?: string;
}

type Widget = ComponentType<WidgetProps>;

function TextWidget({ value, onChange, disabled, field, id }: WidgetProps) {
  return (
    <Input id={id} value={(value as string) ?? ''} disabled={disabled}
      maxLength={field.max_length as number | undefined}
      onChange={(e) => onChange?.(e.target.value === '' ? null : e.target.value)} />
  );
}

function LongTextWidget({ value, onChange, disabled, id }: WidgetProps) {
  return (
    <Input.TextArea id={id} value={(value as string) ?? ''} disabled={disabled} autoSize={{ minRows: 2, maxRows: 8 }}
      onChange={(e) => onChange?.(e.target.value === '' ? null : e.target.value)} />
  );
}

function numberWidget(kind: 'number' | 'money' | 'percent'): Widget {
  return function NumberWidget({ value, onChange, disabled, field, id }: WidgetProps) {
    return (
      <InputNumber<number> id={id} style={{ width: '100%' }} value={(value as number) ?? null} disabled={disabled}
        min={field.min as number | undefined} max={field.max as number | undefined}
        precision={kind === 'money' ? 2 : (field.decimals as number | undefined)}
        prefix={kind === 'money' ? '¥' : undefined} suffix={kind === 'percent' ? '%' : undefined}
        onChange={(v) => onChange?.(v ?? null)} />
    );
  };
}

function SelectWidget({ value, onChange, disabled, field, allowed, id }: WidgetProps) {
  const options = optionList(field).filter((o) => !allowed || allowed.includes(o.value));
  return (
    <Select id={id} allowClear showSearch={{ optionFilterProp: 'label' }} value={value ?? undefined}
      disabled={disabled} options={options} onChange={(v) => onChange?.(v ?? null)} />
  );
}

function MultiSelectWidget({ value, onChange, disabled, field, allowed, id }: WidgetProps) {
  const options = optionList(field).filter((o) => !allowed || allowed.includes(o.value));
  return (
    <Select id={id} mode="multiple" allowClear value={(value as string[]) ?? []} disabled={disabled}
      options={options} onChange={(v) => onChange?.(v.length ? v : null)} />
  );
}

function RadioWidget({ value, onChange, disabled, field, allowed, id }: WidgetProps) {
  const options = optionList(field).filter((o) => !allowed || allowed.includes(o.value));
  return (
    <Radio.Group id={id} value={value ?? undefined} disabled={disabled} options={options} optionType="button"
      onChange={(e) => onChange?.(e.target.value)} />
  );
}

function CheckboxWidget({ value, onChange, disabled, id }: WidgetProps) {
  return <Checkbox id={id} checked={!!value} disabled={disabled} onChange={(e) => onChange?.(e.target.checked)} />;
}

function SwitchWidget({ value, onChange, disabled, field, id }: WidgetProps) {
  return (
    <Switch id={id} checked={!!value} disabled={disabled} onChange={(v) => onChange?.(v)}
      checkedChildren={field.on_label as string | undefined}
      unCheckedChildren={field.off_label as string | undefined} />
  );
}

/** Dates and moments are edited as wall times in the deployment's zone, as the API shows them. */
function dateWidget(kind: 'date' | 'datetime' | 'time'): Widget {
  const show = { date: 'YYYY-MM-DD', datetime: 'YYYY-MM-DD HH:mm', time: 'HH:mm:ss' }[kind];
  const send = { date: 'YYYY-MM-DD', datetime: 'YYYY-MM-DDTHH:mm:ss', time: 'HH:mm:ss' }[kind];
  return function DateWidget({ value, onChange, disabled, id }: WidgetProps) {
    let parsed: Dayjs | null = null;
    if (typeof value === 'string' && value) {
      // keep the wall time: drop the zone offset the API added
      const wall = kind === 'time' ? `1970-01-01T${value}` : value.replace(/([+-]\d{2}:\d{2}|Z)$/, '');
      parsed = dayjs(wall);
    }
    const change = (d: Dayjs | null) => onChange?.(d ? d.format(send) : null);
    if (kind === 'time') {
      return <TimePicker id={id} value={parsed} disabled={disabled} onChange={change} style={{ width: '100%' }} />;
    }
    return (
      <DatePicker id={id} value={parsed} disabled={disabled} format={show} showTime={kind === 'datetime'}
        onChange={change} style={{ width: '100%' }} />
    );
  };
}

interface Ref {
  id: number;
  title?: string | null;
  name?: string | null;
}

function refsOf(value: unknown): Ref[] {
  if (value === null || value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((v) => (typeof v === 'object' ? (v as Ref) : { id: Number(v) }));
}

/** A searchable picker over another form's records (the records API's quick search). */
function RelationWidget({ value, onChange, disabled, field, id }: WidgetProps) {
  const { app } = useRuntime();
  const { lang } = useI18n();
  const target = app.forms.find((f) => f.key === field.target);
  const [q, setQ] = useState('');
  const [found, setFound] = useState<RecordData[]>([]);
  const [loading, setLoading] = useState(false);
  useEffect(() => {
    if (!field.target) return undefined;
    const controller = new AbortController();
    setLoading(true);
    const timer = setTimeout(() => {
      runtimeApi.listRecords(app.key, field.target!, { q: q || undefined, page_size: 20 }, controller.signal)
        .then((page) => setFound(page.items))
        .catch(() => setFound([]))
        .finally(() => !controller.signal.aborted && setLoading(false));
    }, 250);
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [app.key, field.target, q]);
  const current = refsOf(value);
  const options = useMemo(() => {
    const seen = new Map<number, string>();
    for (const ref of current) seen.set(ref.id, ref.title ?? ref.name ?? `#${ref.id}`);
    for (const record of found) seen.set(record.id, recordTitle(target, record, lang));
    return Array.from(seen, ([v, label]) => ({ value: v, label }));
  }, [current, found, target, lang]);
  const titleOf = (v: number) => options.find((o) => o.value === v)?.label ?? `#${v}`;
  return (
    <Select<number | number[]>
      id={id}
      mode={field.many ? 'multiple' : undefined}
      allowClear
      showSearch={{ filterOption: false, onSearch: setQ }}
      loading={loading}
      disabled={disabled}
      value={field.many ? current.map((r) => r.id) : current[0]?.id}
      options={options}
      onChange={(v) => {
        if (Array.isArray(v)) onChange?.(v.length ? v.map((x) => ({ id: x, title: titleOf(x) })) : null);
        else onChange?.(v === undefined || v === null ? null : { id: v, title: titleOf(v) });
      }}
    />
  );
}

/**
 * People: administrators search the user list; everyone else can pick themselves or keep who is there (the
 * API has no user directory for non-administrators).
 */
function MemberWidget({ value, onChange, disabled, field, id }: WidgetProps) {
  const { user } = useAuth();
  const [q, setQ] = useState('');
  const [found, setFound] = useState<Ref[]>([]);
  useEffect(() => {
    if (!user?.is_admin) return undefined;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      runtimeApi.users(q, controller.signal)
        .then((page) => setFound(page.items.map((u) => ({ id: u.id, name: u.name || u.username }))))
        .catch(() => setFound([]));
    }, 250);
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [user, q]);
  const current = refsOf(value);
  const seen = new Map<number, string>();
  for (const ref of current) seen.set(ref.id, ref.name ?? ref.title ?? `#${ref.id}`);
  if (user) seen.set(Number(user.id), user.name || user.username);
  for (const ref of found) seen.set(ref.id, ref.name ?? `#${ref.id}`);
  const options = Array.from(seen, ([v, label]) => ({ value: v, label }));
  const nameOf = (v: number) => seen.get(v) ?? `#${v}`;
  return (
    <Select<number | number[]>
      id={id}
      mode={field.many ? 'multiple' : undefined}
      allowClear
      showSearch={{ filterOption: !user?.is_admin, optionFilterProp: 'label', onSearch: setQ }}
      disabled={disabled}
      value={field.many ? current.map((r) => r.id) : current[0]?.id}
      options={options}
      onChange={(v) => {
        if (Array.isArray(v)) onChange?.(v.length ? v.map((x) => ({ id: x, name: nameOf(x) })) : null);
        else onChange?.(v === undefined || v === null ? null : { id: v, name: nameOf(v) });
      }}
    />
  );
}

// comma, full-width comma, ideographic comma
const TAG_SEPARATORS = [',', '\uff0c', '\u3001'];

function TagsWidget({ value, onChange, disabled, id }: WidgetProps) {
  return (
    <Select id={id} mode="tags" value={(value as string[]) ?? []} disabled={disabled} tokenSeparators={TAG_SEPARATORS}
      onChange={(v) => onChange?.(v.length ? v : null)} open={false} />
  );
}

function RatingWidget({ value, onChange, disabled, field, id }: WidgetProps) {
  return <Rate id={id} count={Number(field.max ?? 5)} value={(value as number) ?? 0} disabled={disabled}
    onChange={(v) => onChange?.(v || null)} />;
}

function FileWidget({ value, onChange, disabled, field }: WidgetProps) {
  const { app } = useRuntime();
  const { t } = useI18n();
  const files = (Array.isArray(value) ? value : []) as UploadedFile[];
  return (
    <Upload
      disabled={disabled}
      accept={field.type === 'image' ? 'image/*' : undefined}
      fileList={files.map((f) => ({ uid: f.token, name: f.name || f.token, status: 'done' as const }))}
      customRequest={({ file, onSuccess, onError }) => {
        runtimeApi.uploadFile(app.key, file as File)
          .then((uploaded) => {
            onChange?.([...files, uploaded]);
            onSuccess?.(uploaded);
          })
          .catch((err: Error) => onError?.(err));
      }}
      onRemove={(removed) => {
        const rest = files.filter((f) => f.token !== removed.uid);
        onChange?.(rest.length ? rest : null);
      }}
    >
      {disabled ? null : <Button icon={<UploadOutlined />}>{t('rt.form.upload')}</Button>}
    </Upload>
  );
}

interface RegionOption {
  value: string;
  label: string;
  isLeaf: boolean;
  children?: RegionOption[];
}

const toOption = (r: Region): RegionOption => ({ value: r.code, label: r.name, isLeaf: r.leaf });

/** The codes from the province down to `code` (adcodes: 2 digits province, 4 city, 6 district). */
function regionPath(code: string): string[] {
  const path = [`${code.slice(0, 2)}0000`, `${code.slice(0, 4)}00`, code];
  return path.filter((c, i) => path.indexOf(c) === i && c.length === 6 && !/^0+$/.test(c));
}

function RegionPicker({ value, onChange, disabled, id }: {
  value: { code: string; names?: string[] } | null; onChange: (v: { code: string; names: string[] } | null) => void;
  disabled?: boolean; id?: string;
}) {
  const [options, setOptions] = useState<RegionOption[]>([]);
  useEffect(() => {
    runtimeApi.regions().then((rs) => setOptions(rs.map(toOption))).catch(() => setOptions([]));
  }, []);
  return (
    <Cascader<RegionOption>
      id={id}
      disabled={disabled}
      options={options}
      changeOnSelect
      value={value?.code ? regionPath(value.code) : undefined}
      displayRender={(labels) => (value?.names?.length && labels.every((l, i) => l === regionPath(value.code)[i])
        ? value.names.join(' / ') : labels.join(' / '))}
      loadData={(selected) => {
        const last = selected[selected.length - 1];
        runtimeApi.regions(last.value).then((rs) => {
          last.children = rs.map(toOption);
          setOptions((o) => [...o]);
        }).catch(() => undefined);
      }}
      onChange={(codes, selected) => {
        if (!codes || !codes.length) onChange(null);
        else onChange({ code: String(codes[codes.length - 1]), names: (selected ?? []).map((o) => o.label) });
      }}
    />
  );
}

function RegionWidget({ value, onChange, disabled, id }: WidgetProps) {
  return <RegionPicker id={id} value={value as { code: string } | null} disabled={disabled}
    onChange={(v) => onChange?.(v)} />;
}

function AddressWidget({ value, onChange, disabled, id }: WidgetProps) {
  const { t } = useI18n();
  const address = (value ?? {}) as { region?: { code: string; names?: string[] } | null; detail?: string | null };
  return (
    <Space.Compact block>
      <RegionPicker id={id} value={address.region ?? null} disabled={disabled}
        onChange={(region) => onChange?.({ ...address, region })} />
      <Input value={address.detail ?? ''} disabled={disabled} placeholder={t('rt.form.addressDetail')}
        onChange={(e) => onChange?.({ ...address, detail: e.target.value })} />
    </Space.Compact>
  );
}

/** Field type → widget. Types without an entry (computed, layout) are shown read-only. */
export const FIELD_WIDGETS: Record<string, Widget> = {
  text: TextWidget, phone: TextWidget, email: TextWidget, url: TextWidget, wechat: TextWidget,
  id_number: TextWidget, barcode: TextWidget, color: TextWidget,
  long_text: LongTextWidget, rich_text: LongTextWidget,
  number: numberWidget('number'), money: numberWidget('money'), percent: numberWidget('percent'),
  slider: numberWidget('number'), duration: numberWidget('number'),
  select: SelectWidget, radio: RadioWidget, multi_select: MultiSelectWidget,
  checkbox: CheckboxWidget, switch: SwitchWidget,
  date: dateWidget('date'), datetime: dateWidget('datetime'), time: dateWidget('time'),
  relation: RelationWidget, member: MemberWidget, tags: TagsWidget, rating: RatingWidget,
  attachment: FileWidget, image: FileWidget, region: RegionWidget, address: AddressWidget,
};

/** One value as a write sends it: references by id, regions by code, files by token. */
export function payloadValue(field: FieldDef, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (field.type) {
    case 'relation': case 'member': case 'department': {
      const ids = refsOf(value).map((r) => r.id);
      return field.many ? ids : (ids[0] ?? null);
    }
    case 'region':
      return (value as { code?: string }).code ?? null;
    case 'address': {
      const address = value as { region?: { code?: string } | null; detail?: string | null };
      if (!address.region && !address.detail) return null;
      return { region: address.region?.code ?? null, detail: address.detail ?? null };
    }
    case 'attachment': case 'image': case 'signature':
      return (value as UploadedFile[]).map((f) => ({ token: f.token, name: f.name }));
    case 'subtable':
      return (value as Record<string, unknown>[]).map((row) => {
        const out: Record<string, unknown> = row.id === undefined ? {} : { id: row.id };
        for (const child of field.fields ?? []) {
          if (child.key in row && FIELD_WIDGETS[child.type]) out[child.key] = payloadValue(child, row[child.key]);
        }
        return out;
      });
    default:
      return value;
  }
}
