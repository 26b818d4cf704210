"""Parameters: where the first ones come from, how functions receive them, how returns go back.

A parameter is stored as ``{"kind": "json"|"object"|"metric", "value": ...}``. Objects
hold the catalog file name of their pickle; the runtime loads them on demand.
"""

from __future__ import annotations

import json
import os
import sys
import typing
from types import FunctionType
from typing import Any, Callable, Mapping

from runnable.ir.errors import ParameterError
from runnable.ir.model import ReturnSpec
from runnable.ir.names import check_parameter_name

PARAMETER_ENV_PREFIX = "RUNNABLE_PRM_"
PARAMETERS_FILE_ENV = "RUNNABLE_PARAMETERS_FILE"

Parameters = dict[str, dict[str, Any]]


def initial_parameters(parameters_file: str | os.PathLike[str] | None) -> Parameters:
    """Parameters of a new run: the YAML file, then ``RUNNABLE_PRM_<name>`` overrides."""
    params: Parameters = {}
    path = parameters_file or os.environ.get(PARAMETERS_FILE_ENV)
    if path:
        from runnable.runtime.loading import project_file

        params.update(_read_parameters_file(project_file(os.fspath(path))))
    for key, raw in sorted(os.environ.items()):
        if not key.startswith(PARAMETER_ENV_PREFIX):
            continue
        name = key[len(PARAMETER_ENV_PREFIX):]
        # runnable lowercases every name; we keep the name as written and only fall back
        # to the lowercase spelling when that is the parameter the file defines.
        if name not in params and name.lower() in params:
            name = name.lower()
        check_parameter_name(name, f"environment variable {key}")
        params[name] = {"kind": "json", "value": decode_env_value(raw)}
    return params


def decode_env_value(raw: str) -> Any:
    """JSON when it parses (``5`` is an int, ``"5"`` a string); otherwise the text itself.

    ``NaN`` and ``Infinity`` are not JSON, so they stay text: a run record must stay valid JSON.
    """
    try:
        return json.loads(raw, parse_constant=_not_json)
    except ValueError:
        return raw


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _read_parameters_file(path: str) -> Parameters:
    from runnable.ir.reading import read_yaml_file

    try:
        data = read_yaml_file(path)
    except FileNotFoundError:
        raise ParameterError(f"Parameters file {str(path)!r} does not exist.") from None
    except (IsADirectoryError, PermissionError) as exc:
        raise ParameterError(f"Parameters file {str(path)!r} cannot be read: {exc}.") from None
    except ValueError as exc:
        raise ParameterError(f"Parameters file {str(path)!r} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParameterError(
            f"Parameters file {str(path)!r} must be a mapping of name: value, got {type(data).__name__}."
        )
    params: Parameters = {}
    for name, value in data.items():
        check_parameter_name(name, f"Parameters file {str(path)!r}")
        try:
            json.dumps(value, allow_nan=False)
        except ValueError:
            raise ParameterError(
                f"Parameters file {str(path)!r}: {name!r} holds NaN or an infinity, which JSON (and so the run "
                f"record) cannot hold; quote it ('nan') to pass it as text."
            ) from None
        except TypeError:
            raise ParameterError(
                f"Parameters file {str(path)!r}: {name!r} has a value JSON cannot hold ({type(value).__name__})."
            ) from None
        params[name] = {"kind": "json", "value": value}
    return params


# -- binding ---------------------------------------------------------------------------


def bind_arguments(
    function: Callable[..., Any],
    params: Mapping[str, dict[str, Any]],
    load_object: Callable[[str, dict[str, Any]], Any],
    where: str,
) -> tuple[dict[str, Any], list[str]]:
    """Keyword arguments for ``function`` by name, cast to its annotations, and the names read.

    Every value is a fresh copy, so a function that mutates an argument changes nothing
    for later steps, in-process exactly as in a container.
    """
    slots, var_keyword = _signature(function)
    namespace_type = _namespace_type()
    kwargs: dict[str, Any] = {}
    consumed: set[str] = set()
    for name, annotation, required in slots:
        if namespace_type is not None and annotation is namespace_type:
            values = {k: _value(k, v, load_object) for k, v in params.items()}
            kwargs[name] = namespace_type(**values)
            consumed.update(values)
            continue
        if name in params:
            value = _value(name, params[name], load_object)
            kwargs[name] = cast_to(annotation, value, name, where)
            consumed.add(name)
        elif required:
            available = ", ".join(sorted(params)) or "none"
            raise ParameterError(
                f"{where}: function {function.__qualname__} requires parameter {name!r}, which is not set. "
                f"Available parameters: {available}. Set it in the parameters file, with "
                f"{PARAMETER_ENV_PREFIX}{name}, or return it from an earlier step."
            )
    if var_keyword:
        for name, spec in params.items():
            if name not in consumed and name not in kwargs:
                kwargs[name] = _value(name, spec, load_object)
                consumed.add(name)
    return kwargs, sorted(consumed)


_SIGNATURES: dict[Callable[..., Any], tuple[list[tuple[str, Any, bool]], bool]] = {}


def _signature(function: Callable[..., Any]) -> tuple[list[tuple[str, Any, bool]], bool]:
    """(name, annotation, required) per named argument, and whether ``**kwargs`` is taken; cached.

    Plain functions are read from their code object; ``inspect`` (slow to import) is only
    used for other callables.
    """
    cached = _SIGNATURES.get(function)
    if cached is not None:
        return cached
    if type(function) is not FunctionType or hasattr(function, "__wrapped__"):
        result = _signature_from_inspect(function)  # methods, partials, decorated functions
    else:
        hints = _type_hints(function)
        code = function.__code__
        positional = code.co_argcount
        names = code.co_varnames[: positional + code.co_kwonlyargcount]
        defaults = function.__defaults__ or ()
        first_default = positional - len(defaults)
        kw_defaults = function.__kwdefaults__ or {}
        slots = []
        for index, name in enumerate(names):
            required = index < first_default if index < positional else name not in kw_defaults
            slots.append((name, hints.get(name, _EMPTY), required))
        result = (slots, bool(code.co_flags & _CO_VARKEYWORDS))
    _SIGNATURES[function] = result
    return result


