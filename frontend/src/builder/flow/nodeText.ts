/** The node types' names in the palette and on the cards, zh-CN first (keys as the engine registers them). */
import type { Lang } from '../../i18n';
import { defineText } from '../text';

export const NODE_TEXT = defineText(
  {
    start: '开始',
    end: '结束',
    approval: '审批',
    fill_in: '填写',
    cc: '抄送',
    notify: '发送通知',
    condition: '条件分支',
    parallel: '并行分支',
    inclusive: '包容分支',
    join: '汇聚',
    merge: '合并',
    delay: '延时',
    wait_until: '等待',
    create_record: '新增记录',
    update_record: '更新记录',
    delete_record: '删除记录',
    query_records: '查询记录',
    aggregate: '汇总计算',
    set_variable: '设置变量',
    assign: '分配负责人',
    print_document: '生成文档',
    loop: '循环',
    subflow: '子流程',
    terminate: '终止流程',
    http_request: 'HTTP 请求',
    webhook_response: 'Webhook 响应',
  },
  {
    start: 'Start',
    end: 'End',
    approval: 'Approval',
    fill_in: 'Fill in',
    cc: 'CC',
    notify: 'Notify',
    condition: 'Condition',
    parallel: 'Parallel',
    inclusive: 'Inclusive',
    join: 'Join',
    merge: 'Merge',
    delay: 'Delay',
    wait_until: 'Wait until',
    create_record: 'Create record',
    update_record: 'Update record',
    delete_record: 'Delete record',
    query_records: 'Query records',
    aggregate: 'Aggregate',
    set_variable: 'Set variable',
    assign: 'Assign owner',
    print_document: 'Print document',
    loop: 'Loop',
    subflow: 'Sub-flow',
    terminate: 'Terminate',
    http_request: 'HTTP request',
    webhook_response: 'Webhook response',
  },
);

/** A node type's name in `lang`; an unknown type shows its key. */
export function nodeLabel(type: string, lang: Lang): string {
  return (NODE_TEXT[lang] as Record<string, string>)[type] ?? type;
}
