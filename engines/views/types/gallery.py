"""A gallery: a card per record with the first picture of an image field as its cover."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from engines.form.fields.base import KEY_PATTERN
from engines.views.definition import ViewBase
from engines.views.types.base import ViewType


class GalleryViewDef(ViewBase):
    type: Literal["gallery"]
    cover: str | None = Field(default=None, pattern=KEY_PATTERN, description="an image field: the card's cover")
    title: str | None = Field(default=None, pattern=KEY_PATTERN,
                              description="the card's title; default the title field")
    fields: list[str] = Field(default_factory=list, max_length=10, description="fields shown under the title")


class GalleryView(ViewType):
    key = "gallery"
    model = GalleryViewDef
    label = ("画廊", "Gallery")

    def problems(self, view: GalleryViewDef, check) -> list:
        if view.cover:
            check.field_of(view.cover, "/cover", "image")
        if view.title:
            check.value_field(view.title, "/title")
        check.columns(view.fields, "/fields")
        return []
