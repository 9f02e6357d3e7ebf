import { fireEvent, render, screen, within } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { mockFetch } from '../../test/utils';
import type { AppDraft, Problem } from '../types';
import { flowDesigner } from './index';
import type { FlowDef } from './model';
import { FlowContext } from './context';
import { EdgePanel } from './panels';
import { edgeText } from './canvas';

const APP: AppDraft = {
  key: 'expense', name: '报销',
  forms: [{ key: 'claim', name: '报销单', fields: [
    { key: 'amount', type: 'number', label: '金额' },
    { key: 'status', type: 'text', label: '状态' },
    { key: 'approver', type: 'member', label: '审批人' },
  ] }],
  roles: [{ key: 'manager', name: '经理' }, { key: 'finance', name: '财务' }],
};

const FLOW: FlowDef = {
  key: 'claim_flow', name: '报销审批',
  trigger: { type: 'record_created', form: 'claim' },
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'mgr', type: 'approval', name: '主管审批', assignees: { role: 'manager' }, mode: 'or_sign' },
    { id: 'mark', type: 'update_record', set: { status: "'ok'" } },
    { id: 'end', type: 'end' },
  ],
  edges: [{ from: 'start', to: 'mgr' }, { from: 'mgr', to: 'mark' }, { from: 'mark', to: 'end' }],
};

/** Known keys of the node types the tests touch (engines/flow/nodes). */
const APPROVAL_KEYS = new Set(['id', 'type', 'name', 'description', 'position', 'assignees', 'mode', 'fallback', 'when_empty',
  'timeout', 'cc', 'allow_return', 'allow_transfer', 'allow_add_signer', 'hidden', 'auto_pass', 'editable']);

function Harness({ initial, problems = [], onChange }: { initial: FlowDef; problems?: Problem[]; onChange: (f: FlowDef) => void }) {
  const [flow, setFlow] = useState(initial);
  const Designer = flowDesigner.Designer;
  return (
    <Designer appKey="expense" app={{ ...APP, flows: [flow] }} value={flow} problems={problems}
      onChange={(next) => { setFlow(next as FlowDef); onChange(next as FlowDef); }} />
  );
}

function setup(problems: Problem[] = [], initial = FLOW) {
  mockFetch({ 'GET /api/people': { body: { items: [], total: 0, page: 1, page_size: 20 } } });
  const onChange = vi.fn<(f: FlowDef) => void>();
  render(<Harness initial={initial} problems={problems} onChange={onChange} />);
  const last = () => onChange.mock.calls.at(-1)![0];
  return { onChange, last };
}

