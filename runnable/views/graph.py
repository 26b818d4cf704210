"""``runnable graph``: a definition's structure without running it, as a terminal tree, Mermaid, DOT or SVG.

Everything is drawn from the IR: steps in topological order, ``next`` edges solid and ``on_failure``
edges dashed, and each composite (Parallel, Map, Conditional, Loop) a cluster holding one cluster per
branch. Output is deterministic (ids come from each step's position), so it can be committed and
reviewed. SVG comes from graphviz's ``dot`` when it is installed, else from :mod:`runnable.views.svg`.
"""

from __future__ import annotations

from typing import Any, Iterator

from runnable.ir.model import Definition, Graph, Node

COMPOSITE_TYPES = ("parallel", "map", "conditional", "loop")


def _task_text(task: Any) -> str:
    return f"{task.kind}: {task.command}" if task is not None else ""


def describe(node: Node) -> str:
    """One line saying what a step does: its command, or how a composite runs its branches."""
    kind = node.type
    if kind == "task":
        return _task_text(getattr(node, "task", None))
    if kind == "map":
        text = f"map over {node.iterate_on}" + (f" as {node.iterate_as}" if node.iterate_as else "")  # type: ignore[attr-defined]
        return text + (f", reduced by {node.reducer}" if getattr(node, "reducer", "") else "")
    if kind == "loop":
        limit = getattr(node, "max_iterations", 0)
        return f"loop until {node.break_on}" + (f" (at most {limit})" if limit else "")  # type: ignore[attr-defined]
    if kind == "conditional":
        return f"branch on {node.parameter}"  # type: ignore[attr-defined]
    return kind


def branches(node: Node) -> list[tuple[str, Graph]]:
    """A composite's branches with the label each is shown under."""
    if node.type == "parallel" or node.type == "conditional":
        found = [(key, graph) for key, graph in getattr(node, "branches", {}).items()]
        default = getattr(node, "default", None)
        if default is not None:
            found.append(("(default)", default))
        return found
    if node.type == "map":
        return [("each item", node.branch)]  # type: ignore[attr-defined]
    if node.type == "loop":
        return [("each iteration", node.branch)]  # type: ignore[attr-defined]
    return []


def ordered(graph: Graph) -> list[Node]:
    """Steps in topological order, without the implicit end steps nothing leads to (every graph has a
    ``fail`` step that only matters when a step names it)."""
    from runnable.compiler.plan import topological_order

    reached = {graph.start_at}
    for node in graph.nodes.values():
        reached.update(name for name in (node.next, node.on_failure) if name)
    return [graph.nodes[name] for name in topological_order(graph)
            if name in reached or graph.nodes[name].type not in ("success", "fail")]


def root_graph(definition: Definition) -> Graph:
    """A job is drawn as a one-step graph."""
    if definition.graph is not None:
        return definition.graph
    from runnable.ir.model import Graph as GraphClass
    from runnable.ir.model import make_node
    from runnable.ir.names import JOB_STEP

    return GraphClass(start_at=JOB_STEP, nodes={JOB_STEP: make_node("task", JOB_STEP, task=definition.job)})


def title(definition: Definition) -> str:
    return f"{definition.kind} {definition.name}".rstrip()


def named(definition: Definition, fallback: str) -> Definition:
    """The definition, titled by ``fallback`` (its file) when it has no name of its own."""
    if not definition.name and fallback:
        definition.name = fallback
    return definition


class Ids:
    """Stable ids: n1, n2, ... in drawing order, so the same definition always gives the same text."""

    def __init__(self) -> None:
        self.count = 0
        self.by_path: dict[str, str] = {}

    def of(self, path: str) -> str:
        if path not in self.by_path:
            self.count += 1
            self.by_path[path] = f"n{self.count}"
        return self.by_path[path]


def edges(graph: Graph) -> Iterator[tuple[str, str, bool]]:
    """(from, to, is_on_failure) within one graph."""
    for node in ordered(graph):
        if node.next:
            yield node.name, node.next, False
        if node.on_failure:
            yield node.name, node.on_failure, True


# -- terminal tree ---------------------------------------------------------------------


