/**
 * The view types, keyed as engines/views registers them (a contract test checks the two lists agree). A type
 * without a renderer is drawn by the record list's own table (with the view's columns, groups and colours).
 */
import type { ComponentType } from 'react';
import type { MessageKey } from '../../i18n';
import { CalendarView } from './CalendarView';
import { GalleryView } from './GalleryView';
import { GanttView } from './GanttView';
import { KanbanView } from './KanbanView';
import type { ViewItem } from '../../api';
import { setting, type ViewProps } from './model';
import { TreeView } from './TreeView';
import './views.css';

export interface ViewType {
  key: string;
  label: MessageKey;
  /** Draws the records; none: the paged table of the record list. */
  Renderer?: ComponentType<ViewProps>;
  /** The order when the view names none (the records API's own is newest first). */
  defaultSort?: (view: ViewItem) => string | undefined;
}

export const VIEW_TYPES: ViewType[] = [
  { key: 'table', label: 'rt.view.type.table' },
  { key: 'kanban', label: 'rt.view.type.kanban', Renderer: KanbanView },
  { key: 'calendar', label: 'rt.view.type.calendar', Renderer: CalendarView, defaultSort: (v) => setting(v, 'date') },
  { key: 'gallery', label: 'rt.view.type.gallery', Renderer: GalleryView },
  { key: 'gantt', label: 'rt.view.type.gantt', Renderer: GanttView, defaultSort: (v) => setting(v, 'start') },
  // children under a parent in the order they were made
  { key: 'tree', label: 'rt.view.type.tree', Renderer: TreeView, defaultSort: () => 'id' },
];

export function viewType(key: string | undefined): ViewType | undefined {
  return VIEW_TYPES.find((t) => t.key === key);
}
