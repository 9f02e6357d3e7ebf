"""Messages of channel ingestion and identity resolution, in zh-CN and English."""
from engines.problems import MESSAGES

MESSAGES.update({
    "identity_unknown_kind": ("未知的身份类型「{kind}」（可用：{known}）", "unknown identity kind {kind!r} (known: {known})"),
    "identity_kind_scoped": ("「{kind}」只在各自渠道内唯一，不能存入客户表单的一个字段", "{kind!r} is unique only within its channel, so no single customer field can hold it"),
    "identity_field_type": ("「{kind}」不能存入「{type}」类型的字段「{key}」（可用类型：{types}）", "{kind!r} cannot be held by {key!r}, a {type!r} field (types: {types})"),
    "identity_field_twice": ("字段「{key}」已用于身份「{other}」", "field {key!r} already holds identity {other!r}"),
    "identity_unknown_channel": ("未知的渠道「{key}」：内置渠道为 {known}；自定义渠道请写 {{\"key\", \"name\"}}", "unknown channel {key!r}: built-in channels are {known}; declare your own as {{\"key\", \"name\"}}"),
    "identity_field_not_writable": ("「{key}」（{type}）由系统计算或另表保存，渠道不能更新", "{key!r} ({type}) is computed or stored apart, so channels cannot update it"),
    "identity_not_configured": ("应用「{app}」没有配置客户身份（identity），不能接收渠道事件", "app {app!r} has no identity section, so it cannot take channel events"),
    "identity_channel_not_listed": ("应用没有接入渠道「{channel}」（已接入：{known}）", "the app does not take events from channel {channel!r} (it takes: {known})"),
    "identity_not_text": ("应为文本", "must be text"),
    "identity_empty": ("不能为空", "must not be empty"),
    "identity_unknown_customer": ("未找到对应客户，且应用不允许由事件新建客户", "no customer has these identities, and the app does not let events create customers"),
    "identity_in_profile": ("「{key}」是身份字段（{kind}），请放在 identities 中，它才能用来识别客户", "{key!r} holds identity {kind!r}: send it in identities, where it also finds the customer"),
    "event_no_identity": ("至少需要一个身份（{known}）", "needs at least one identity ({known})"),
    "event_bad_type": ("事件类型应为小写字母开头的英文键（如 article_read、coupon.claimed），收到 {value!r}", "an event type is a lower-case key such as article_read or coupon.claimed, got {value!r}"),
    "event_bad_id": ("事件编号应为不超过 {limit} 个字符的文本", "an event id is text of at most {limit} characters"),
    "event_profile_unsupported": ("「{key}」（{type}）不能由渠道事件填写", "{key!r} ({type}) cannot be filled by channel events"),
    "merge_same_customer": ("不能与自身合并", "a customer cannot be merged with itself"),
})
