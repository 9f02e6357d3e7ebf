"""Built-in channels (触点) a customer event may come from. An app lists the ones it receives; its own channels
(a second official account, a regional store chain) are declared there with a name."""
from __future__ import annotations

from dataclasses import dataclass

from engines._registry import Registry


@dataclass(frozen=True)
class Channel:
    key: str
    label: tuple[str, str]  # zh-CN, en


CHANNELS: Registry[Channel] = Registry("channel")
for _channel in (
    Channel("wecom", ("企业微信", "WeCom")),
    Channel("wechat", ("个人微信", "personal WeChat")),
    Channel("mp", ("微信公众号", "WeChat official account")),
    Channel("miniapp", ("微信小程序", "WeChat mini-program")),
    Channel("channels", ("视频号", "WeChat Channels")),
    Channel("app", ("App", "app")),
    Channel("web", ("官网", "website")),
    Channel("store", ("线下门店", "offline store")),
    Channel("douyin", ("抖音", "Douyin")),
    Channel("kuaishou", ("快手", "Kuaishou")),
    Channel("taobao", ("淘宝/天猫", "Taobao / Tmall")),
    Channel("jd", ("京东", "JD")),
    Channel("youzan", ("有赞", "Youzan")),
    Channel("pdd", ("拼多多", "Pinduoduo")),
    Channel("live", ("直播间", "live-stream room")),
):
    CHANNELS.register(_channel)
