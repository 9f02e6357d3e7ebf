"""Message codes of the flow engine (zh-CN, en) and the error an interpreter step raises for a refused action."""
from __future__ import annotations

from typing import Any

from engines.problems import MESSAGES, Problem

MESSAGES.update({
    "flow_unknown_node_type": ("未知的节点类型「{value}」（可用：{known}）", "unknown node type {value!r} (known: {known})"),
    "flow_unknown_trigger_type": ("未知的触发方式「{value}」（可用：{known}）", "unknown trigger type {value!r} (known: {known})"),
    "flow_duplicate_node": ("节点 id「{id}」重复", "node id {id!r} is used twice"),
    "flow_unknown_node": ("连线指向不存在的节点「{id}」", "the edge refers to node {id!r}, which does not exist"),
    "flow_start_count": ("流程必须有且只有一个开始节点（现有 {count} 个）", "a flow needs exactly one start node (it has {count})"),
    "flow_no_end": ("流程没有结束节点", "the flow has no end node"),
    "flow_start_incoming": ("不能有连线指向开始节点", "no edge may lead into the start node"),
    "flow_unreachable": ("从开始节点走不到节点「{id}」", "node {id!r} cannot be reached from the start"),
    "flow_dead_end": ("节点「{id}」之后走不到结束节点", "from node {id!r} no path reaches an end node"),
    "flow_end_outgoing": ("结束节点之后不能再有连线", "an end node cannot have outgoing edges"),
    "flow_no_outgoing": ("节点「{id}」没有后续连线", "node {id!r} has no outgoing edge"),
    "flow_too_many_outgoing": ("节点「{id}」只能有一条普通后续连线（分支请用条件或并行节点）", "node {id!r} may have one plain outgoing edge (use a condition or parallel node to branch)"),
    "flow_bad_outcome": ("节点「{id}」的连线结果不能是「{outcome}」（可用：{known}）", "an edge from node {id!r} cannot have outcome {outcome!r} (known: {known})"),
    "flow_duplicate_outcome": ("节点「{id}」有两条「{outcome}」连线", "node {id!r} has two edges for outcome {outcome!r}"),
    "flow_condition_on_plain_edge": ("只有条件分支节点的连线可以带条件", "only edges leaving a condition or inclusive node may carry a condition"),
    "flow_branch_needs_condition": ("条件分支的每条连线需要条件，或标为默认", "every edge of a branch node needs a condition or default: true"),
    "flow_default_count": ("条件分支节点「{id}」需要恰好一条默认连线（现有 {count} 条）", "condition node {id!r} needs exactly one default edge (it has {count})"),
    "flow_fork_width": ("并行节点「{id}」至少需要两条后续连线", "parallel node {id!r} needs at least two outgoing edges"),
    "flow_join_without_fork": ("汇聚节点「{id}」没有对应的并行/包容分支", "join node {id!r} does not close any parallel or inclusive branch"),
    "flow_fork_unjoined": ("分支节点「{id}」的各条分支没有汇聚到同一个汇聚节点", "the branches of node {id!r} do not all meet at one join node"),
    "flow_join_shared": ("汇聚节点「{id}」同时被多个分支节点使用", "join node {id!r} closes more than one branching node"),
    "flow_region_entered": ("连线从分支区域外跳入了「{fork}」与「{join}」之间的区域", "an edge jumps into the region between {fork!r} and {join!r} from outside"),
    "flow_cycle": ("流程含有循环（节点「{id}」）；重复执行请使用循环节点，返工请使用退回", "the flow loops back (at node {id!r}); use a loop node to repeat, or return to redo a step"),
    "flow_loop_body": ("循环节点「{id}」需要一条「each」连线（循环体）和一条「done」连线", "loop node {id!r} needs an 'each' edge (the body) and a 'done' edge"),
    "flow_loop_not_closed": ("循环「{id}」的循环体没有回到循环节点", "the body of loop {id!r} does not lead back to the loop node"),
    "flow_unknown_role": ("角色「{key}」不存在", "role {key!r} does not exist"),
    "flow_not_member_field": ("「{key}」不是成员字段（审批人字段需为成员、创建人或负责人）", "{key!r} is not a member field (an assignee field must hold a member, creator or owner)"),
    "flow_assignee_needs_form": ("此流程没有关联表单，不能按字段选择处理人", "this flow has no form, so no assignee can be taken from a field"),
    "flow_unknown_variable": ("流程变量「{key}」未声明", "flow variable {key!r} is not declared"),
    "flow_variable_kind": ("变量「{key}」应为{expected_zh}", "variable {key!r} must hold {expected}"),
    "flow_variable_clash": ("变量「{key}」与表单字段同名", "variable {key!r} has the name of a form field"),
    "flow_field_not_writable": ("字段「{key}」由系统计算或生成，流程不能写入", "field {key!r} is computed or generated; a flow cannot write it"),
    "flow_needs_record": ("此节点需要流程关联一条记录（表单触发的流程）", "this node needs the flow to run on a record (a form-triggered flow)"),
    "flow_bad_duration": ("时长「{value}」不是 ISO 8601 格式（如 PT15M、PT2H、P3D）", "{value!r} is not an ISO 8601 duration (such as PT15M, PT2H, P3D)"),
    "flow_bad_cron": ("定时表达式「{value}」无效：{reason}", "cron expression {value!r} is invalid: {reason}"),
    "flow_field_hidden_and_editable": ("字段「{key}」在本节点既隐藏又可编辑", "field {key!r} is both hidden and editable at this step"),
    "flow_offset_whole_days": ("日期触发的偏移须为整天（如 P0D、-P1D、P2W），时刻由「at」给出",
                               "a date trigger's offset must be whole days (such as P0D, -P1D, P2W); the time of day "
                               "is given by 'at'"),
    "flow_bad_time": ("时间应为 HH:MM，收到「{value}」", "a time must be HH:MM, got {value!r}"),
    "flow_not_date_field": ("「{key}」不是日期或日期时间字段", "{key!r} is not a date or date-time field"),
    "flow_bad_template": ("消息模板第 {line} 行有误：{error}", "message template error at line {line}: {error}"),
    "flow_unknown_flow": ("子流程「{key}」不存在", "sub-flow {key!r} does not exist"),
    "flow_subflow_self": ("流程不能把自己作为子流程", "a flow cannot start itself as a sub-flow"),
    "flow_unknown_print_template": ("打印模板「{key}」不存在", "print template {key!r} does not exist"),
    "flow_webhook_response_trigger": ("只有 Webhook 触发的流程可以返回响应", "only a webhook-triggered flow can send a webhook response"),
    "flow_duplicate_flow": ("流程键「{key}」重复", "flow key {key!r} is used twice"),
    "flow_field_wrong_form": ("字段「{key}」不在表单「{form}」中", "field {key!r} is not in form {form!r}"),
    "flow_target_and_record": ("target（关联字段）与 record（记录编号表达式）只能选一个", "give either target (a relation field) or record (an expression giving the id), not both"),
    "flow_not_relation": ("「{key}」不是指向单条记录的关联字段", "{key!r} is not a one-record relation field"),
    "flow_wait_needs_one": ("等待节点需要 until（时间）或 condition（条件）之一", "a wait node needs either until (a moment) or condition"),
    "flow_return_target": ("不能退回到「{node}」：只能退回到本流程已经过的审批/填写节点或发起人", "cannot return to {node!r}: only to an approval or fill-in step already passed, or to the initiator"),
    # refused actions (raised by the interpreter, shown by the runtime as 4xx)
    "flow_instance_closed": ("流程已结束（{status}），不能再操作", "the flow instance has ended ({status}); nothing more can be done"),
    "flow_task_unknown": ("没有待办 {task}", "there is no task {task}"),
    "flow_task_closed": ("此待办已处理（{status}）", "this task is already done ({status})"),
    "flow_not_assignee": ("只有处理人可以这样操作", "only the task's assignee may do this"),
    "flow_action_not_allowed": ("此节点不允许「{action}」", "this step does not allow {action!r}"),
    "flow_action_unknown": ("未知的操作「{action}」", "unknown action {action!r}"),
    "flow_not_initiator": ("只有发起人可以这样操作", "only the initiator may do this"),
    "flow_withdraw_too_late": ("已有人处理，不能撤回", "someone has already acted on it, so it cannot be withdrawn"),
    "flow_missing_fill": ("请填写「{key}」", "please fill in {key!r}"),
    "flow_fill_unknown": ("此步骤不能填写「{key}」", "{key!r} cannot be filled in at this step"),
    "flow_wrong_version": ("实例属于流程版本 {instance}，而不是 {definition}", "the instance runs flow version {instance}, not {definition}"),
    "flow_needs_users": ("请指定人员", "name at least one person"),
})


class ActionRefused(Exception):
    """A task action, withdrawal or event the instance cannot take; the runtime answers 4xx with its message."""

    def __init__(self, code: str, path: str = "", **params: Any):
        self.problem = Problem(path, code, params)
        super().__init__(self.problem.message("en"))
