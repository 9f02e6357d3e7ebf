"""The region list of mainland China for region and address pickers: one level at a time."""
from __future__ import annotations

from fastapi import APIRouter, Query

from engines.form.fields.places import region_children, region_tree
from runtime.deps import CurrentUser
from runtime.errors import not_found

router = APIRouter(prefix="/api", tags=["regions"])


@router.get("/regions")
async def regions(user: CurrentUser, parent: str | None = Query(default=None, max_length=12,
                                                                 description="a region code; none for the provinces")) -> list[dict]:
    """[{"code": "440300", "name": "深圳市", "leaf": false}, …] below `parent`, in code order."""
    if parent is not None and parent not in region_tree().by_code:
        raise not_found(f"region {parent!r}")
    return region_children(parent)