describe('flow designer', () => {
  it('draws every node as a card with its name and summary', () => {
    setup();
    expect(screen.getByTestId('flow-node-mgr')).toHaveTextContent('主管审批');
    expect(screen.getByTestId('flow-node-summary-mgr')).toHaveTextContent('经理 · 或签');
    expect(screen.getByTestId('flow-node-start')).toHaveTextContent('开始');
  });

  it('adds a node from the palette, with an id of its own and the first role as approver', () => {
    const { last } = setup();
    fireEvent.click(screen.getByTestId('flow-palette-approval'));
    const added = last().nodes.at(-1)!;
    expect(added).toMatchObject({ id: 'approval_1', type: 'approval', assignees: [{ role: 'manager' }], mode: 'or_sign' });
    expect(added.position).toBeDefined();
    // the canvas pinned every node where it was drawn, so nothing jumps afterwards
    expect(last().nodes.every((n) => n.position)).toBe(true);
    expect(last().edges).toEqual(FLOW.edges);
    // the new node is selected: its panel is open
    expect(screen.getByTestId('flow-node-panel')).toHaveAttribute('data-node', 'approval_1');
  });

  it('pins problems on their node and edge and lists them all in the flow panel', () => {
    setup([
      { path: '/nodes/1/assignees/0/role', message: '角色 boss 不存在' },
      { path: '/edges/2', message: '连线不对' },
      { path: '/trigger/condition', message: '条件有误' },
    ]);
    const mgr = screen.getByTestId('flow-node-mgr');
    expect(mgr).toHaveAttribute('data-problems', '1');
    expect(mgr).toHaveClass('flow-node-invalid');
    expect(screen.getByTestId('flow-node-mark')).toHaveAttribute('data-problems', '0');
    const list = screen.getByTestId('flow-all-problems');
    expect(list).toHaveTextContent('角色 boss 不存在');
    expect(list).toHaveTextContent('连线不对');
    expect(list).toHaveTextContent('条件有误');
    expect(screen.getByTestId('flow-problem-count')).toHaveTextContent('3');
    // a click on the problem opens the node, with the problem on the assignees row
    fireEvent.click(within(list).getByText('主管审批'));
    const panel = screen.getByTestId('flow-node-panel');
    expect(panel).toHaveAttribute('data-node', 'mgr');
    expect(within(panel).getAllByText('角色 boss 不存在').length).toBeGreaterThan(0);
  });

  it('edits an approval: name, mode and a time limit, writing only keys the format knows', () => {
    const { last } = setup();
    fireEvent.click(screen.getByTestId('flow-node-mgr'));
    fireEvent.change(screen.getByTestId('flow-node-name'), { target: { value: '经理审批' } });
    expect(last().nodes[1].name).toBe('经理审批');
    fireEvent.click(screen.getByTestId('flow-mode-countersign'));
    expect(last().nodes[1].mode).toBe('countersign');
    fireEvent.click(screen.getByTestId('flow-sla-add'));
    expect(last().nodes[1].timeout).toEqual([{ after: 'P1D', action: 'remind' }]);
    fireEvent.change(within(screen.getByTestId('flow-sla-0-after')).getByRole('spinbutton'), { target: { value: '3' } });
    expect(last().nodes[1].timeout).toEqual([{ after: 'P3D', action: 'remind' }]);
    for (const key of Object.keys(last().nodes[1])) expect(APPROVAL_KEYS.has(key)).toBe(true);
    expect(screen.getByTestId('flow-node-summary-mgr')).toHaveTextContent('经理 · 会签');
  });

  it('edits a record update as field → expression rows', () => {
    const { last } = setup();
    fireEvent.click(screen.getByTestId('flow-node-mark'));
    fireEvent.change(screen.getByTestId('flow-record-set-0-value'), { target: { value: "'approved'" } });
    expect(last().nodes[2].set).toEqual({ status: "'approved'" });
    fireEvent.click(screen.getByTestId('flow-record-set-add'));
    expect(Object.keys(last().nodes[2].set as object)).toEqual(['status', 'amount']);
  });

  it('sets the trigger condition from the flow panel', () => {
    const { last } = setup();
    fireEvent.change(screen.getByTestId('flow-trigger-condition-input'), { target: { value: 'amount > 100' } });
    expect(last().trigger).toEqual({ type: 'record_created', form: 'claim', condition: 'amount > 100' });
    fireEvent.change(screen.getByTestId('flow-trigger-condition-input'), { target: { value: '' } });
    expect(last().trigger).toEqual({ type: 'record_created', form: 'claim' });
  });

  it('deletes the selected node with its edges from the toolbar', () => {
    const { last } = setup();
    fireEvent.click(screen.getByTestId('flow-node-mark'));
    fireEvent.click(screen.getByTestId('flow-delete'));
    expect(last().nodes.map((n) => n.id)).toEqual(['start', 'mgr', 'end']);
    expect(last().edges).toEqual([{ from: 'start', to: 'mgr' }]);
  });

  it('edits a branch condition and the default flag on the edges out of a condition node', () => {
    const branching: FlowDef = {
      ...FLOW,
      nodes: [FLOW.nodes[0], { id: 'route', type: 'condition' }, ...FLOW.nodes.slice(1)],
      edges: [{ from: 'start', to: 'route' }, { from: 'route', to: 'mgr' }, { from: 'route', to: 'mark' },
        { from: 'mgr', to: 'mark' }, { from: 'mark', to: 'end' }],
    };
    const { last } = setup([], branching);
    fireEvent.click(screen.getByTestId('flow-node-route'));
    fireEvent.change(screen.getByTestId('flow-branch-1-condition-input'), { target: { value: 'amount > 500' } });
    expect(last().edges[1]).toEqual({ from: 'route', to: 'mgr', condition: 'amount > 500' });
    fireEvent.click(within(screen.getByTestId('flow-node-panel')).getAllByRole('checkbox')[1]);
    expect(last().edges[2]).toEqual({ from: 'route', to: 'mark', default: true });
    expect(screen.getByTestId('flow-node-summary-route')).toHaveTextContent('2 个分支');
  });
});

describe('node types without a form of their own', () => {
  it('are edited as JSON, keeping the node id', () => {
    const query: FlowDef = { ...FLOW, nodes: [...FLOW.nodes, { id: 'find', type: 'query_records', form: 'claim', into: 'found' }] };
    const { last } = setup([], query);
    fireEvent.click(screen.getByTestId('flow-node-find'));
    const json = within(screen.getByTestId('flow-node-panel')).getByTestId('json-designer');
    const text = within(json).getByRole('textbox');
    expect(JSON.parse((text as HTMLTextAreaElement).value)).toMatchObject({ key: 'find', type: 'query_records', into: 'found' });
    fireEvent.change(text, { target: { value: JSON.stringify({ key: 'find', type: 'query_records', form: 'claim', into: 'found', limit: 5 }) } });
    expect(last().nodes.at(-1)).toEqual({ id: 'find', type: 'query_records', form: 'claim', into: 'found', limit: 5 });
  });
});

describe('edge panel', () => {
  it('offers the outcomes of an approval and writes the one picked', async () => {
    const onChange = vi.fn();
    const flow = { ...FLOW, edges: [...FLOW.edges, { from: 'mgr', to: 'end', outcome: 'rejected' }] };
    render(
      <FlowContext.Provider value={{ appKey: 'expense', app: APP, flow, lang: 'zh-CN', triggerForm: APP.forms[0], updateEdge: () => undefined, selectEdge: () => undefined }}>
        <EdgePanel edge={flow.edges[3]} index={3} problems={[{ path: '/outcome', message: '结果重复' }]} onChange={onChange} onDelete={() => undefined} />
      </FlowContext.Provider>,
    );
    const outcome = screen.getByTestId('flow-edge-outcome');
    expect(outcome).toHaveTextContent('驳回');
    expect(screen.getAllByText('结果重复').length).toBeGreaterThan(0);
    fireEvent.mouseDown(within(outcome).getByRole('combobox'));
    fireEvent.click(await screen.findByTitle('通过'));
    expect(onChange).toHaveBeenCalledWith({ from: 'mgr', to: 'end', outcome: 'approved' });
    expect(edgeText({ from: 'a', to: 'b', outcome: 'rejected' }, (k) => (k === 'outcome.rejected' ? '驳回' : k))).toBe('驳回');
  });
});