def tree(definition: Definition) -> str:
    lines = [title(definition)]
    _tree_graph(lines, root_graph(definition), "")
    return "\n".join(lines) + "\n"


def _tree_graph(lines: list[str], graph: Graph, indent: str) -> None:
    nodes = ordered(graph)
    for position, node in enumerate(nodes):
        last = position == len(nodes) - 1
        text = f"{node.name}  [{node.type}]"
        what = describe(node)
        if what and what != node.type:
            text += f"  {what}"
        if node.on_failure:
            text += f"  (on failure: {node.on_failure})"
        lines.append(indent + ("└─ " if last else "├─ ") + text)
        inner = indent + ("   " if last else "│  ")
        found = branches(node)
        for index, (label, branch) in enumerate(found):
            final = index == len(found) - 1
            lines.append(inner + ("└─ " if final else "├─ ") + f"({label})")
            _tree_graph(lines, branch, inner + ("   " if final else "│  "))


# -- Mermaid ---------------------------------------------------------------------------


def mermaid_text(text: str) -> str:
    """A label inside ["..."]: Mermaid's entity codes for what would end or change the label."""
    return (text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
            .replace("\n", " "))


def mermaid(definition: Definition) -> str:
    ids = Ids()
    lines = ["flowchart TD"]
    _mermaid_graph(lines, root_graph(definition), "", ids, "  ")
    lines += ["  classDef success fill:#e3f4e8,stroke:#2e9d57", "  classDef fail fill:#fbe4e4,stroke:#d64545"]
    return "\n".join(lines) + "\n"


def _mermaid_graph(lines: list[str], graph: Graph, prefix: str, ids: Ids, pad: str) -> None:
    for node in ordered(graph):
        path = prefix + node.name
        node_id = ids.of(path)
        what = describe(node)
        label = mermaid_text(node.name + (f" · {what}" if what and what != node.type else ""))
        found = branches(node)
        if found:
            lines.append(f'{pad}subgraph {node_id}["{mermaid_text(node.name)} · {mermaid_text(what)}"]')
            lines.append(f"{pad}  direction TB")
            for index, (key, branch) in enumerate(found):
                branch_id = ids.of(f"{path}.[{key}]")
                lines.append(f'{pad}  subgraph {branch_id}["{mermaid_text(key)}"]')
                _mermaid_graph(lines, branch, f"{path}.{index}.", ids, pad + "    ")
                lines.append(f"{pad}  end")
            lines.append(f"{pad}end")
        elif node.type == "success":
            lines.append(f'{pad}{node_id}(["{label}"]):::success')
        elif node.type == "fail":
            lines.append(f'{pad}{node_id}(["{label}"]):::fail')
        else:
            lines.append(f'{pad}{node_id}["{label}"]')
    for source, target, failure in edges(graph):
        arrow = "-. on failure .->" if failure else "-->"
        lines.append(f"{pad}{ids.of(prefix + source)} {arrow} {ids.of(prefix + target)}")


# -- DOT -------------------------------------------------------------------------------


def dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot(definition: Definition) -> str:
    ids = Ids()
    lines = [f"digraph {dot_text(title(definition))} {{", "  compound=true;", "  rankdir=TB;",
             '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize=11];',
             '  edge [fontname="Helvetica", fontsize=9];']
    _dot_graph(lines, root_graph(definition), "", ids, "  ")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_graph(lines: list[str], graph: Graph, prefix: str, ids: Ids, pad: str) -> None:
    clusters: dict[str, str] = {}
    for node in ordered(graph):
        path = prefix + node.name
        node_id = ids.of(path)
        what = describe(node)
        label = node.name + (f"\n{what}" if what and what != node.type else "")
        found = branches(node)
        if found:
            clusters[node.name] = f"cluster_{node_id}"
            lines.append(f"{pad}subgraph cluster_{node_id} {{")
            lines.append(f'{pad}  label={dot_text(f"{node.name} · {what}")}; style="rounded"; color="#9aa3ad";')
            lines.append(f'{pad}  {node_id} [label={dot_text(node.type)}, shape=folder, fillcolor="#f5f7fa"];')
            for index, (key, branch) in enumerate(found):
                branch_id = ids.of(f"{path}.[{key}]")
                lines.append(f"{pad}  subgraph cluster_{branch_id} {{")
                lines.append(f'{pad}    label={dot_text(key)}; style="dashed"; color="#c3c9d0";')
                _dot_graph(lines, branch, f"{path}.{index}.", ids, pad + "    ")
                lines.append(f"{pad}  }}")
                start = ids.of(f"{path}.{index}.{branch.start_at}")
                lines.append(f'{pad}  {node_id} -> {start} [style=dotted, arrowhead=none];')
            lines.append(f"{pad}}}")
        elif node.type in ("success", "fail"):
            colour = "#e3f4e8" if node.type == "success" else "#fbe4e4"
            lines.append(f'{pad}{node_id} [label={dot_text(label)}, shape=oval, fillcolor="{colour}"];')
        else:
            lines.append(f"{pad}{node_id} [label={dot_text(label)}];")
    for source, target, failure in edges(graph):
        attributes = []
        if source in clusters:
            attributes.append(f"ltail={clusters[source]}")
        if target in clusters:
            attributes.append(f"lhead={clusters[target]}")
        if failure:
            attributes += ["style=dashed", 'label="on failure"', 'color="#d64545"']
        extra = f" [{', '.join(attributes)}]" if attributes else ""
        lines.append(f"{pad}{ids.of(prefix + source)} -> {ids.of(prefix + target)}{extra};")


# -- SVG -------------------------------------------------------------------------------


def svg(definition: Definition, layout: str = "auto") -> tuple[str, str]:
    """(SVG text, which layout drew it: 'graphviz' or 'builtin'). ``layout``: auto, graphviz or builtin."""
    import shutil

    from runnable.ir.errors import RunnableError

    dot_program = shutil.which("dot")
    if layout == "graphviz" and not dot_program:
        raise RunnableError("--layout graphviz needs graphviz's 'dot' on PATH; install graphviz or use "
                            "--layout builtin.")
    if dot_program and layout in ("auto", "graphviz"):
        import subprocess

        drawn = subprocess.run([dot_program, "-Tsvg"], input=dot(definition), capture_output=True, text=True)
        if drawn.returncode != 0:
            raise RunnableError(f"graphviz 'dot' failed: {drawn.stderr.strip()}")
        return drawn.stdout, "graphviz"
    from runnable.views.svg import draw

    return draw(definition), "builtin"


FORMATS = ("tree", "mermaid", "dot", "svg")


def render(definition: Definition, fmt: str, layout: str = "auto") -> tuple[str, str]:
    """(text, a note for the user: which layout drew an SVG, else '')."""
    if fmt == "tree":
        return tree(definition), ""
    if fmt == "mermaid":
        return mermaid(definition), ""
    if fmt == "dot":
        return dot(definition), ""
    if fmt == "svg":
        text, drawn_by = svg(definition, layout)
        return text, f"SVG drawn by {'graphviz dot' if drawn_by == 'graphviz' else 'the built-in layered layout'}"
    from runnable.ir.errors import RunnableError

    raise RunnableError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}.")


README_START = "<!-- runnable graph: start (rewritten by 'runnable compile --graph') -->"
README_END = "<!-- runnable graph: end -->"


def readme_with_graph(existing: str, definition: Definition, source: str) -> str:
    """``existing`` README text with the definition's Mermaid graph in its own marked section.

    The section is replaced on every compile and the rest of the file kept, so a reviewer's notes
    survive and the graph in a GitOps repository always matches the manifests next to it.
    """
    section = (f"{README_START}\n## Pipeline graph\n\nRendered from `{source or title(definition)}`.\n\n"
               f"```mermaid\n{mermaid(definition)}```\n{README_END}\n")
    if README_START in existing and README_END in existing:
        before, _, rest = existing.partition(README_START)
        _, _, after = rest.partition(README_END)
        return before + section.rstrip("\n") + after
    if not existing:
        return f"# {title(definition)}\n\n" + section
    return existing.rstrip("\n") + "\n\n" + section
