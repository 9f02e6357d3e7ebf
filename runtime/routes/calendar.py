"""The working calendar (工作日历) administrators keep for durations counted in working days (SLA deadlines,
delays): public holidays, and the weekend days worked instead (调休), set a year at a time."""
from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, delete, insert, select

from engines.problems import MESSAGES, Problem, ProblemsError, pointer
from runtime.deps import AdminUser, CurrentUser, PlatformDep
from runtime.models import work_calendar

router = APIRouter(prefix="/api/admin/calendar", tags=["admin"])

MESSAGES.update({
    "calendar_wrong_year": ("日期 {day} 不在 {year} 年内", "{day} is not in {year}"),
    "calendar_both": ("日期 {day} 不能既是假日又是调休上班日", "{day} cannot be both a holiday and a working day"),
    "calendar_not_weekend": ("调休上班日 {day} 不是周末", "{day} is not a weekend day, so it is worked anyway"),
})


class Day(BaseModel):
    model_config = ConfigDict(extra="forbid")
    day: date
    note: str | None = Field(default=None, max_length=100)


class YearBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    holidays: list[Day] = Field(default_factory=list, max_length=366)
    workdays: list[Day] = Field(default_factory=list, max_length=120, description="weekend days worked (调休)")


def _year_of(year: int):
    return and_(work_calendar.c.day >= date(year, 1, 1), work_calendar.c.day <= date(year, 12, 31))


@router.get("/{year}")
async def get_year(year: int, platform: PlatformDep, user: CurrentUser) -> dict:
    """Anyone signed in may read it (the inbox shows deadlines in working days)."""
    async with platform.engine.connect() as conn:
        rows = (await conn.execute(select(work_calendar).where(_year_of(_checked(year)))
                                   .order_by(work_calendar.c.day))).all()
    return {"year": year,
            "holidays": [{"day": r.day.isoformat(), "note": r.note} for r in rows if not r.working],
            "workdays": [{"day": r.day.isoformat(), "note": r.note} for r in rows if r.working]}


@router.put("/{year}")
async def put_year(year: int, body: YearBody, platform: PlatformDep, user: AdminUser) -> dict:
    """Replaces the year's holidays and worked weekend days (holidays may name weekend days, as official notices
    do; a worked day must be a weekend day)."""
    _checked(year)
    problems = []
    holidays = {d.day for d in body.holidays}
    for name, days in (("holidays", body.holidays), ("workdays", body.workdays)):
        for i, item in enumerate(days):
            where, day = pointer(name, i, "day"), item.day.isoformat()
            if item.day.year != year:
                problems.append(Problem(where, "calendar_wrong_year", {"day": day, "year": year}))
            elif name == "workdays" and item.day in holidays:
                problems.append(Problem(where, "calendar_both", {"day": day}))
            elif name == "workdays" and item.day.weekday() < 5:
                problems.append(Problem(where, "calendar_not_weekend", {"day": day}))
    if problems:
        raise ProblemsError(problems)
    rows = {d.day: dict(day=d.day, working=False, note=d.note) for d in body.holidays}
    rows.update({d.day: dict(day=d.day, working=True, note=d.note) for d in body.workdays})
    async with platform.begin() as conn:
        await conn.execute(delete(work_calendar).where(_year_of(year)))
        if rows:
            await conn.execute(insert(work_calendar), list(rows.values()))
    return await get_year(year, platform, user)


def _checked(year: int) -> int:
    if year < 1970:
        raise ProblemsError([Problem("/year", "too_small", {"limit": 1970})])
    if year > 2200:
        raise ProblemsError([Problem("/year", "too_large", {"limit": 2200})])
    return year
