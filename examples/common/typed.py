"""Functions whose parameters are pydantic models (needs pydantic installed)."""

from __future__ import annotations

from pydantic import BaseModel


class ComplexParams(BaseModel):
    x: int
    foo: str


def read_pydantic(pydantic_param: ComplexParams, integer: int) -> ComplexParams:
    """A dict parameter arrives as the annotated pydantic model; returning one dumps it."""
    assert isinstance(pydantic_param, ComplexParams), type(pydantic_param)
    assert pydantic_param.x == 10 and integer == 1
    return ComplexParams(x=pydantic_param.x + 1, foo=pydantic_param.foo)
