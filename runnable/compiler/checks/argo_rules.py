"""Rules for Argo kinds beyond their schema: names, references, entrypoints, dependencies and cycles.

The vendored Argo schema (``argo_schema``) checks types and unknown keys; Argo's
controller rejects the rest at submit or run time, so it is checked here first.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from runnable.compiler.checks import argo_schema
from runnable.compiler.checks.kube_rules import (dig, mappings, metadata_problems, mount_problems, negative_counts,
                                                 resources_problems, syntax_problem)
from runnable.ir.errors import closest

_DEPENDS_TOKEN = re.compile(r"&&|\|\||[!()]|[^\s&|!()]+")
_DEPENDS_OPERAND = re.compile(r"([a-zA-Z0-9][-a-zA-Z0-9]*)(?:\.([A-Za-z]+))?")
TASK_RESULTS = ("Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed")


# ---------------------------------------------------------------- Argo kinds

def workflow_templates(documents: list[Any]) -> dict[str, set[str]]:
    """WorkflowTemplate name -> its template names, for templateRefs between the documents."""
    found: dict[str, set[str]] = {}
    for document in documents:
        if isinstance(document, dict) and document.get("kind") == "WorkflowTemplate":
            name = dig(document, "metadata", "name")
            if isinstance(name, str):
                found[name] = {t["name"] for _, t in mappings(dig(document, "spec", "templates"))
                               if isinstance(t.get("name"), str)}
    return found


def argo_problems(document: dict[str, Any], shared: dict[str, set[str]]) -> list[str]:
    messages = [f"{path}: {message}" for path, message in argo_schema.validate(document)]
    kind = document["kind"]
    if kind == "WorkflowEventBinding":
        return messages
    if kind == "CronWorkflow":
        spec = document.get("spec")
        if isinstance(spec, dict):
            if "schedule" in spec:
                messages.append("spec.schedule: Argo 4 removed spec.schedule; use a list: schedules: [...]")
            elif isinstance(spec.get("schedules"), list) and not spec["schedules"]:
                messages.append("spec.schedules: a CronWorkflow needs at least one schedule")
        spec_path = "spec.workflowSpec"
    else:
        spec_path = "spec"
    spec = dig(document, *spec_path.split("."))
    if isinstance(spec, dict):
        messages += _WorkflowSpecCheck(spec, spec_path, kind, shared).run()
    shared_volumes = _volume_names(spec) if isinstance(spec, dict) else set()
    if isinstance(spec, dict):
        messages += negative_counts(spec, ("parallelism", "activeDeadlineSeconds"), spec_path)
    for position, template in mappings(spec.get("templates") if isinstance(spec, dict) else None):
        where = f"{spec_path}.templates.{position}"
        messages += metadata_problems(template.get("metadata"), f"{where}.metadata")
        messages += negative_counts(template, ("parallelism",), where)
        volumes = shared_volumes | {v.get("name") for _, v in mappings(template.get("volumes"))}
        for place, container in _template_containers(template, where):
            messages += resources_problems(container.get("resources"), f"{place}.resources")
            if "workflowTemplateRef" not in spec:
                messages += mount_problems(container, volumes, place)
    if isinstance(spec, dict):
        for part in ("podMetadata", "workflowMetadata"):
            messages += metadata_problems(spec.get(part), f"{spec_path}.{part}")
    if kind == "CronWorkflow":
        messages += metadata_problems(dig(document, "spec", "workflowMetadata"), "spec.workflowMetadata")
    return messages


def _volume_names(spec: dict[str, Any]) -> set[Any]:
    """Volumes every template of a workflow may mount: its volumes and its volume claim templates."""
    names = {volume.get("name") for _, volume in mappings(spec.get("volumes"))}
    names |= {dig(claim, "metadata", "name") for _, claim in mappings(spec.get("volumeClaimTemplates"))}
    return names


def _template_containers(template: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for part in ("container", "script"):
        if isinstance(template.get(part), dict):
            yield f"{where}.{part}", template[part]
    for part in ("initContainers", "sidecars"):
        for position, container in mappings(template.get(part)):
            yield f"{where}.{part}.{position}", container
    for position, container in mappings(dig(template, "containerSet", "containers")):
        yield f"{where}.containerSet.containers.{position}", container


class _WorkflowSpecCheck:
    """What Argo's own validation rejects at submit time and no schema says: names, references, cycles."""

    def __init__(self, spec: dict[str, Any], where: str, kind: str, shared: dict[str, set[str]]) -> None:
        self.spec, self.where, self.kind, self.shared = spec, where, kind, shared
        self.messages: list[str] = []
        self.templates: dict[str, int] = {}
        # With a workflowTemplateRef the templates live in another object: references cannot be checked here.
        self.external = "workflowTemplateRef" in spec

    def add(self, where: str, message: str) -> None:
        self.messages.append(f"{where}: {message}")

    def run(self) -> list[str]:
        where = self.where
        templates = mappings(self.spec.get("templates"))
        for position, template in templates:
            name = template.get("name")
            place = f"{where}.templates.{position}.name"
            if not isinstance(name, str) or not name:
                self.add(place, "every template needs a name")
                continue
            problem = _name_problem(name)
            if problem:
                self.add(place, f"{problem} (a template name)")
            if name in self.templates:
                self.add(place, f"{name!r} is also the name of template {self.templates[name]}")
            else:
                self.templates[name] = position
        entrypoint = self.spec.get("entrypoint")
        if entrypoint is None:
            if self.kind in ("Workflow", "CronWorkflow") and not self.external:
                self.add(f"{where}.entrypoint", "missing: name the template the run starts with")
        else:
            self.reference(f"{where}.entrypoint", entrypoint)
        if "onExit" in self.spec:
            self.reference(f"{where}.onExit", self.spec["onExit"])
        self.hooks(self.spec.get("hooks"), f"{where}.hooks")
        for position, template in templates:
            self.template(template, f"{where}.templates.{position}")
        return self.messages

    def reference(self, where: str, name: Any) -> None:
        """``name`` must be one of this spec's templates."""
        if self.external or (isinstance(name, str) and "{{" in name):
            return
        if not isinstance(name, str) or name not in self.templates:
            self.add(where, f"no template named {name!r}.{closest(str(name), self.templates)}")

    def template_ref(self, where: str, ref: Any) -> None:
        """A templateRef into a WorkflowTemplate among the same documents must name one of its templates."""
        if not isinstance(ref, dict) or ref.get("clusterScope") or not isinstance(ref.get("name"), str) \
                or ref["name"] not in self.shared:
            return
        names = self.shared[ref["name"]]
        if not isinstance(ref.get("template"), str) or ref["template"] not in names:
            self.add(f"{where}.template", f"WorkflowTemplate {ref['name']!r} has no template named "
                                          f"{ref.get('template')!r}.{closest(str(ref.get('template')), names)}")

    def hooks(self, hooks: Any, where: str) -> None:
        for key, hook in (hooks.items() if isinstance(hooks, dict) else ()):
            if isinstance(hook, dict):
                if "template" in hook:
                    self.reference(f"{where}.{key}.template", hook["template"])
                self.template_ref(f"{where}.{key}.templateRef", hook.get("templateRef"))

    def template(self, template: dict[str, Any], where: str) -> None:
        dag = template.get("dag")
        if isinstance(dag, dict):
            self.dag(dag, f"{where}.dag")
        steps = template.get("steps")
        if isinstance(steps, list):
            self.steps(steps, f"{where}.steps")

    def invocation(self, item: dict[str, Any], where: str) -> None:
        """A DAG task or a step: exactly one of template, templateRef, inline; each must resolve."""
        template = item.get("template")
        if type(template) is str and template in self.templates and "templateRef" not in item \
                and "inline" not in item:
            pass  # the usual case, checked without building any path text
        else:
            given = [key for key in ("template", "templateRef", "inline") if item.get(key) is not None]
            if len(given) != 1:
                self.add(where, f"needs exactly one of template, templateRef or inline "
                                f"(has {', '.join(given) or 'none'})")
            if template is not None:
                self.reference(f"{where}.template", template)
            if "templateRef" in item:
                self.template_ref(f"{where}.templateRef", item["templateRef"])
            if isinstance(item.get("inline"), dict):
                self.template(item["inline"], f"{where}.inline")
        if "onExit" in item:
            self.reference(f"{where}.onExit", item["onExit"])
        if "hooks" in item:
            self.hooks(item["hooks"], f"{where}.hooks")

    def named(self, items: list[tuple[int, dict[str, Any]]], where: str, what: str) -> dict[str, int]:
        """Names of tasks or steps: present, valid and unique; name -> position of its first use."""
        names: dict[str, int] = {}
        for position, item in items:
            name = item.get("name")
            place = f"{where}.{position}.name"
            if not isinstance(name, str) or not name:
                self.add(place, f"every {what} needs a name")
                continue
            problem = _name_problem(name)
            if problem:
                self.add(place, f"{problem} (a {what} name)")
            if name in names:
                self.add(place, f"{name!r} is also the name of {what} {names[name]}")
            else:
                names[name] = position
        return names

    def steps(self, groups: list[Any], where: str) -> None:
        flat = [(f"{g}.{s}", step) for g, group in enumerate(groups) if isinstance(group, list)
                for s, step in mappings(group)]
        names: dict[str, str] = {}
        for place, step in flat:
            name = step.get("name")
            if not isinstance(name, str) or not name:
                self.add(f"{where}.{place}.name", "every step needs a name")
                continue
            problem = _name_problem(name)
            if problem:
                self.add(f"{where}.{place}.name", f"{problem} (a step name)")
            if name in names:
                self.add(f"{where}.{place}.name", f"{name!r} is also the name of step {names[name]}")
            names.setdefault(name, place)
            self.invocation(step, f"{where}.{place}")

    def dag(self, dag: dict[str, Any], where: str) -> None:
        tasks = mappings(dag.get("tasks"))
        names = self.named(tasks, f"{where}.tasks", "task")
        graph: dict[str, list[str]] = {}
        for position, task in tasks:
            place = f"{where}.tasks.{position}"
            self.invocation(task, place)
            needs = self.dependencies(task, place, names)
            name = task.get("name")
            if type(name) is str:
                graph[name] = graph[name] + needs if name in graph else needs
        target = dag.get("target")
        if isinstance(target, str) and "{{" not in target:
            for name in target.split():
                if name not in names:
                    self.add(f"{where}.target", f"{name!r} is not a task of this DAG.{closest(name, names)}")
        cycle = _cycle(graph)
        if cycle:
            self.add(f"{where}.tasks", f"dependency cycle: {' -> '.join(cycle)}")

    def dependencies(self, task: dict[str, Any], where: str, names: dict[str, int]) -> list[str]:
        """Tasks this task waits for; a name that is not a task of the same DAG is a problem."""
        dependencies, depends = task.get("dependencies"), task.get("depends")
        if depends is None and dependencies is None:
            return []
        if type(depends) is str and dependencies is None:  # the usual cases: "task" and "task.Succeeded"
            if depends in names:
                return [depends]
            name, dot, result = depends.partition(".")
            if dot and name in names and result in TASK_RESULTS:
                return [name]
        needs: list[str] = []
        if dependencies is not None and depends is not None:
            self.add(where, "use depends or dependencies, not both")
        if isinstance(dependencies, list):
            for position, name in enumerate(dependencies):
                if isinstance(name, str) and name in names:
                    needs.append(name)
                else:
                    self.add(f"{where}.dependencies.{position}",
                             f"{name!r} is not a task of this DAG.{closest(str(name), names)}")
        if isinstance(depends, str):
            for token in _DEPENDS_TOKEN.findall(depends):
                if token in ("&&", "||", "!", "(", ")"):
                    continue
                match = _DEPENDS_OPERAND.fullmatch(token)
                if match is None:
                    self.add(f"{where}.depends", f"cannot read {token!r}: expected a task name, optionally with "
                                                 f".{'/.'.join(TASK_RESULTS)}")
                    continue
                name, result = match.groups()
                if name not in names:
                    self.add(f"{where}.depends", f"{name!r} is not a task of this DAG.{closest(name, names)}")
                else:
                    needs.append(name)
                if result is not None and result not in TASK_RESULTS:
                    self.add(f"{where}.depends", f"{token!r}: {result!r} is not a task result "
                                                 f"({', '.join(TASK_RESULTS)})")
        return needs


