/** What the canvas nodes and the property panels read about the flow they belong to. */
import { createContext, useContext } from 'react';
import type { Lang } from '../../i18n';
import type { AppDraft, FormDef } from '../types';
import type { FlowDef, FlowEdge } from './model';

export interface FlowContextValue {
  appKey: string;
  app: AppDraft;
  flow: FlowDef;
  /** The trigger's form: the record every expression and member field of the flow reads. */
  triggerForm?: FormDef;
  lang: Lang;
  updateEdge: (index: number, edge: FlowEdge) => void;
  /** Open an edge's panel (its label is drawn outside the edge, so a click on it is not an edge click). */
  selectEdge: (index: number) => void;
}

export const FlowContext = createContext<FlowContextValue | null>(null);

export function useFlowContext(): FlowContextValue {
  const value = useContext(FlowContext);
  if (!value) throw new Error('useFlowContext outside the flow designer');
  return value;
}
