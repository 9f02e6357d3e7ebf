import { describe, expect, it } from 'vitest';
import type { AppDraft } from '../types';
import {
  addNode, autoLayout, connect, fromCanvas, moveNodes, placeProblems, removeElements, replaceNode, toCanvas,
} from './convert';
import { formatDuration, parseSimpleDuration } from './duration';
import type { FlowDef } from './model';
import { newNode, NODE_TYPES } from './nodeTypes';

const APP: AppDraft = {
  key: 'expense', name: '报销',
  forms: [{ key: 'claim', name: '报销单', fields: [{ key: 'amount', type: 'number', label: '金额' }] }],
  roles: [{ key: 'manager', name: '经理' }, { key: 'finance', name: '财务' }],
};

/** The format's own example (APP_FORMAT.md FLOW), two nodes placed by the designer and the rest not. */
const REFUND: FlowDef = {
  key: 'refund_approval', name: '退款审批',
  trigger: { type: 'record_created', form: 'refund', condition: 'amount > 0' },
  nodes: [
    { id: 'start', type: 'start', position: { x: 10, y: 0 } },
    { id: 'route', type: 'condition' },
    { id: 'mgr', type: 'approval', name: '主管审批', assignees: { role: 'manager' }, mode: 'or_sign',
      timeout: { after: 'P3D', action: 'remind', to: { role: 'supervisor' } } },
    { id: 'fin', type: 'approval', assignees: { role: 'finance' }, mode: 'countersign', position: { x: 300, y: 260 } },
    { id: 'ok', type: 'update_record', set: { status: "'approved'" } },
    { id: 'no', type: 'update_record', set: { status: "'rejected'" } },
    { id: 'tell', type: 'notify', to: { field: 'created_by' }, template: '退款 {{ record.no }} 已处理' },
    { id: 'end', type: 'end' },
  ],
  edges: [
    { from: 'start', to: 'route' },
    { from: 'route', to: 'mgr', condition: 'amount <= 500' },
    { from: 'route', to: 'fin', default: true },
    { from: 'mgr', to: 'ok', outcome: 'approved' }, { from: 'mgr', to: 'no', outcome: 'rejected' },
    { from: 'fin', to: 'ok', outcome: 'approved' }, { from: 'fin', to: 'no', outcome: 'rejected' },
    { from: 'ok', to: 'tell' }, { from: 'no', to: 'tell' }, { from: 'tell', to: 'end' },
  ],
};

describe('format ↔ canvas', () => {
  it('gives back the same flow, key for key, after a trip through the canvas', () => {
    const { nodes, edges } = toCanvas(REFUND);
    expect(nodes).toHaveLength(8);
    expect(edges).toHaveLength(10);
    expect(fromCanvas(REFUND, nodes, edges)).toEqual(REFUND);
    // nothing was added: no position for nodes that had none
    expect(JSON.stringify(fromCanvas(REFUND, nodes, edges))).toBe(JSON.stringify(REFUND));
  });

  it('draws saved positions where they are and writes a moved node back', () => {
    const { nodes, edges } = toCanvas(REFUND);
    const fin = nodes.find((n) => n.id === 'fin')!;
    expect(fin.position).toEqual({ x: 300, y: 260 });
    const moved = nodes.map((n) => (n.id === 'fin' ? { ...n, position: { x: 320.4, y: 270 } } : n));
    const back = fromCanvas(REFUND, moved, edges);
    expect(back.nodes[3].position).toEqual({ x: 320, y: 270 });
    expect(back.nodes.filter((n) => n.position)).toHaveLength(2);
  });

  it('connects canvas edges to the format edges by index, with the source type for the panel', () => {
    const { edges } = toCanvas(REFUND);
    expect(edges[4]).toMatchObject({ id: 'e4', source: 'mgr', target: 'no', data: { index: 4, sourceType: 'approval' } });
  });

  it('lays out unplaced nodes top to bottom by the longest path from the start', () => {
    const layout = autoLayout(REFUND);
    expect(layout.start.y).toBe(0);
    expect(layout.route.y).toBeGreaterThan(layout.start.y);
    expect(layout.mgr.y).toBe(layout.fin.y);
    expect(layout.mgr.x).not.toBe(layout.fin.x);
    expect(layout.tell.y).toBeGreaterThan(layout.ok.y);
    expect(layout.end.y).toBeGreaterThan(layout.tell.y);
  });
});

