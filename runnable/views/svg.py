"""A small layered layout for ``runnable graph --format svg`` when graphviz is not installed.

Each graph is a column of steps in topological order (one layer per step); a composite is a box
holding its branches side by side, each branch laid out the same way. ``next`` edges between
neighbouring steps are straight arrows; other edges (``on_failure``, jumps) curve along the right.
Plain geometry and ``html.escape``: no dependency, and the same definition always gives the same file.
"""

from __future__ import annotations

from html import escape
from typing import Any

from runnable.ir.model import Definition, Graph
from runnable.views.graph import branches, describe, ordered, root_graph, title

CHAR = 6.6  # average width of one 11px character
STEP_H, GAP, PAD, TITLE_H, MAX_CHARS = 34, 26, 12, 20, 48
COLOURS = {"success": ("#e3f4e8", "#2e9d57"), "fail": ("#fbe4e4", "#d64545")}


def _clip(text: str) -> str:
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"


class Block:
    """A laid-out element: its size and how to draw it at a position."""

    width: float
    height: float

    def draw(self, x: float, y: float, out: list[str]) -> None:
        raise NotImplementedError


class StepBlock(Block):
    def __init__(self, name: str, kind: str, detail: str) -> None:
        self.name, self.kind, self.detail = _clip(name), kind, _clip(detail if detail != kind else "")
        self.width = max(120.0, CHAR * max(len(self.name), len(self.detail)) + 2 * PAD)
        self.height = STEP_H if self.detail else 24

    def draw(self, x: float, y: float, out: list[str]) -> None:
        fill, stroke = COLOURS.get(self.kind, ("#ffffff", "#52606d"))
        radius = 12 if self.kind in COLOURS else 5
        out.append(f'<g class="step" data-type="{escape(self.kind)}"><rect x="{x:.1f}" y="{y:.1f}" '
                   f'width="{self.width:.1f}" height="{self.height}" rx="{radius}" fill="{fill}" stroke="{stroke}"/>')
        centre = x + self.width / 2
        out.append(f'<text x="{centre:.1f}" y="{y + 15:.1f}" text-anchor="middle" font-weight="600">'
                   f"{escape(self.name)}</text>")
        if self.detail:
            out.append(f'<text x="{centre:.1f}" y="{y + 28:.1f}" text-anchor="middle" fill="#52606d" '
                       f'font-size="10">{escape(self.detail)}</text>')
        out.append("</g>")


class GraphBlock(Block):
    """A column of steps with arrows."""

    def __init__(self, graph: Graph) -> None:
        self.nodes = ordered(graph)
        self.blocks = [_block(node) for node in self.nodes]
        self.width = max(b.width for b in self.blocks) + 40  # room for edges that curve on the right
        self.height = sum(b.height for b in self.blocks) + GAP * (len(self.blocks) - 1)

    def draw(self, x: float, y: float, out: list[str]) -> None:
        boxes: dict[str, tuple[float, float, float, float]] = {}
        top = y
        inner = self.width - 40
        for node, block in zip(self.nodes, self.blocks):
            left = x + (inner - block.width) / 2
            block.draw(left, top, out)
            boxes[node.name] = (left, top, block.width, block.height)
            top += block.height + GAP
        order = [node.name for node in self.nodes]
        for node in self.nodes:
            for target, failure in ((node.next, False), (node.on_failure, True)):
                if target is None or target not in boxes:
                    continue
                self._edge(boxes[node.name], boxes[target], failure,
                           order.index(target) == order.index(node.name) + 1 and not failure, x + inner, out)

    @staticmethod
    def _edge(source: tuple[float, float, float, float], target: tuple[float, float, float, float], failure: bool,
              adjacent: bool, right: float, out: list[str]) -> None:
        colour = "#d64545" if failure else "#52606d"
        dash = ' stroke-dasharray="4 3"' if failure else ""
        if adjacent:
            cx = source[0] + source[2] / 2
            out.append(f'<path class="edge" d="M{cx:.1f},{source[1] + source[3]:.1f} V{target[1] - 2:.1f}" '
                       f'stroke="{colour}" fill="none" marker-end="url(#arrow)"{dash}/>')
            return
        sx, sy = source[0] + source[2], source[1] + source[3] / 2
        tx, ty = target[0] + target[2], target[1] + target[3] / 2
        bend = right + 16
        out.append(f'<path class="edge{" failure" if failure else ""}" d="M{sx:.1f},{sy:.1f} C{bend:.1f},{sy:.1f} '
                   f'{bend:.1f},{ty:.1f} {tx + 2:.1f},{ty:.1f}" stroke="{colour}" fill="none" '
                   f'marker-end="url(#arrow)"{dash}/>')


class CompositeBlock(Block):
    """A composite: a titled box holding its branches side by side, each under its label."""

    def __init__(self, node: Any) -> None:
        self.title = _clip(f"{node.name} · {describe(node)}")
        self.kind = node.type
        self.branches = [(_clip(label), GraphBlock(graph)) for label, graph in branches(node)]
        inner = sum(b.width for _, b in self.branches) + PAD * (len(self.branches) - 1)
        self.width = max(inner, CHAR * len(self.title)) + 2 * PAD
        self.height = TITLE_H + TITLE_H + max(b.height for _, b in self.branches) + 2 * PAD

    def draw(self, x: float, y: float, out: list[str]) -> None:
        out.append(f'<g class="composite" data-type="{escape(self.kind)}"><rect x="{x:.1f}" y="{y:.1f}" '
                   f'width="{self.width:.1f}" height="{self.height:.1f}" rx="8" fill="#f5f7fa" stroke="#9aa3ad"/>')
        out.append(f'<text x="{x + PAD:.1f}" y="{y + 16:.1f}" font-weight="600">{escape(self.title)}</text>')
        left = x + PAD
        for label, block in self.branches:
            out.append(f'<rect x="{left - 4:.1f}" y="{y + TITLE_H + 2:.1f}" width="{block.width + 8:.1f}" '
                       f'height="{block.height + TITLE_H + PAD + 6:.1f}" rx="6" fill="none" stroke="#c3c9d0" '
                       'stroke-dasharray="3 3"/>')
            out.append(f'<text x="{left:.1f}" y="{y + TITLE_H + 16:.1f}" fill="#52606d" font-style="italic">'
                       f"{escape(label)}</text>")
            block.draw(left, y + 2 * TITLE_H + PAD, out)
            left += block.width + PAD
        out.append("</g>")


def _block(node: Any) -> Block:
    return CompositeBlock(node) if branches(node) else StepBlock(node.name, node.type, describe(node))


def draw(definition: Definition) -> str:
    """The whole SVG document."""
    body = GraphBlock(root_graph(definition))
    heading = _clip(title(definition))
    width = max(body.width, CHAR * len(heading)) + 2 * PAD
    height = body.height + TITLE_H + 2 * PAD
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="Helvetica, Arial, sans-serif" font-size="11">',
           "<!-- drawn by runnable's built-in layered layout (graphviz 'dot' was not used) -->",
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#52606d"/></marker></defs>',
           f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
           f'<text x="{PAD}" y="{PAD + 10}" font-size="13" font-weight="600">{escape(heading)}</text>']
    body.draw(PAD, PAD + TITLE_H, out)
    out.append("</svg>")
    return "\n".join(out) + "\n"
