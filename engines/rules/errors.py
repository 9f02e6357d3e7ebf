"""Message codes of the rules engine (zh-CN, en)."""
from __future__ import annotations

from engines.problems import MESSAGES

MESSAGES.update({
    "rule_unknown_action": ("未知的动作「{value}」（可用：{known}）", "unknown action {value!r} (known: {known})"),
    "rule_no_actions": ("规则没有任何动作（then / else 都为空）", "the rule has no actions (then and else are both empty)"),
    "rule_fields_need_updated": ("只有在 on 含有 updated 时才能按字段变化触发", "fields only apply when `on` includes updated"),
    "rule_bad_cron": ("定时表达式「{value}」无效：{reason}", "schedule {value!r} is not a valid cron expression: {reason}"),
    "rule_not_tags_field": ("「{key}」不是标签字段", "{key!r} is not a tags field"),
    "rule_field_not_settable": ("规则不能设置字段「{key}」（{type} 类型，或带格式限制）",
                                "a rule cannot set field {key!r} (type {type!r}, or it has a pattern)"),
    "rule_not_member_field": ("「{key}」不是成员字段（或负责人）", "{key!r} is not a member field (or owner)"),
    "rule_no_initiator": ("规则没有发起人，不能按上级或部门负责人找人",
                          "a rule has no initiator to find managers or department heads from"),
    "rule_unknown_flow": ("流程「{key}」不存在", "flow {key!r} does not exist"),
    "rule_flow_form": ("流程「{flow}」不是在表单「{form}」的记录上运行的", "flow {flow!r} does not run on records of form {form!r}"),
    "rule_tag_conflict": ("同一分支既添加又移除标签「{tag}」", "the same branch both adds and removes tag {tag!r}"),
    "rule_not_relation": ("「{key}」不是表单「{source}」中指向「{form}」的单条关联字段",
                          "{key!r} is not a one-record relation of form {source!r} to {form!r}"),
    "rule_field_kind": ("「{key}」应为{expected_zh}字段", "{key!r} must be a {expected} field"),
    "rule_segment_options": ("单选字段「{key}」缺少 RFM 分层选项：{missing}",
                             "select field {key!r} lacks the RFM segments {missing}"),
    "rule_unknown": ("规则「{key}」不存在或未启用", "rule {key!r} does not exist or is disabled"),
    "rule_depth_exceeded": ("规则连锁触发超过 {limit} 层（规则「{rule}」，记录 {record}），已停止",
                            "rules triggered each other more than {limit} levels deep "
                            "(rule {rule!r}, record {record}): stopped"),
    "rule_failed": ("规则「{rule}」处理记录 {record} 失败：{error}", "rule {rule!r} failed on record {record}: {error}"),
})