describe('edits', () => {
  it('adds a node of each registered type with a fresh id and what the type requires', () => {
    const flow: FlowDef = { key: 'f', name: 'F', trigger: { type: 'record_created', form: 'claim' },
      nodes: [{ id: 'start', type: 'start' }, { id: 'approval_1', type: 'approval', assignees: [{ initiator: true }] }], edges: [] };
    const node = newNode('approval', { app: APP, flow }, { x: 10.6, y: 20 });
    expect(node).toEqual({ id: 'approval_2', type: 'approval', assignees: [{ role: 'manager' }], mode: 'or_sign', position: { x: 11, y: 20 } });
    const next = addNode(flow, node);
    expect(next.nodes.map((n) => n.id)).toEqual(['start', 'approval_1', 'approval_2']);
    for (const info of NODE_TYPES) expect(newNode(info.key, { app: APP, flow }).id).toMatch(/^[A-Za-z][A-Za-z0-9_-]*$/);
  });

  it('connecting two nodes creates an edge; a second edge out of an approval is its rejection', () => {
    const flow: FlowDef = { key: 'f', name: 'F', trigger: { type: 'manual' }, edges: [],
      nodes: [{ id: 'start', type: 'start' }, { id: 'a', type: 'approval', assignees: [] }, { id: 'end', type: 'end' }, { id: 'stop', type: 'terminate' }] };
    let next = connect(flow, 'start', 'a');
    expect(next.edges).toEqual([{ from: 'start', to: 'a' }]);
    next = connect(next, 'a', 'end');
    next = connect(next, 'a', 'stop');
    expect(next.edges.slice(1)).toEqual([{ from: 'a', to: 'end' }, { from: 'a', to: 'stop', outcome: 'rejected' }]);
    expect(connect(next, 'a', 'end')).toBe(next);
    expect(connect(next, 'a', 'a')).toBe(next);
    expect(connect(next, 'a', 'nowhere')).toBe(next);
  });

  it('removes a node with its edges, and edges by index', () => {
    const without = removeElements(REFUND, ['tell'], [1]);
    expect(without.nodes.map((n) => n.id)).not.toContain('tell');
    expect(without.edges.some((e) => e.from === 'tell' || e.to === 'tell')).toBe(false);
    expect(without.edges.some((e) => e.condition === 'amount <= 500')).toBe(false);
    expect(without.edges).toHaveLength(10 - 3 - 1);
  });

  it('renaming a node carries the new id into its edges', () => {
    const next = replaceNode(REFUND, 2, { ...REFUND.nodes[2], id: 'boss' });
    expect(next.edges.filter((e) => e.from === 'boss')).toHaveLength(2);
    expect(next.edges.find((e) => e.to === 'boss')).toMatchObject({ from: 'route', condition: 'amount <= 500' });
  });

  it('moves nodes to whole-pixel positions', () => {
    expect(moveNodes(REFUND, { ok: { x: 1.4, y: 2.6 } }).nodes[4].position).toEqual({ x: 1, y: 3 });
  });
});

describe('problems', () => {
  it('land on the node or edge their path names, with the rest of the path kept', () => {
    const problems = [
      { path: '/nodes/3/assignees/0/role', message: '未知角色 finance' },
      { path: '/edges/2/condition', message: '条件不对' },
      { path: '/trigger/form', message: '未知表单' },
      { path: '/nodes', message: '没有结束节点' },
    ];
    const placed = placeProblems(problems);
    expect(placed.nodes.get(3)).toEqual([{ path: '/assignees/0/role', message: '未知角色 finance' }]);
    expect(placed.edges.get(2)).toEqual([{ path: '/condition', message: '条件不对' }]);
    expect(placed.trigger).toEqual([{ path: '/form', message: '未知表单' }]);
    expect(placed.flow).toEqual([{ path: '/nodes', message: '没有结束节点' }]);
    const { nodes, edges } = toCanvas(REFUND, problems);
    expect(nodes.find((n) => n.id === 'fin')!.data.problems).toHaveLength(1);
    expect(nodes.filter((n) => n.data.problems.length)).toHaveLength(1);
    expect(edges[2].data!.problems[0].message).toBe('条件不对');
  });
});

describe('durations', () => {
  it('build ISO 8601 from a number and a unit and read back the simple ones', () => {
    expect(formatDuration({ amount: 3, unit: 'D' })).toBe('P3D');
    expect(formatDuration({ amount: 2, unit: 'H' })).toBe('PT2H');
    expect(formatDuration({ amount: 15, unit: 'M' })).toBe('PT15M');
    expect(parseSimpleDuration('P1W')).toEqual({ amount: 1, unit: 'W' });
    expect(parseSimpleDuration('PT15M')).toEqual({ amount: 15, unit: 'M' });
    expect(parseSimpleDuration('P1DT2H')).toBeNull();
  });
});
