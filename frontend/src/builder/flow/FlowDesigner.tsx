/**
 * The flow designer: the node palette, the canvas (React Flow: drag to add, drag handles to connect, Delete to
 * remove, drag to move — positions are saved in each node's `position`) and the panel of what is selected (a node,
 * an edge, or the flow with its trigger). The flow document stays the one source of truth; the canvas is drawn from
 * it, and every edit goes back through `onChange` as a new flow.
 */
import '@xyflow/react/dist/style.css';
import { ApartmentOutlined, DeleteOutlined, SettingOutlined } from '@ant-design/icons';
import {
  Background, Controls, MarkerType, MiniMap, ReactFlow, ReactFlowProvider, applyNodeChanges, useReactFlow,
  type Connection, type NodeChange,
} from '@xyflow/react';
import { Button, Form, Space, Tag, Typography } from 'antd';
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { useI18n } from '../../i18n';
import type { DesignerProps } from '../types';
import { FlowEdgeView, FlowNodeCard } from './canvas';
import { FlowContext, type FlowContextValue } from './context';
import {
  addNode, autoLayout, connect, LAYER_GAP, nodeWidth, moveNodes, placeProblems, removeElements, replaceEdge, replaceNode, toCanvas,
  type CanvasEdge, type CanvasNode,
} from './convert';
import { formOf, type FlowDef, type Position } from './model';
import { newNode } from './nodeTypes';
import { DND_TYPE, Palette } from './Palette';
import { EdgePanel, FlowPanel, NodePanel } from './panels';
import { useFlowText } from './text';

const NODE_TYPES = { flowNode: FlowNodeCard };
const EDGE_TYPES = { flowEdge: FlowEdgeView };
const DEFAULT_EDGE = { markerEnd: { type: MarkerType.ArrowClosed, width: 18, height: 18 } };

type Selection = { kind: 'node'; id: string } | { kind: 'edge'; index: number } | null;

/** Once the person edits the canvas, every node keeps where it is drawn (else auto-placed nodes would jump). */
function pinned(flow: FlowDef, drawn: CanvasNode[]): FlowDef {
  const at = new Map(drawn.map((n) => [n.id, n.position]));
  if (flow.nodes.every((node) => node.position)) return flow;
  return moveNodes(flow, Object.fromEntries(flow.nodes.filter((n) => !n.position && at.has(n.id)).map((n) => [n.id, at.get(n.id)!])));
}

function withDefaults(value: FlowDef): FlowDef {
  return Array.isArray(value.nodes) && Array.isArray(value.edges) ? value : { ...value, nodes: value.nodes ?? [], edges: value.edges ?? [] };
}

