"""Targets: one protocol, one registry.

A target is where a definition goes: run here (``local``, ``local-container``) or rendered
into an orchestrator's files (``ir``, ``compose``, ``k8s``, ``argo``). Each is one module
holding one :class:`Target`, which declares its name, the executor types it serves with
their configuration keys, the composites it expands natively and what it can do
(``render``; the engine that applies, waits for, shows and retries what it rendered).
Compile, execute, apply, validate, configuration checking, the CLI's choices and the
tests read :data:`REGISTRY`; nothing else switches on a target's name.

Modules are imported only when a target is asked for, so ``import runnable`` and a
container's ``execute-step`` pay for none of the renderers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, ClassVar

from runnable.ir.checkers import TypeSpec
from runnable.ir.errors import DefinitionError, unknown_choice
from runnable.ir.model import ConditionalNode, LoopNode, MapNode, ParallelNode
from runnable.ir.record import Record, factory

if TYPE_CHECKING:
    from runnable.ir.model import Definition

#: Target name -> the module whose ``TARGET`` it is. A new target is one line here.
REGISTRY: dict[str, str] = {
    "local": "runnable.compiler.local",
    "local-container": "runnable.compiler.local_container",
    "emulator": "runnable.compiler.emulator",
    "ir": "runnable.compiler.ir",
    "compose": "runnable.compiler.compose",
    "k8s": "runnable.compiler.k8s",
    "argo": "runnable.compiler.argo",
}

#: The composite node classes; a target's ``expands`` names those it turns into its own constructs.
COMPOSITES: frozenset[type] = frozenset({ParallelNode, MapNode, ConditionalNode, LoopNode})


class RenderRequest(Record):
    """What a render may use besides the definition: all optional."""

    config: Any = None  # a checked runnable.config.Config
    image: str = ""  # --image
    source: str = ""  # the definition's file, project-relative (headers, names)
    kind: str = ""  # --kind (Argo)
    output: str = ""  # where the files will be written (compose mounts paths relative to it)
    fmt: str = "yaml"  # --format of the text targets (yaml or json)
    config_file: str = ""  # the -c file, as given (compose passes it to its containers)
    parameters: dict[str, Any] = factory(dict)  # initial parameter values known when rendering (Argo exposes them)


class Rendered(Record):
    """A render's result: files by name, and the objects they hold when the target renders manifests."""

    files: dict[str, str] = factory(dict)
    documents: list[dict[str, Any]] = factory(list)
    text: str = ""  # what is printed without -o
    notices: list[str] = factory(list)  # accepted settings that change nothing here, and why (one line each)
    stream_file: str = ""  # where the stream goes without -o (runnable's output_file), '' for standard output


