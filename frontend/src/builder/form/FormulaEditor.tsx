/**
 * An expression input for any designer: completes field keys (with their labels, through relations and into
 * sub-tables after a dot) and function names as one types, and checks the text against the working copy on the
 * server (POST /api/expr/check with `definition`), a moment after typing stops. A mistake is shown with its
 * message and the character it starts at; a good expression shows the type it gives.
 */
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { Input, Tag, Typography } from 'antd';
import type { TextAreaRef } from 'antd/es/input/TextArea';
import { ApiError } from '../../api';
import { builderApi, type FunctionInfo } from '../api';
import { useText } from '../text';
import type { AppDraft, FieldDef } from '../types';
import { TEXT, type Translate } from './text';
import './form.css';

const CHECK_DELAY_MS = 400;
const MAX_SUGGESTIONS = 12;

let functionsOnce: Promise<FunctionInfo[]> | null = null;
/** The function list once per page (it only changes with the server). */
function loadFunctions(): Promise<FunctionInfo[]> {
  functionsOnce ??= builderApi.functions().catch((err: unknown) => {
    functionsOnce = null;
    throw err;
  });
  return functionsOnce;
}

export interface FormulaEditorProps {
  appKey: string;
  /** The working copy; sent with each check so fields not yet published count. */
  app: AppDraft;
  /** The form the expression runs on: a form key, or "order.lines" for a sub-table row. */
  form: string;
  value: string;
  onChange: (next: string) => void;
  /** The type the expression must give (a condition: "bool"). */
  expect?: 'bool' | 'number' | 'text' | 'date' | 'datetime';
  placeholder?: string;
  testId?: string;
}

export interface Suggestion {
  /** What replaces the word being typed. */
  insert: string;
  /** Shown beside it: the field's label or the function's signature. */
  hint: string;
  kind: 'field' | 'function';
}

type Check =
  | { state: 'idle' | 'checking' }
  | { state: 'ok'; type: string }
  | { state: 'error'; message: string; position: number | null }
  | { state: 'unavailable'; message: string };

/** The fields an expression on `scope` sees by name: a form's, or a sub-table's row ("order.lines"). */
export function fieldsInScope(app: AppDraft, scope: string): FieldDef[] {
  const [formKey, subKey] = scope.split('.');
  const form = app.forms.find((f) => f.key === formKey);
  if (!subKey) return form?.fields ?? [];
  return form?.fields.find((f) => f.key === subKey)?.fields ?? [];
}

/** The fields reachable after `path.` — a relation's target form, or a sub-table's columns. */
function fieldsAfter(app: AppDraft, scope: string, path: string[]): FieldDef[] {
  let fields = fieldsInScope(app, scope);
  for (const step of path) {
    const f = fields.find((x) => x.key === step);
    if (!f) return [];
    if (f.type === 'subtable') fields = f.fields ?? [];
    else if (f.type === 'relation' && typeof f.target === 'string') fields = app.forms.find((x) => x.key === f.target)?.fields ?? [];
    else return [];
  }
  return fields;
}

/** The word ending at the caret: letters (a label in Chinese too), digits, underscores and dots. */
export function wordAt(text: string, caret: number): { start: number; word: string } {
  const match = /[\p{L}_][\p{L}\p{N}_.]*$/u.exec(text.slice(0, caret));
  return match ? { start: caret - match[0].length, word: match[0] } : { start: caret, word: '' };
}

export function suggestionsFor(app: AppDraft, scope: string, functions: FunctionInfo[], word: string): Suggestion[] {
  if (!word) return [];
  const parts = word.split('.');
  const partial = parts.pop()!.toLowerCase();
  const base = parts.length ? `${parts.join('.')}.` : '';
  const fields = fieldsAfter(app, scope, parts)
    .filter((f) => f.type !== 'divider' && f.type !== 'note')
    .filter((f) => f.key.toLowerCase().startsWith(partial) || (f.label ?? '').toLowerCase().includes(partial))
    .map((f): Suggestion => ({ insert: base + f.key, hint: f.label ?? '', kind: 'field' }));
  const calls = parts.length ? [] : functions
    .filter((fn) => fn.name.toLowerCase().startsWith(partial))
    .map((fn): Suggestion => ({ insert: `${fn.name}(`, hint: String(fn.signature ?? ''), kind: 'function' }));
  return [...fields, ...calls].filter((s) => s.insert !== word).slice(0, MAX_SUGGESTIONS);
}

/** The server's answer about a failed check, read as an error in the text or a reason it could not be checked. */
function readFailure(err: unknown): Check {
  if (err instanceof ApiError && err.status === 422) {
    const detail = err.details[0] as ({ path: string; message: string; position?: number } | undefined);
    if (detail && detail.path === '/expr') {
      return { state: 'error', message: detail.message, position: typeof detail.position === 'number' ? detail.position : null };
    }
    if (detail) return { state: 'unavailable', message: `${detail.path}: ${detail.message}` };
  }
  return { state: 'unavailable', message: err instanceof Error ? err.message : String(err) };
}

const TYPE_TEXT_KEYS = {
  number: 'type.number', text: 'type.text', bool: 'type.bool', date: 'type.date', datetime: 'type.datetime',
  list: 'type.list', ref: 'type.ref', null: 'type.null', any: 'type.any', time: 'type.time',
} as const;

