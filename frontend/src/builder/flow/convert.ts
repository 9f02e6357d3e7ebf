/**
 * The flow (format) ↔ the canvas (React Flow), and the edits the canvas makes, as pure functions. The flow stays the
 * one source of truth: canvas nodes and edges carry the format's node / edge untouched in `data`, so converting
 * back gives the same document; positions are written only for nodes that had one or that the person moved.
 */
import type { Edge, Node } from '@xyflow/react';
import type { Problem } from '../types';
import type { FlowDef, FlowEdge, FlowNode, Position } from './model';
import { nodeTypeInfo } from './nodeTypes';

export type FlowNodeData = { node: FlowNode; index: number; problems: Problem[] };
export type FlowEdgeData = { edge: FlowEdge; index: number; sourceType: string; problems: Problem[] };
export type CanvasNode = Node<FlowNodeData, 'flowNode'>;
export type CanvasEdge = Edge<FlowEdgeData, 'flowEdge'>;

export const LAYER_GAP = 130;
export const COLUMN_GAP = 250;

/** How wide a node's card is drawn: start and the ends are pills, the rest cards (the layout centres both). */
export function nodeWidth(type: string): number {
  const info = nodeTypeInfo(type);
  return info?.key === 'start' || info?.terminal ? 140 : 210;
}

/**
 * Where nodes without a saved position go: layers top to bottom by the longest path from the start (so a join sits
 * below all its branches), side by side within a layer; nodes the start does not reach go below.
 */
export function autoLayout(flow: FlowDef): Record<string, Position> {
  const ids = flow.nodes.map((node) => node.id);
  const known = new Set(ids);
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const edge of flow.edges) if (known.has(edge.from) && known.has(edge.to)) out.get(edge.from)!.push(edge.to);
  const layer = new Map<string, number>();
  const queue = flow.nodes.filter((node) => node.type === 'start').map((node) => node.id);
  for (const id of queue) layer.set(id, 0);
  // breadth first, pushing a node down when a longer path reaches it; a node is pushed at most |nodes| times, so
  // cycles (loop bodies, mistakes) end
  const pushes = new Map<string, number>();
  while (queue.length) {
    const id = queue.shift()!;
    for (const next of out.get(id) ?? []) {
      const depth = layer.get(id)! + 1;
      if ((layer.get(next) ?? -1) >= depth || (pushes.get(next) ?? 0) >= ids.length) continue;
      layer.set(next, depth);
      pushes.set(next, (pushes.get(next) ?? 0) + 1);
      queue.push(next);
    }
  }
  const deepest = Math.max(-1, ...layer.values());
  const rows = new Map<number, string[]>();
  for (const id of ids) {
    const row = layer.get(id) ?? deepest + 1;
    rows.set(row, [...(rows.get(row) ?? []), id]);
  }
  const types = new Map(flow.nodes.map((node) => [node.id, node.type]));
  const positions: Record<string, Position> = {};
  for (const [row, members] of rows) {
    members.forEach((id, i) => {
      const centre = (i - (members.length - 1) / 2) * COLUMN_GAP;
      positions[id] = { x: centre - nodeWidth(types.get(id) ?? '') / 2, y: row * LAYER_GAP };
    });
  }
  return positions;
}

/** A problem's place in the flow: a node, an edge, the trigger, or the flow as a whole. */
export interface PlacedProblems {
  nodes: Map<number, Problem[]>;
  edges: Map<number, Problem[]>;
  trigger: Problem[];
  flow: Problem[];
}

const PLACE = /^\/(nodes|edges)\/(\d+)(\/.*)?$/;

export function placeProblems(problems: Problem[]): PlacedProblems {
  const placed: PlacedProblems = { nodes: new Map(), edges: new Map(), trigger: [], flow: [] };
  for (const problem of problems) {
    const match = PLACE.exec(problem.path);
    if (match) {
      const bucket = match[1] === 'nodes' ? placed.nodes : placed.edges;
      const index = Number(match[2]);
      bucket.set(index, [...(bucket.get(index) ?? []), { ...problem, path: match[3] ?? '/' }]);
    } else if (problem.path === '/trigger' || problem.path.startsWith('/trigger/')) {
      placed.trigger.push({ ...problem, path: problem.path.slice('/trigger'.length) || '/' });
    } else {
      placed.flow.push(problem);
    }
  }
  return placed;
}