def _name_problem(name: str) -> str:
    """Template, task and step names: DNS-1123 labels, since pod names and node ids are made of them."""
    return syntax_problem(name, "label", 63)


def _cycle(graph: dict[str, list[str]]) -> list[str]:
    """One dependency cycle (first node repeated at the end), or [] when there is none."""
    waiting = {name: len(needs) for name, needs in graph.items()}
    dependents: dict[str, list[str]] = {}
    for name, needs in graph.items():
        for need in needs:
            dependents.setdefault(need, []).append(name)
    ready = [name for name, count in waiting.items() if not count]
    while ready:  # Kahn's order: whatever never becomes ready is on a cycle or waits for one
        for dependent in dependents.get(ready.pop(), ()):
            waiting[dependent] -= 1
            if not waiting[dependent]:
                ready.append(dependent)
    stuck = [name for name, count in waiting.items() if count]
    if not stuck:
        return []
    # Every stuck task waits for another stuck task: walk those waits until a task repeats.
    stuck_set = set(stuck)
    path: list[str] = []
    on_path: dict[str, int] = {}
    name = stuck[0]
    while name not in on_path:
        on_path[name] = len(path)
        path.append(name)
        name = next(need for need in graph[name] if need in stuck_set)
    return path[on_path[name]:] + [name]