class Target:
    """The protocol every target module implements through one instance named ``TARGET``."""

    name: ClassVar[str] = ""
    #: executor section ('pipeline-executor'/'job-executor') -> executor type -> its configuration keys
    executors: ClassVar[dict[str, dict[str, TypeSpec]]] = {}
    #: composite kinds this target turns into its own constructs; the others run whole in one container
    expands: ClassVar[frozenset[type]] = frozenset()
    #: the override key a step names this target by (``overrides={"argo": "big"}``)
    override_key: ClassVar[str] = ""
    #: 'text' (one document), 'folder' (files), 'manifests' (Kubernetes objects as files), '' (runs only)
    output: ClassVar[str] = ""
    #: executing with this target's executor renders and submits instead of running here
    submits: ClassVar[bool] = False
    #: the module under runnable.apply that applies, waits for and inspects what this target renders
    engine: ClassVar[str] = ""
    #: the whole pipeline runs in one container (a Kubernetes Job's pod)
    one_container: ClassVar[bool] = False
    #: render options this target reads besides the definition and config (the CLI refuses the others)
    options: ClassVar[frozenset[str]] = frozenset()
    #: the module under runnable.runtime whose ``runner_for(config, kind, store)`` runs each task
    #: somewhere other than the walker's process (a container, a fresh process); '' runs them in it
    runner: ClassVar[str] = ""

    def render(self, definition: Definition, request: RenderRequest) -> Rendered:
        raise DefinitionError(f"The {self.name} target runs definitions; it renders nothing. "
                              f"Compile with one of: {', '.join(renderable())}.")

    def refuse_override(self, path: str, override: str, whole: str | None) -> str:
        """Why the step at ``path`` cannot have its override here ('' when it is honoured).

        ``whole`` names the enclosing composite this target runs whole in one container.
        """
        if whole is None:
            return ""
        what = f"the composite {whole!r}" if whole else "the whole pipeline"
        return (f"Step {path!r} asks for override {override!r} (overrides[{self.override_key!r}]), but the "
                f"{self.name} target runs {what} in one container, with one image and one set of resources. "
                f"Remove the override, or use a target that gives each step its own container (argo).")

    #: a composite step's override (Map, Parallel, Conditional, Loop) shapes its own construct here
    composite_overrides: ClassVar[bool] = False

    def refuse_composite_override(self, path: str, override: str) -> str:
        """Why the composite step at ``path`` cannot have its override here ('' when it is honoured)."""
        if self.composite_overrides:
            return ""
        return (f"Step {path!r} is a composite with override {override!r} (overrides[{self.override_key!r}]), but "
                f"the {self.name} target has no construct of its own for a composite to shape (such as Argo's "
                f"parallelism on its template). Remove the override from the composite, or put it on the task "
                f"steps inside it, or use the argo target.")

    def check_renderable(self) -> None:
        if not self.output:
            self.render(None, RenderRequest())  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"<target {self.name}>"


def render(definition: Definition, target_name: str = "ir", config: Any = None, **options: Any) -> Rendered:
    """Render a definition for a target by name (options: those of :class:`RenderRequest`)."""
    chosen = target(target_name)
    chosen.check_renderable()
    return chosen.render(definition, RenderRequest(config=config, **options))


def register(name: str, module: str) -> None:
    """Add a target (tests and extensions); its module must define ``TARGET``."""
    REGISTRY[name] = module
    _LOADED.pop(name, None)


def unregister(name: str) -> None:
    REGISTRY.pop(name, None)
    _LOADED.pop(name, None)


_LOADED: dict[str, Target] = {}


def target(name: str) -> Target:
    """The target named ``name``; an unknown name gets the list and the closest one."""
    found = _LOADED.get(name)
    if found is not None:
        return found
    if name not in REGISTRY:
        raise DefinitionError(unknown_choice("target", name, REGISTRY))
    loaded = importlib.import_module(REGISTRY[name]).TARGET
    if loaded.name != name:
        raise DefinitionError(f"{REGISTRY[name]} declares target {loaded.name!r}, registered as {name!r}.")
    _LOADED[name] = loaded
    return loaded  # type: ignore[no-any-return]


def targets() -> list[Target]:
    return [target(name) for name in REGISTRY]


def renderable() -> list[str]:
    """Names of the targets ``runnable compile`` can render into."""
    return [t.name for t in targets() if t.output]


def executor_spec(section: str, executor_type: str) -> tuple[Target, TypeSpec] | None:
    """The target serving an executor type in a section, and that type's keys; None when none does."""
    for name in REGISTRY:
        found = target(name)
        spec = found.executors.get(section, {}).get(executor_type)
        if spec is not None:
            return found, spec
    return None


def executor_types(section: str) -> dict[str, TypeSpec]:
    """Every executor type of a section, in registry order."""
    return {kind: spec for t in targets() for kind, spec in t.executors.get(section, {}).items()}


def target_for_executor(executor_type: str) -> Target:
    for section in ("pipeline-executor", "job-executor"):
        found = executor_spec(section, executor_type)
        if found is not None:
            return found[0]
    raise DefinitionError(f"No target serves executor type {executor_type!r}.")
