"""``runnable graph`` and ``compile --graph``: the structure of a definition, in four formats, never run."""

from __future__ import annotations

import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.helpers import cli, write_module

REPO = Path(__file__).resolve().parents[2]
GRAPH_EXAMPLES = ["02-sequential/on_failure_fail.py", "02-sequential/conditional.py", "06-parallel/nesting.py",
                  "07-map/map.py", "10-loop/loop.py", "11-jobs/python_tasks.py"]
FORMATS = {"mermaid": "graph.mmd", "dot": "graph.dot", "tree": "graph.txt"}

HOSTILE = '''
from runnable import Pipeline, ShellTask, Stub, Parallel

def main():
    odd = 'say "hi" <img src=x onerror=alert(1)> & #1'
    pipeline = Pipeline(steps=[
        ShellTask(name=odd, command='echo "<b>" > out.txt'),
        Parallel(name="fan <i>", branches={"a\\"b": Pipeline(steps=[Stub(name="x")])}),
    ])
    pipeline.execute()
    return pipeline
'''


def golden(path: Path, text: str) -> None:
    if os.environ.get("UPDATE_GOLDEN") == "1" and not os.environ.get("CI"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.is_file(), f"missing {path.relative_to(REPO)}; run UPDATE_GOLDEN=1 pytest {__file__}"
    assert text == path.read_text(), f"output drifted from {path.relative_to(REPO)}"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("example", GRAPH_EXAMPLES)
def test_graph_goldens(example: str, fmt: str, project: Path) -> None:
    result = cli(["graph", f"examples/{example}", "--format", fmt], project)
    assert result.returncode == 0, result.stderr
    assert not (project / ".run_log_store").exists(), "drawing a graph runs nothing"
    golden(REPO / "golden" / example.removesuffix(".py") / "graph" / FORMATS[fmt], result.stdout)


def test_composites_are_clusters(project: Path) -> None:
    text = cli(["graph", "examples/06-parallel/nesting.py", "--format", "dot"], project).stdout
    assert text.count("subgraph cluster_") == 7  # three composites, four branches
    mermaid = cli(["graph", "examples/06-parallel/nesting.py", "--format", "mermaid"], project).stdout
    lines = [line.strip() for line in mermaid.splitlines()]
    assert sum(line.startswith("subgraph ") for line in lines) == lines.count("end") == 7


def test_builtin_svg_is_well_formed_and_says_so(project: Path) -> None:
    result = cli(["graph", "examples/06-parallel/nesting.py", "--format", "svg", "--layout", "builtin"], project)
    assert result.returncode == 0 and "built-in layered layout" in result.stderr
    root = ET.fromstring(result.stdout)
    svg = "{http://www.w3.org/2000/svg}"
    groups = root.iter(f"{svg}g")
    kinds = sorted(g.get("data-type") or "" for g in groups)
    assert kinds.count("map") == 2 and kinds.count("parallel") == 1 and kinds.count("task") == 2


@pytest.mark.skipif(not shutil.which("dot"), reason="graphviz is not installed")
def test_svg_by_graphviz_when_installed(project: Path) -> None:
    result = cli(["graph", "examples/07-map/map.py", "--format", "svg"], project)
    assert result.returncode == 0 and "graphviz dot" in result.stderr
    assert ET.fromstring(result.stdout).tag.endswith("svg")


def test_hostile_names_stay_text_in_every_format(project: Path) -> None:
    write_module(project, "hostile", HOSTILE)
    mermaid = cli(["graph", "hostile.py", "--format", "mermaid"], project)
    assert mermaid.returncode == 0, mermaid.stderr
    assert "<img" not in mermaid.stdout and '"hi"' not in mermaid.stdout
    assert "say #quot;hi#quot; #lt;img src=x onerror=alert(1)#gt; & #35;1" in mermaid.stdout
    dot = cli(["graph", "hostile.py", "--format", "dot"], project).stdout
    assert 'label="say \\"hi\\" <img src=x onerror=alert(1)> & #1\\nshell: echo \\"<b>\\" > out.txt"' in dot
    svg = cli(["graph", "hostile.py", "--format", "svg", "--layout", "builtin"], project).stdout
    texts = [t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert "say \"hi\" <img src=x onerror=alert(1)> & #1" in texts
    assert not [e for e in ET.fromstring(svg).iter() if e.tag.endswith(("script", "img"))]


def test_bad_input(project: Path) -> None:
    missing = cli(["graph", "nope.py"], project)
    assert missing.returncode == 2 and missing.stderr.startswith("Error:") and "does not exist" in missing.stderr
    (project / "out").mkdir()
    folder = cli(["graph", "examples/07-map/map.py", "-o", "out"], project)
    assert folder.returncode == 2 and "is a folder" in folder.stderr and not list((project / "out").iterdir())


def test_compile_graph_adds_the_mermaid_graph_to_the_folder_readme(project: Path) -> None:
    args = ["compile", "examples/07-map/map.py", "--target", "argo", "-c", "examples/configs/argo-config.yaml",
            "-o", "deploy", "--graph"]
    (project / "deploy").mkdir()
    (project / "deploy" / "README.md").write_text("# Our pipeline\n\nNotes kept by reviewers.\n")
    assert cli(args, project).returncode == 0
    readme = (project / "deploy" / "README.md").read_text()
    assert readme.startswith("# Our pipeline\n\nNotes kept by reviewers.\n")
    assert "```mermaid\nflowchart TD\n" in readme and readme.count("```mermaid") == 1
    assert cli(args, project).returncode == 0 and (project / "deploy" / "README.md").read_text() == readme
    assert cli([*args, "--check"], project).returncode == 0
    plain = ["compile", "examples/07-map/map.py", "--target", "argo", "-c", "examples/configs/argo-config.yaml",
             "-o", "plain"]
    assert cli(plain, project).returncode == 0 and not (project / "plain" / "README.md").exists()
    refused = cli(["compile", "examples/07-map/map.py", "--graph"], project)
    assert refused.returncode == 2 and "--graph" in refused.stderr
