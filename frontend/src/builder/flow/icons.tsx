/** An icon per node type (the palette and the canvas show the same one). */
import {
  ApartmentOutlined, ApiOutlined, AuditOutlined, BranchesOutlined, CalculatorOutlined, CheckCircleOutlined,
  CloseCircleOutlined, CodeOutlined, CopyOutlined, DeleteOutlined, EditOutlined, FieldTimeOutlined, FileAddOutlined,
  ForkOutlined, FormOutlined, HourglassOutlined, MergeCellsOutlined, MergeOutlined, NotificationOutlined,
  PartitionOutlined, PlayCircleOutlined, PrinterOutlined, QuestionCircleOutlined, RetweetOutlined, SearchOutlined,
  SendOutlined, UserSwitchOutlined,
} from '@ant-design/icons';
import type { ComponentType } from 'react';
import { nodeTypeInfo } from './nodeTypes';

const ICONS: Record<string, ComponentType> = {
  start: PlayCircleOutlined,
  end: CheckCircleOutlined,
  terminate: CloseCircleOutlined,
  approval: AuditOutlined,
  fill_in: EditOutlined,
  cc: CopyOutlined,
  notify: NotificationOutlined,
  condition: BranchesOutlined,
  parallel: ForkOutlined,
  inclusive: ApartmentOutlined,
  join: MergeCellsOutlined,
  merge: MergeOutlined,
  delay: FieldTimeOutlined,
  wait_until: HourglassOutlined,
  create_record: FileAddOutlined,
  update_record: FormOutlined,
  delete_record: DeleteOutlined,
  query_records: SearchOutlined,
  aggregate: CalculatorOutlined,
  loop: RetweetOutlined,
  set_variable: CodeOutlined,
  http_request: ApiOutlined,
  webhook_response: SendOutlined,
  assign: UserSwitchOutlined,
  print_document: PrinterOutlined,
  subflow: PartitionOutlined,
};

export function NodeIcon({ type }: { type: string }) {
  const Icon = ICONS[nodeTypeInfo(type)?.key ?? ''] ?? QuestionCircleOutlined;
  return <Icon />;
}
