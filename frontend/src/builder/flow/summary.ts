/** The one-line summary a node card shows under its name ("角色 经理 · 或签"), per node type. */
import { getStoredLang, translate, type Lang } from '../../i18n';
import type { AppDraft, FormDef } from '../types';
import { parseSimpleDuration } from './duration';
import { specList, type FlowDef, type FlowNode } from './model';
import { nodeTypeInfo } from './nodeTypes';
import type { FlowT } from './text';
import { nodeLabel } from './nodeText';

export interface SummaryContext {
  app: AppDraft;
  flow: FlowDef;
  triggerForm?: FormDef;
  lang: Lang;
  t: FlowT;
}

export function durationText(iso: unknown, t: FlowT): string {
  if (typeof iso !== 'string') return '';
  const simple = parseSimpleDuration(iso);
  return simple ? `${simple.amount} ${t(`unit.${simple.unit}`)}` : iso;
}

const people = (value: unknown, ctx: SummaryContext) =>
  describeAssignees(value, ctx.t,
    (key) => ctx.app.roles?.find((role) => role.key === key)?.name ?? key,
    (key) => ctx.triggerForm?.fields.find((f) => f.key === key)?.label ?? key);

const formName = (key: unknown, ctx: SummaryContext) =>
  (typeof key === 'string' && ctx.app.forms.find((form) => form.key === key)?.name) || String(key ?? '');

const SUMMARIES: Record<string, (node: FlowNode, ctx: SummaryContext) => string> = {
  approval: (node, ctx) => `${people(node.assignees, ctx)} · ${ctx.t(`mode.${(node.mode as 'or_sign') ?? 'or_sign'}`)}`,
  fill_in: (node, ctx) => `${people(node.assignees, ctx)} · ${ctx.t('node.fields', { count: Array.isArray(node.fields) ? node.fields.length : 0 })}`,
  cc: (node, ctx) => people(node.to, ctx),
  notify: (node, ctx) => people(node.to, ctx),
  assign: (node, ctx) => `${people(node.to, ctx)} · ${ctx.t(`strategy.${(node.strategy as 'first') ?? 'first'}`)}`,
  condition: (node, ctx) => ctx.t('node.branches', { count: ctx.flow.edges.filter((e) => e.from === node.id).length }),
  inclusive: (node, ctx) => ctx.t('node.branches', { count: ctx.flow.edges.filter((e) => e.from === node.id).length }),
  delay: (node, ctx) => durationText(node.duration, ctx.t),
  wait_until: (node) => String(node.until ?? node.condition ?? ''),
  create_record: (node, ctx) => formName(node.form, ctx),
  update_record: (node, ctx) => ctx.t('node.fields', { count: Object.keys((node.set as object) ?? {}).length }),
  query_records: (node, ctx) => formName(node.form, ctx),
  aggregate: (node, ctx) => `${String(node.agg ?? '')} · ${formName(node.form, ctx)}`,
  set_variable: (node) => Object.keys((node.set as object) ?? {}).join(', '),
  http_request: (node) => `${String(node.method ?? 'POST')} ${String(node.url ?? node.connector ?? '')}`,
  subflow: (node, ctx) => (ctx.app.flows ?? []).find((f) => f.key === node.flow)?.name ?? String(node.flow ?? ''),
  terminate: (node, ctx) => ctx.t(`status.${(node.status as 'completed') ?? 'completed'}`),
  print_document: (node) => String(node.template ?? ''),
  loop: (node) => String(node.over ?? ''),
};

export function nodeSummary(node: FlowNode, ctx: SummaryContext): string {
  const summarise = SUMMARIES[nodeTypeInfo(node.type)?.key ?? ''];
  return summarise ? summarise(node, ctx) : '';
}

export function nodeTypeLabel(type: string, lang: Lang): string {
  return nodeLabel(type, lang);
}

/** How a spec reads on a node card: 角色 经理, 上级主管 第 1 级, 发起人 … */
export function describeAssignees(value: unknown, t: FlowT,
  roleName: (key: string) => string, fieldName: (key: string) => string): string {
  const specs = specList(value);
  if (!specs.length) return t('assignee.none');
  return specs.map((spec) => {
    if (spec.role !== undefined) return roleName(spec.role);
    if (spec.manager) return `${t('assignee.manager')} ${t('assignee.levels', { levels: spec.manager.levels ?? 1 })}`;
    if (spec.department_head) return `${t('assignee.department_head')} ${t('assignee.levels', { levels: spec.department_head.levels ?? 1 })}`;
    if (spec.field !== undefined) return fieldName(spec.field);
    if (spec.initiator) return t('assignee.initiator');
    if (spec.user !== undefined) return t('assignee.userN', { id: spec.user });
    if (spec.users) return t('assignee.usersN', { count: spec.users.length });
    return '?';
  }).join(translate(getStoredLang(), 'common.listSeparator'));
}
