/**
 * The item as JSON, for what a designer does not draw (and for people who prefer text). Edits apply when the
 * text parses as an object with the same key; otherwise the parse error is shown and nothing changes.
 */
import { Alert, Input } from 'antd';
import { useEffect, useState } from 'react';
import { useText } from './text';
import { WORKSPACE_TEXT } from './workspaceText';
import type { DesignerProps, Item } from './types';

export function JsonDesigner<T extends Item>({ value, onChange }: DesignerProps<T>) {
  const t = useText(WORKSPACE_TEXT);
  const [text, setText] = useState(() => JSON.stringify(value, null, 2));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setText((current) => {
      try {
        if (JSON.stringify(JSON.parse(current)) === JSON.stringify(value)) return current;
      } catch {
        // the person is mid-edit: keep the text until it parses
        return current;
      }
      return JSON.stringify(value, null, 2);
    });
  }, [value]);
  const edit = (next: string) => {
    setText(next);
    try {
      const parsed = JSON.parse(next) as T;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('{ … }');
      if (parsed.key !== value.key) {
        setError(t('json.keyChange'));
        return;
      }
      setError(null);
      onChange(parsed);
    } catch (e) {
      setError(t('json.invalid', { message: (e as Error).message }));
    }
  };
  return (
    <div data-testid="json-designer">
      {error ? <Alert type="warning" showIcon title={error} style={{ marginBottom: 8 }} /> : null}
      <Input.TextArea
        value={text}
        onChange={(e) => edit(e.target.value)}
        autoSize={{ minRows: 12, maxRows: 40 }}
        spellCheck={false}
        style={{ fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace', fontSize: 12 }}
      />
    </div>
  );
}