_CO_VARKEYWORDS = 0x08
_EMPTY = object()


def _signature_from_inspect(function: Callable[..., Any]) -> tuple[list[tuple[str, Any, bool]], bool]:
    import inspect

    signature = inspect.signature(function)
    hints = _type_hints(function)
    slots: list[tuple[str, Any, bool]] = []
    var_keyword = False
    for name, param in signature.parameters.items():
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            var_keyword = True
        elif param.kind is not inspect.Parameter.VAR_POSITIONAL:
            annotation = hints.get(name, param.annotation)
            slots.append((name, _EMPTY if annotation is inspect.Parameter.empty else annotation,
                          param.default is inspect.Parameter.empty))
    return slots, var_keyword


def _namespace_type() -> Any:
    """argparse.Namespace if the user's code imported argparse (else nobody can annotate with it)."""
    argparse = sys.modules.get("argparse")
    return getattr(argparse, "Namespace", None)


def _value(name: str, spec: dict[str, Any], load_object: Callable[[str, dict[str, Any]], Any]) -> Any:
    if spec.get("kind") == "object":
        return load_object(name, spec)
    value = spec.get("value")
    if isinstance(value, (list, dict)):
        return json.loads(json.dumps(value))
    return value


def _type_hints(function: Callable[..., Any]) -> dict[str, Any]:
    annotations = getattr(function, "__annotations__", None) or {}
    if not any(isinstance(a, str) for a in annotations.values()):
        return dict(annotations)
    try:
        return typing.get_type_hints(function)
    except Exception:  # unresolvable forward references: keep the resolvable ones
        return {k: v for k, v in annotations.items() if not isinstance(v, str)}


def cast_to(annotation: Any, value: Any, name: str, where: str) -> Any:
    """Convert a JSON value to what the function declares: scalars, pydantic models, generics."""
    if annotation is _EMPTY or annotation is Any or value is None:
        return value
    validate = getattr(annotation, "model_validate", None)
    if validate is not None and isinstance(annotation, type):
        if isinstance(value, annotation):
            return value
        try:
            return validate(value)
        except Exception as exc:
            raise ParameterError(f"{where}: parameter {name!r} does not fit {annotation.__name__}: {exc}") from None
    origin = typing.get_origin(annotation)
    try:
        if annotation in (int, float, str) and not isinstance(value, annotation):
            if annotation is not str and isinstance(value, bool):
                raise ValueError("a boolean is not a number")
            return annotation(value)
        if annotation is bool and not isinstance(value, bool):
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            raise ValueError(f"{value!r} is not a boolean")
        if origin in (list, tuple, set, frozenset) and isinstance(value, (list, tuple)):
            args = typing.get_args(annotation)
            if origin is list and len(args) == 1:
                return [cast_to(args[0], v, name, where) for v in value]
            return origin(value)
        if origin is dict and isinstance(value, dict):
            args = typing.get_args(annotation)
            if len(args) == 2:
                return {k: cast_to(args[1], v, name, where) for k, v in value.items()}
            return value
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"{where}: parameter {name!r} = {value!r} cannot be converted to {getattr(annotation, '__name__', annotation)}: {exc}"
        ) from None
    return value


# -- returns ---------------------------------------------------------------------------


def split_returns(result: Any, returns: list[ReturnSpec], where: str) -> dict[str, Any]:
    """Match a function's result to its declared returns, positionally."""
    if not returns:
        return {}
    if len(returns) == 1:
        return {returns[0].name: result}
    if not isinstance(result, (tuple, list)):
        raise ParameterError(
            f"{where}: returns declares {len(returns)} values ({', '.join(r.name for r in returns)}) "
            f"but the function returned one {type(result).__name__}."
        )
    if len(result) != len(returns):
        raise ParameterError(
            f"{where}: returns declares {len(returns)} values ({', '.join(r.name for r in returns)}) "
            f"but the function returned {len(result)}."
        )
    return {spec.name: value for spec, value in zip(returns, result)}


def plain_value(value: Any) -> Any:
    """A returned pydantic model or dataclass as its JSON form (a dict); anything else as it is.

    Every task kind stores returns through here, so a later step's pydantic-typed
    parameter is cast from the same dict wherever the value came from.
    """
    if isinstance(value, type):
        return value
    dump = getattr(value, "model_dump", None)
    if dump is not None and callable(dump):
        return dump(mode="json")
    if hasattr(value, "__dataclass_fields__"):
        import dataclasses

        if dataclasses.is_dataclass(value):
            return {field.name: plain_value(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        converted = [plain_value(item) for item in value]
        return converted if any(a is not b for a, b in zip(converted, value)) else value
    if isinstance(value, dict):
        converted_dict = {key: plain_value(item) for key, item in value.items()}
        return converted_dict if any(converted_dict[k] is not value[k] for k in value) else value
    return value


def to_json_value(value: Any, name: str, where: str) -> Any:
    """A JSON-storable form of ``value`` (pydantic models are dumped), or a clear refusal."""
    value = plain_value(value)
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"{where}: return {name!r} is a {type(value).__name__}, which is not JSON-serialisable ({exc}). "
            f"Declare it as pickled({name!r}) to store it as an object."
        ) from None