export function toCanvas(flow: FlowDef, problems: Problem[] = []): { nodes: CanvasNode[]; edges: CanvasEdge[] } {
  const placed = placeProblems(problems);
  const layout = flow.nodes.some((node) => !node.position) ? autoLayout(flow) : {};
  const types = new Map(flow.nodes.map((node) => [node.id, node.type]));
  const nodes = flow.nodes.map((node, index): CanvasNode => {
    return {
      id: node.id,
      type: 'flowNode',
      position: node.position ?? layout[node.id] ?? { x: 0, y: 0 },
      data: { node, index, problems: placed.nodes.get(index) ?? [] },
      deletable: node.type !== 'start',
    };
  });
  const edges = flow.edges.map((edge, index): CanvasEdge => ({
    id: edgeId(index),
    type: 'flowEdge',
    source: edge.from,
    target: edge.to,
    data: { edge, index, sourceType: types.get(edge.from) ?? '', problems: placed.edges.get(index) ?? [] },
  }));
  return { nodes, edges };
}

export const edgeId = (index: number) => `e${index}`;

/** Back to the format: the nodes and edges the canvas holds, each as the format had it (moved ones re-placed). */
export function fromCanvas(flow: FlowDef, nodes: CanvasNode[], edges: CanvasEdge[]): FlowDef {
  return {
    ...flow,
    nodes: nodes.map((n) => {
      const node = n.data.node;
      const moved = node.position && (node.position.x !== n.position.x || node.position.y !== n.position.y);
      return moved ? { ...node, position: roundPosition(n.position) } : node;
    }),
    edges: edges.map((e) => e.data!.edge),
  };
}

const roundPosition = (p: Position): Position => ({ x: Math.round(p.x), y: Math.round(p.y) });

// ---- edits --------------------------------------------------------------------------------------------------------

export function addNode(flow: FlowDef, node: FlowNode): FlowDef {
  return { ...flow, nodes: [...flow.nodes, node] };
}

/**
 * A new edge from → to. Out of a node with outcomes (approval: approved / rejected) the first edge is plain (the
 * default outcome) and each further one takes the next outcome not yet used, so drawing two edges out of an
 * approval gives "approved" and "rejected" without a trip to the panel. Self-loops and repeats change nothing.
 */
export function connect(flow: FlowDef, from: string, to: string): FlowDef {
  if (from === to || flow.edges.some((edge) => edge.from === from && edge.to === to)) return flow;
  const source = flow.nodes.find((node) => node.id === from);
  if (!source || !flow.nodes.some((node) => node.id === to)) return flow;
  const outcomes = nodeTypeInfo(source.type)?.outcomes ?? [];
  const out = flow.edges.filter((edge) => edge.from === from);
  const used = new Set(out.map((edge) => edge.outcome ?? outcomes[0]));
  const next = out.length > 0 ? outcomes.find((outcome) => !used.has(outcome)) : undefined;
  return { ...flow, edges: [...flow.edges, { from, to, ...(next ? { outcome: next } : {}) }] };
}

/** Remove nodes (with their edges) and edges (by index). */
export function removeElements(flow: FlowDef, nodeIds: string[], edgeIndexes: number[]): FlowDef {
  const goneNodes = new Set(nodeIds);
  const goneEdges = new Set(edgeIndexes);
  return {
    ...flow,
    nodes: flow.nodes.filter((node) => !goneNodes.has(node.id)),
    edges: flow.edges.filter((edge, i) => !goneEdges.has(i) && !goneNodes.has(edge.from) && !goneNodes.has(edge.to)),
  };
}

export function moveNodes(flow: FlowDef, positions: Record<string, Position>): FlowDef {
  if (!Object.keys(positions).length) return flow;
  return {
    ...flow,
    nodes: flow.nodes.map((node) => (positions[node.id] ? { ...node, position: roundPosition(positions[node.id]) } : node)),
  };
}

/** Replace the node at `index`; a new id is carried into the edges that name the old one. */
export function replaceNode(flow: FlowDef, index: number, next: FlowNode): FlowDef {
  const before = flow.nodes[index];
  const renamed = before && before.id !== next.id;
  return {
    ...flow,
    nodes: flow.nodes.map((node, i) => (i === index ? next : node)),
    edges: renamed
      ? flow.edges.map((edge) => ({
          ...edge,
          ...(edge.from === before.id ? { from: next.id } : {}),
          ...(edge.to === before.id ? { to: next.id } : {}),
        }))
      : flow.edges,
  };
}

export function replaceEdge(flow: FlowDef, index: number, next: FlowEdge): FlowDef {
  return { ...flow, edges: flow.edges.map((edge, i) => (i === index ? next : edge)) };
}