export function FormulaEditor({ appKey, app, form, value, onChange, expect, placeholder, testId = 'formula-editor' }: FormulaEditorProps) {
  const t = useText(TEXT);
  const ref = useRef<TextAreaRef>(null);
  const [caret, setCaret] = useState(value.length);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const [functions, setFunctions] = useState<FunctionInfo[]>([]);
  const [check, setCheck] = useState<Check>({ state: 'idle' });

  useEffect(() => {
    let live = true;
    loadFunctions().then((list) => live && setFunctions(list)).catch(() => undefined);
    return () => { live = false; };
  }, []);

  // the check waits for a pause in typing; a newer text aborts the older request
  useEffect(() => {
    if (!value.trim()) {
      setCheck({ state: 'idle' });
      return undefined;
    }
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      setCheck({ state: 'checking' });
      builderApi.checkExpr({ app: appKey, form, expr: value, expect, definition: app }, controller.signal)
        .then((answer) => !controller.signal.aborted && setCheck({ state: 'ok', type: answer.type }))
        .catch((err: unknown) => !controller.signal.aborted && setCheck(readFailure(err)));
    }, CHECK_DELAY_MS);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [value, form, expect, appKey, app]);

  const { start, word } = wordAt(value, caret);
  const suggestions = useMemo(() => suggestionsFor(app, form, functions, word), [app, form, functions, word]);
  const showList = open && suggestions.length > 0;

  const accept = (s: Suggestion) => {
    const next = value.slice(0, start) + s.insert + value.slice(caret);
    const at = start + s.insert.length;
    onChange(next);
    setCaret(at);
    setOpen(false);
    // put the caret after the inserted name once React has written the new text
    window.setTimeout(() => ref.current?.resizableTextArea?.textArea.setSelectionRange(at, at), 0);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (!showList) return;
    const moves: Record<string, () => void> = {
      ArrowDown: () => setActive((i) => (i + 1) % suggestions.length),
      ArrowUp: () => setActive((i) => (i - 1 + suggestions.length) % suggestions.length),
      Enter: () => accept(suggestions[Math.min(active, suggestions.length - 1)]),
      Tab: () => accept(suggestions[Math.min(active, suggestions.length - 1)]),
      Escape: () => setOpen(false),
    };
    const move = moves[e.key];
    if (move) {
      e.preventDefault();
      move();
    }
  };

  const typeText = (type: string) => {
    const rows = /^rows of (\w+)$/.exec(type);
    const name = (k: string) => (k in TYPE_TEXT_KEYS ? t(TYPE_TEXT_KEYS[k as keyof typeof TYPE_TEXT_KEYS]) : k);
    return rows ? t('type.rows', { item: name(rows[1]) }) : name(type);
  };

  return (
    <div className="fd-formula" data-testid={testId}>
      <Input.TextArea
        ref={ref}
        value={value}
        placeholder={placeholder ?? t('formula.placeholder')}
        autoSize={{ minRows: 1, maxRows: 6 }}
        spellCheck={false}
        status={check.state === 'error' ? 'error' : undefined}
        className="fd-formula-input"
        data-testid={`${testId}-input`}
        onChange={(e) => {
          onChange(e.target.value);
          setCaret(e.target.selectionStart ?? e.target.value.length);
          setOpen(true);
          setActive(0);
        }}
        onSelect={(e) => setCaret((e.target as HTMLTextAreaElement).selectionStart ?? 0)}
        onKeyDown={onKeyDown}
        onBlur={() => setOpen(false)}
      />
      {showList ? (
        <ul className="fd-formula-suggestions" role="listbox" data-testid={`${testId}-suggestions`}>
          {suggestions.map((s, i) => (
            <li
              key={`${s.kind}:${s.insert}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : undefined}
              data-testid={`formula-suggestion-${s.insert}`}
              // mousedown, not click: the input keeps its focus
              onMouseDown={(e) => {
                e.preventDefault();
                accept(s);
              }}
            >
              <code>{s.insert}</code>
              <span className="fd-formula-hint">{s.kind === 'function' ? t('formula.function') : t('formula.field')} {s.hint}</span>
            </li>
          ))}
        </ul>
      ) : null}
      <CheckResult check={check} text={value} typeText={typeText} t={t} />
    </div>
  );
}

function CheckResult({ check, text, typeText, t }: {
  check: Check; text: string; typeText: (type: string) => string; t: Translate;
}) {
  if (check.state === 'ok') {
    return (
      <div className="fd-formula-status" data-testid="formula-ok">
        <Tag color="green">{t('formula.ok')}</Tag>
        <Typography.Text type="secondary">{t('formula.gives', { type: typeText(check.type) })}</Typography.Text>
      </div>
    );
  }
  if (check.state === 'checking') {
    return <div className="fd-formula-status"><Typography.Text type="secondary">{t('formula.checking')}</Typography.Text></div>;
  }
  if (check.state === 'unavailable') {
    return (
      <div className="fd-formula-status" data-testid="formula-unavailable">
        <Typography.Text type="warning">{t('formula.unavailable', { reason: check.message })}</Typography.Text>
      </div>
    );
  }
  if (check.state !== 'error') return null;
  const at = check.position;
  return (
    <div className="fd-formula-status">
      <Typography.Text type="danger" data-testid="formula-error">
        {check.message}
      </Typography.Text>
      {at !== null ? (
        <pre className="fd-formula-where" data-testid="formula-error-position" data-position={at}>
          {text.slice(0, at)}
          <mark>{text.slice(at, at + 1) || ' '}</mark>
          {text.slice(at + 1)}
        </pre>
      ) : null}
    </div>
  );
}
