/**
 * The form being designed as people will fill it in: the runtime's own RecordForm, given the working copy as
 * the app, so widgets, linkage rules and required marks behave as they will after publishing. Nothing is
 * saved from here: the submit is caught before RecordForm sends it. Computed fields (formulas, lookups …) are
 * worked out by the server on save, so a new record's form does not show them; they are listed underneath.
 */
import { Component, useMemo, type ReactNode } from 'react';
import { Alert, App as AntApp, Descriptions } from 'antd';
import type { AppDefinition } from '../../api';
import { RuntimeContext } from '../../runtime/context';
import { COMPUTED_TYPES } from '../../runtime/fields';
import { RecordForm } from '../../runtime/RecordForm';
import { useText } from '../text';
import type { AppDraft, FormDef } from '../types';
import { summaryOf } from './Canvas';
import { TEXT } from './text';

class PreviewBoundary extends Component<{ fallback: (error: Error) => ReactNode; children: ReactNode }, { error: Error | null }> {
  state = { error: null as Error | null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  render() {
    return this.state.error ? this.props.fallback(this.state.error) : this.props.children;
  }
}

export function FormPreview({ app, form }: { app: AppDraft; form: FormDef }) {
  const t = useText(TEXT);
  const { message } = AntApp.useApp();
  // the signed-in person is left out (me: null): the designer sees every field, as an admin would
  const runtime = useMemo(() => ({
    app: { ...app, version: 'draft', forms: app.forms.map((f) => (f.key === form.key ? form : f)) } as unknown as AppDefinition,
    me: null,
  }), [app, form]);
  const definition = runtime.app.forms.find((f) => f.key === form.key) ?? (form as unknown as AppDefinition['forms'][number]);
  const computed = form.fields.filter((f) => COMPUTED_TYPES.has(f.type));
  // a changed definition starts the preview afresh (RecordForm reads its fields once)
  const version = useMemo(() => JSON.stringify(form), [form]);
  return (
    <div className="fd-preview" data-testid="fd-preview"
      onSubmitCapture={(e) => {
        e.preventDefault();
        e.stopPropagation();
        message.info(t('preview.notSaved'));
      }}>
      <Alert type="info" showIcon title={t('preview.hint')} style={{ marginBottom: 16 }} />
      <PreviewBoundary key={version} fallback={(error) => <Alert type="warning" showIcon title={t('preview.broken')} description={error.message} />}>
        <RuntimeContext.Provider value={runtime}>
          <RecordForm key={version} form={definition} onSaved={() => undefined} />
        </RuntimeContext.Provider>
      </PreviewBoundary>
      {computed.length ? (
        <Descriptions size="small" column={1} bordered title={t('preview.computed')} style={{ marginTop: 16 }}
          items={computed.map((f) => ({
            key: f.key, label: f.label || f.key,
            children: <code>{summaryOf(f, t) ?? f.type}</code>,
          }))} />
      ) : null}
    </div>
  );
}