function Designer({ appKey, app, value, onChange, problems }: DesignerProps<FlowDef>) {
  const t = useFlowText();
  const { lang } = useI18n();
  const flow = useMemo(() => withDefaults(value), [value]);
  const { screenToFlowPosition } = useReactFlow();
  const [selection, setSelection] = useState<Selection>(null);
  // the workspace hands a new problems array on each of its renders: redraw only when they really change
  const problemsKey = JSON.stringify(problems);
  const stableProblems = useMemo(() => problems, [problemsKey]);
  const canvas = useMemo(() => toCanvas(flow, stableProblems), [flow, stableProblems]);
  const panelBox = useRef<HTMLDivElement>(null);
  const selected = selection?.kind === 'node' ? `n:${selection.id}` : selection?.kind === 'edge' ? `e:${selection.index}` : '';
  useEffect(() => {
    panelBox.current?.scrollTo?.({ top: 0 });  // a new selection opens at its top
  }, [selected]);

  // Nodes live in state between flow changes so that dragging is smooth and React Flow's measurements survive.
  const [nodes, setNodes] = useState<CanvasNode[]>(canvas.nodes);
  useEffect(() => {
    setNodes((previous) => {
      const measured = new Map(previous.map((n) => [n.id, n.measured]));
      return canvas.nodes.map((n) => ({ ...n, measured: measured.get(n.id), selected: selection?.kind === 'node' && selection.id === n.id }));
    });
  }, [canvas, selection]);
  const edges: CanvasEdge[] = useMemo(
    () => canvas.edges.map((e) => ({ ...e, selected: selection?.kind === 'edge' && selection.index === e.data!.index })),
    [canvas, selection],
  );

  const onNodesChange = useCallback((changes: NodeChange<CanvasNode>[]) => {
    // selection is ours (one node or edge at a time); removal goes through onDelete
    setNodes((current) => applyNodeChanges(changes.filter((c) => c.type === 'position' || c.type === 'dimensions'), current));
  }, []);

  const commit = (next: FlowDef) => onChange(next);

  const add = (type: string, position: Position) => {
    const node = newNode(type, { app, flow }, position);
    commit(addNode(pinned(flow, nodes), node));
    setSelection({ kind: 'node', id: node.id });
  };
  const addBelow = (type: string) => {
    const lowest = nodes.reduce<CanvasNode | null>((low, n) => (!low || n.position.y > low.position.y ? n : low), null);
    const centre = lowest ? lowest.position.x + nodeWidth(lowest.data.node.type) / 2 : 0;
    add(type, { x: centre - nodeWidth(type) / 2, y: lowest ? lowest.position.y + LAYER_GAP : 0 });
  };
  const onDrop = (event: DragEvent) => {
    const type = event.dataTransfer.getData(DND_TYPE);
    if (!type) return;
    event.preventDefault();
    const at = screenToFlowPosition({ x: event.clientX, y: event.clientY });
    add(type, { x: at.x - nodeWidth(type) / 2, y: at.y - 25 });
  };
  const onConnect = (connection: Connection) => {
    const next = connect(flow, connection.source, connection.target);
    if (next === flow) return;
    commit(pinned(next, nodes));
    setSelection({ kind: 'edge', index: next.edges.length - 1 });
  };
  const remove = (nodeIds: string[], edgeIndexes: number[]) => {
    const deletable = nodeIds.filter((id) => flow.nodes.find((n) => n.id === id)?.type !== 'start');
    if (!deletable.length && !edgeIndexes.length) return;
    commit(removeElements(pinned(flow, nodes), deletable, edgeIndexes));
    setSelection(null);
  };
  const removeSelected = () => {
    if (selection?.kind === 'node') remove([selection.id], []);
    if (selection?.kind === 'edge') remove([], [selection.index]);
  };
  const relayout = () => commit(moveNodes(flow, autoLayout(flow)));

  const context: FlowContextValue = {
    appKey, app, flow, lang,
    triggerForm: formOf(app, flow.trigger?.form),
    updateEdge: (index, edge) => commit(replaceEdge(flow, index, edge)),
    selectEdge: (index) => setSelection({ kind: 'edge', index }),
  };
  const placed = placeProblems(problems);
  const selectedIndex = selection?.kind === 'node' ? flow.nodes.findIndex((n) => n.id === selection.id) : -1;
  const selectedEdge = selection?.kind === 'edge' ? flow.edges[selection.index] : undefined;

  let panel;
  if (selectedIndex >= 0) {
    const node = flow.nodes[selectedIndex];
    panel = (
      <NodePanel key={node.id} node={node} index={selectedIndex} problems={placed.nodes.get(selectedIndex) ?? []}
        onChange={(next) => {
          commit(replaceNode(flow, selectedIndex, next));
          if (next.id !== node.id) setSelection({ kind: 'node', id: next.id });
        }} />
    );
  } else if (selectedEdge && selection?.kind === 'edge') {
    const index = selection.index;
    panel = (
      <EdgePanel key={index} edge={selectedEdge} index={index} problems={placed.edges.get(index) ?? []}
        onChange={(next) => commit(replaceEdge(flow, index, next))} onDelete={() => remove([], [index])} />
    );
  } else {
    panel = (
      <FlowPanel flow={flow} problems={problems} onChange={commit}
        onPick={({ node, edge }) => {
          if (node !== undefined && flow.nodes[node]) setSelection({ kind: 'node', id: flow.nodes[node].id });
          else if (edge !== undefined && flow.edges[edge]) setSelection({ kind: 'edge', index: edge });
        }} />
    );
  }

  return (
    <FlowContext.Provider value={context}>
      <div data-testid="flow-designer" style={{ display: 'flex', flexDirection: 'column', height: 'calc(100vh - 300px)', minHeight: 520,
        border: '1px solid var(--ant-color-border-secondary, #f0f0f0)', borderRadius: 8, overflow: 'hidden' }}>
        <div style={{ display: 'flex', alignItems: 'center', gap: 8, padding: '6px 10px', borderBottom: '1px solid var(--ant-color-border-secondary, #f0f0f0)' }}>
          <Space>
            <Button size="small" icon={<SettingOutlined />} type={selection ? 'default' : 'primary'} ghost={!selection}
              onClick={() => setSelection(null)} data-testid="flow-settings">{t('canvas.settings')}</Button>
            <Button size="small" icon={<ApartmentOutlined />} onClick={relayout} data-testid="flow-relayout">{t('canvas.layout')}</Button>
            <Button size="small" danger icon={<DeleteOutlined />} disabled={!selection || (selectedIndex >= 0 && flow.nodes[selectedIndex]?.type === 'start')}
              onClick={removeSelected} data-testid="flow-delete">{t('canvas.delete')}</Button>
          </Space>
          {problems.length ? (
            <Tag color="error" style={{ marginInlineStart: 'auto', cursor: 'pointer' }} onClick={() => setSelection(null)} data-testid="flow-problem-count">
              {t('canvas.problems', { count: problems.length })}
            </Tag>
          ) : null}
        </div>
        <div style={{ display: 'flex', flex: 1, minHeight: 0 }}>
          <Palette lang={lang} onAdd={addBelow} hasStart={flow.nodes.some((n) => n.type === 'start')} />
          <div style={{ flex: 1, minWidth: 0, position: 'relative' }} data-testid="flow-canvas"
            onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = 'move'; }} onDrop={onDrop}>
            <ReactFlow<CanvasNode, CanvasEdge>
              nodes={nodes}
              edges={edges}
              nodeTypes={NODE_TYPES}
              edgeTypes={EDGE_TYPES}
              defaultEdgeOptions={DEFAULT_EDGE}
              onNodesChange={onNodesChange}
              onNodeDragStop={(_, node, dragged) =>
                commit(moveNodes(pinned(flow, nodes), Object.fromEntries((dragged.length ? dragged : [node]).map((n) => [n.id, n.position]))))}
              onConnect={onConnect}
              onDelete={({ nodes: goneNodes, edges: goneEdges }) => remove(goneNodes.map((n) => n.id), goneEdges.map((e) => e.data!.index))}
              onNodeClick={(_, node) => setSelection({ kind: 'node', id: node.id })}
              onEdgeClick={(_, edge) => setSelection({ kind: 'edge', index: edge.data!.index })}
              onPaneClick={() => setSelection(null)}
              deleteKeyCode={['Delete', 'Backspace']}
              fitView
              fitViewOptions={{ maxZoom: 1, padding: 0.2 }}
              minZoom={0.2}
            >
              <Background gap={16} />
              <Controls showInteractive={false} />
              <MiniMap pannable zoomable style={{ width: 140, height: 90 }} />
            </ReactFlow>
          </div>
          <div ref={panelBox} data-testid="flow-panel" style={{ width: 380, flex: 'none', overflowY: 'auto', padding: 12, borderInlineStart: '1px solid var(--ant-color-border-secondary, #f0f0f0)' }}>
            <Typography.Title level={5} style={{ marginTop: 0 }}>
              {selectedIndex >= 0 ? t('panel.node') : selectedEdge ? t('panel.edge') : t('panel.flow')}
            </Typography.Title>
            <Form layout="vertical" size="small" component="div">{panel}</Form>
          </div>
        </div>
      </div>
    </FlowContext.Provider>
  );
}

export function FlowDesigner(props: DesignerProps<FlowDef>) {
  return (
    <ReactFlowProvider>
      <Designer {...props} />
    </ReactFlowProvider>
  );
}
