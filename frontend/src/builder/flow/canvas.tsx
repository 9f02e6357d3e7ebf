/** What the canvas draws: a card per node (icon, colour, name, summary, problems) and labelled edges. */
import { BaseEdge, EdgeLabelRenderer, getSmoothStepPath, Handle, Position, type EdgeProps, type NodeProps } from '@xyflow/react';
import { Tag, Tooltip } from 'antd';
import { nodeWidth, type CanvasEdge, type CanvasNode } from './convert';
import { useFlowContext } from './context';
import { NodeIcon } from './icons';
import type { FlowEdge } from './model';
import { CATEGORY_COLOUR, nodeTypeInfo } from './nodeTypes';
import { nodeSummary, nodeTypeLabel } from './summary';
import { useFlowText, type FlowT } from './text';

const ERROR = '#ff4d4f';

function problemTip(problems: { path: string; message: string }[]) {
  return problems.length ? (
    <div>{problems.map((p, i) => <div key={i}>{p.path !== '/' ? `${p.path}: ` : ''}{p.message}</div>)}</div>
  ) : null;
}

export function FlowNodeCard({ data, selected }: NodeProps<CanvasNode>) {
  const t = useFlowText();
  const { app, flow, triggerForm, lang } = useFlowContext();
  const { node, problems } = data;
  const info = nodeTypeInfo(node.type);
  const colour = info ? CATEGORY_COLOUR[info.category] : '#8c8c8c';
  const isStart = info?.key === 'start';
  const isEnd = !!info?.terminal;
  const title = node.name || nodeTypeLabel(node.type, lang);
  const summary = nodeSummary(node, { app, flow, triggerForm, lang, t });
  const bad = problems.length > 0;
  const edge = bad ? ERROR : selected ? '#1677ff' : isStart || isEnd ? colour : '#d9d9d9';
  const terminalStyle = isStart || isEnd;
  const card = (
    <div
      data-testid={`flow-node-${node.id}`}
      data-problems={problems.length}
      className={bad ? 'flow-node flow-node-invalid' : 'flow-node'}
      style={{
        width: nodeWidth(node.type),
        padding: terminalStyle ? '8px 12px' : '8px 10px',
        borderRadius: terminalStyle ? 20 : 8,
        background: terminalStyle ? `${colour}14` : 'var(--ant-color-bg-container, #fff)',
        border: `${bad || selected ? 2 : 1}px solid ${edge}`,
        borderInlineStart: terminalStyle ? undefined : `4px solid ${bad ? ERROR : colour}`,
        boxShadow: selected ? '0 0 0 3px rgba(22,119,255,0.15)' : '0 1px 2px rgba(0,0,0,0.06)',
        textAlign: terminalStyle ? 'center' : 'start',
        fontSize: 12,
      }}
    >
      {isStart ? null : <Handle type="target" position={Position.Top} data-testid={`flow-handle-in-${node.id}`} style={{ width: 10, height: 10 }} />}
      <div style={{ display: 'flex', alignItems: 'center', gap: 6, justifyContent: terminalStyle ? 'center' : 'flex-start' }}>
        <span style={{ color: colour, fontSize: 14 }}><NodeIcon type={node.type} /></span>
        <span style={{ fontWeight: 600, fontSize: 13, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>{title}</span>
        {bad ? <Tag color="error" style={{ marginInlineStart: 'auto', marginInlineEnd: 0 }}>{problems.length}</Tag> : null}
      </div>
      {!terminalStyle ? (
        <div style={{ color: 'var(--ant-color-text-secondary, #8c8c8c)', marginTop: 2, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}
          data-testid={`flow-node-summary-${node.id}`}>
          {node.name ? `${nodeTypeLabel(node.type, lang)}${summary ? ' · ' : ''}` : ''}{summary}
        </div>
      ) : null}
      {isEnd ? null : <Handle type="source" position={Position.Bottom} data-testid={`flow-handle-out-${node.id}`} style={{ width: 10, height: 10 }} />}
    </div>
  );
  return bad ? <Tooltip title={problemTip(problems)} color={ERROR}>{card}</Tooltip> : card;
}

/** The words on an edge: its label, else its outcome, default flag or condition. */
export function edgeText(edge: FlowEdge, t: FlowT): string {
  if (edge.label) return edge.label;
  if (edge.outcome) {
    const key = `outcome.${edge.outcome}`;
    const known = ['approved', 'rejected', 'submitted', 'reached', 'timeout', 'each', 'done', 'succeeded', 'failed', 'completed', 'withdrawn', 'cancelled'];
    return known.includes(edge.outcome) ? t(key as 'outcome.approved') : edge.outcome;
  }
  if (edge.default) return t('edge.defaultTag');
  if (edge.condition) return edge.condition.length > 28 ? `${edge.condition.slice(0, 27)}…` : edge.condition;
  return '';
}

export function FlowEdgeView({ id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, selected, markerEnd }: EdgeProps<CanvasEdge>) {
  const t = useFlowText();
  const { selectEdge } = useFlowContext();
  const [path, labelX, labelY] = getSmoothStepPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, borderRadius: 8 });
  const problems = data?.problems ?? [];
  const bad = problems.length > 0;
  const text = data ? edgeText(data.edge, t) : '';
  const colour = bad ? ERROR : selected ? '#1677ff' : data?.edge.outcome === 'rejected' ? '#cf1322' : '#8c8c8c';
  return (
    <>
      <BaseEdge id={id} path={path} markerEnd={markerEnd} style={{ stroke: colour, strokeWidth: bad || selected ? 2.5 : 1.5 }} />
      {text || bad ? (
        <EdgeLabelRenderer>
          <div
            className="nodrag nopan"
            data-testid={`flow-edge-label-${data?.index}`}
            onClick={() => data && selectEdge(data.index)}
            style={{ position: 'absolute', transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)`, pointerEvents: 'all', fontSize: 11, cursor: 'pointer' }}
          >
            <Tooltip title={problemTip(problems)} color={ERROR}>
              <span style={{ background: 'var(--ant-color-bg-container, #fff)', border: `1px solid ${bad ? ERROR : '#d9d9d9'}`, color: bad ? ERROR : undefined, borderRadius: 4, padding: '0 4px' }}>
                {text || '!'}
              </span>
            </Tooltip>
          </div>
        </EdgeLabelRenderer>
      ) : null}
    </>
  );
}
