"""Return kinds and the catalog declaration, as users write them."""

from __future__ import annotations

from typing import Iterable, Union

from runnable.ir.errors import DefinitionError
from runnable.ir.model import CatalogSpec, ReturnSpec

TaskReturns = ReturnSpec


def json(name: str) -> ReturnSpec:  # noqa: A001 - runnable's public name
    """A JSON value stored in the run log."""
    return ReturnSpec(name=name, kind="json")


def pickled(name: str) -> ReturnSpec:
    """A Python object, pickled into the run's catalog and loaded by later steps."""
    return ReturnSpec(name=name, kind="object")


def metric(name: str) -> ReturnSpec:
    """A JSON value that is also recorded as a metric of the step."""
    return ReturnSpec(name=name, kind="metric")


def to_return_specs(returns: Iterable[Union[str, ReturnSpec]] | None, where: str) -> list[ReturnSpec]:
    specs: list[ReturnSpec] = []
    if returns is None:
        return specs
    if isinstance(returns, (str, ReturnSpec)):
        raise DefinitionError(f"{where}: returns must be a list, e.g. returns=[{returns!r}].")
    for item in returns:
        if isinstance(item, str):
            specs.append(ReturnSpec(name=item, kind="json"))
        elif isinstance(item, ReturnSpec):
            specs.append(ReturnSpec(name=item.name, kind=item.kind))
        else:
            raise DefinitionError(
                f"{where}: each return is a name or json()/pickled()/metric(), got {item!r}."
            )
    return specs


class Catalog:
    """Files to get from the run's catalog before a step and to put into it after."""

    def __init__(self, *, get: list[str] | None = None, put: list[str] | None = None, store_copy: bool = True):
        for label, value in (("get", get), ("put", put)):
            if value is not None and (isinstance(value, str) or not all(isinstance(v, str) for v in value)):
                raise DefinitionError(f"Catalog({label}=...) takes a list of glob strings, got {value!r}.")
        self.get = list(get or [])
        self.put = list(put or [])
        self.store_copy = bool(store_copy)

    def to_spec(self) -> CatalogSpec:
        return CatalogSpec(get=list(self.get), put=list(self.put), store_copy=self.store_copy)

    def __repr__(self) -> str:
        return f"Catalog(get={self.get!r}, put={self.put!r}, store_copy={self.store_copy!r})"


def checked_secrets(secrets: list[str] | None, where: str) -> list[str]:
    if secrets is not None and (isinstance(secrets, str) or not all(isinstance(s, str) for s in secrets)):
        raise DefinitionError(f"{where}: secrets must be a list of names, got {secrets!r}.")
    return list(secrets or [])


def checked_catalog(catalog: Catalog | None, where: str) -> Catalog | None:
    if catalog is not None and not isinstance(catalog, Catalog):
        raise DefinitionError(f"{where}: catalog must be a Catalog(...), got {catalog!r}.")
    return catalog


def checked_command(command: object, where: str) -> str:
    if not isinstance(command, str) or not command.strip():
        raise DefinitionError(f"{where}: command must be a non-empty string.")
    return command
