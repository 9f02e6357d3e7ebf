"""Errors for people: every API error is {"error": {"code", "message", "details": [{"path", "message"}]}}."""
from __future__ import annotations

from typing import Any

from engines.problems import MESSAGES, Problem

MESSAGES.update({
    "not_found": ("{what}不存在", "{what} not found"),
    "stale_version": ("记录已被他人修改（当前版本 {current}），请刷新后重试", "the record was changed by someone else (now version {current}); reload and try again"),
    "validation_failed": ("输入有误，共 {count} 处", "the input has {count} problem(s)"),
    "unauthorized": ("请先登录", "please sign in"),
    "bad_credentials": ("用户名或密码错误", "wrong username or password"),
    "forbidden": ("没有权限", "not allowed"),
    "no_app_access": ("你在应用「{app}」中没有角色，无权访问", "you hold no role in app {app!r}"),
    "forbidden_op": ("无权对表单「{form}」执行「{op}」操作", "you may not {op} records of form {form!r}"),
    "row_out_of_scope": ("该记录超出你可「{op}」的数据范围", "this record is outside the rows you may {op} in {form!r}"),
    "body_too_large": ("请求体过大（上限 {limit} 字节）", "the request body is too large (limit {limit} bytes)"),
    "app_exists": ("应用「{key}」已存在；请保存草稿并发布新版本", "app {key!r} already exists; save a draft and publish a new version"),
    "no_draft": ("应用「{key}」没有草稿", "app {key!r} has no draft"),
    "unknown_version": ("应用「{key}」没有版本 {version}", "app {key!r} has no version {version}"),
    "bad_query": ("查询参数有误", "bad query parameter"),
    "unknown_sort": ("不能按「{key}」排序", "cannot sort by {key!r}"),
    "too_many_items": ("最多 {limit} 项", "must have at most {limit} items"),
    "conflict": ("与并发写入冲突，请重试", "conflicted with a concurrent write; try again"),
    "method_not_allowed": ("不支持该请求方法", "method not allowed"),
    "internal": ("服务器内部错误", "internal server error"),
})


class ApiError(Exception):
    def __init__(self, status: int, code: str, details: list[Problem] | None = None, **params: Any):
        self.status, self.code, self.params = status, code, params
        self.details = details or []
        super().__init__(code)

    def body(self, lang: str) -> dict:
        return {"error": {
            "code": self.code,
            "message": Problem("", self.code, self.params).message(lang),
            "details": [detail(p, lang) for p in self.details],
        }}


def detail(problem: Problem, lang: str) -> dict:
    detail = {"path": problem.path, "code": problem.code, "message": problem.message(lang)}
    if "position" in problem.params:  # where in an expression's text, for editors to underline
        detail["position"] = problem.params["position"]
    return detail


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", what=what)
