"""``runnable timeline``: the console tree and the HTML page of real runs, and of awkward run logs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.helpers import cli
from tests.views.runs import big_map, task, write_run


def page_data(path: Path) -> dict:
    text = path.read_text()
    found = re.search(r'<script type="application/json" id="run-data">(.*?)</script>', text, re.S)
    assert found, "the page carries its data inline"
    return json.loads(found.group(1))


def bars(rows: list[dict]) -> list[tuple[str, int, str]]:
    out = []
    for row in rows:
        out += [(row["path"], bar[3], bar[2]) for bar in row.get("bars", [])]
        out += bars(row.get("children", []))
    return out


def run_example(project: Path, example: str, run_id: str) -> None:
    cli(["run", example, "--run-id", run_id], project)


def test_retried_steps_show_every_attempt_in_tree_and_page(project: Path) -> None:
    run_example(project, "examples/09-retry/retry.py", "r1")
    result = cli(["timeline", "r1", "-o", "r1.html", "--no-open"], project)
    assert result.returncode == 0, result.stderr
    tree = result.stdout
    assert "flaky" in tree and "attempt 1: FAIL" in tree and "attempt 3: SUCCESS" in tree
    assert "needs fix" in tree and "FAIL" in tree.splitlines()[0]
    assert "python: examples.common.functions:flaky" in tree
    data = page_data(project / "r1.html")
    assert [(s, n, st) for s, n, st in bars(data["rows"]) if s == "flaky"] == [
        ("flaky", 1, "FAIL"), ("flaky", 2, "FAIL"), ("flaky", 3, "SUCCESS")]


def test_page_is_self_contained(project: Path) -> None:
    run_example(project, "examples/06-parallel/nesting.py", "n1")
    assert cli(["timeline", "n1", "-o", "n1.html", "--no-console"], project).returncode == 0
    text = (project / "n1.html").read_text()
    assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', text), "no resource is fetched from a network"
    data = page_data(project / "n1.html")
    assert len([b for b in bars(data["rows"]) if b[0].endswith(".square")]) == 16  # 4 outer items x 4 inner
    depths = {row["path"]: row["d"] for row in data["rows"] if row["k"] == "step"}
    assert depths["outer.1.fan.maps.inner.2.square"] == 6  # map, item, parallel, branch, map, item


def test_run_given_by_folder_or_saved_json(project: Path) -> None:
    run_example(project, "examples/07-map/map.py", "m1")
    saved = cli(["show", "m1", "--json"], project).stdout
    (project / "m1.json").write_text(saved)
    by_file = cli(["timeline", "m1.json", "-o", "a.html", "--no-open"], project)
    by_folder = cli(["timeline", ".run_log_store/m1", "-o", "b.html", "--no-open"], project)
    assert by_file.returncode == 0 and by_folder.returncode == 0, by_file.stderr + by_folder.stderr
    assert bars(page_data(project / "a.html")["rows"]) == bars(page_data(project / "b.html")["rows"])


def test_script_in_names_and_values_is_text(project: Path) -> None:
    evil = "<script>document.title='owned'</script>"
    write_run(project, "x1", [task(evil, 0, 10, value=evil + "</script><b>")], name=evil)
    result = cli(["timeline", "x1", "-o", "x.html", "--no-open"], project)
    assert result.returncode == 0, result.stderr
    text = (project / "x.html").read_text()
    assert "<script>document" not in text and "</script><b>" not in text
    assert text.count("<script") == 2  # the data block and the page's own script
    data = page_data(project / "x.html")
    assert data["rows"][0]["path"] == evil
    assert data["details"][0]["input"]["value"] == evil + "</script><b>"


def test_a_run_in_progress_is_shown_running(project: Path) -> None:
    write_run(project, "p1", [task("first", 0, 10), task("second", 20, None, "PROCESSING")], status="PROCESSING",
              end=None)
    result = cli(["timeline", "p1", "-o", "p.html", "--no-open"], project)
    assert result.returncode == 0, result.stderr
    assert "PROCESSING  running" in result.stdout.splitlines()[0]
    assert "… PROCESSING  second" in result.stdout
    assert bars(page_data(project / "p.html")["rows"])[-1] == ("second", 1, "PROCESSING")


def test_a_big_map_collapses_into_one_summary_row(project: Path) -> None:
    write_run(project, "big", big_map(10_000), status="FAIL", end=20_000)
    result = cli(["timeline", "big", "-o", "big.html", "--no-open"], project)
    assert result.returncode == 0, result.stderr
    assert "9990 more branches (9990 success)" in result.stdout  # the first ten and the failed one are shown
    page = project / "big.html"
    assert page.stat().st_size < 5_000_000
    rows = page_data(page)["rows"]
    assert [r["k"] for r in rows] == ["step", "step", "summary"]
    assert rows[2]["counts"] == {"SUCCESS": 9999, "FAIL": 1}
    assert len(bars(rows)) == 10_002


def test_bad_input_is_one_line_and_writes_nothing(project: Path) -> None:
    unknown = cli(["timeline", "nope", "-o", "n.html", "--no-open"], project)
    assert unknown.returncode != 0 and unknown.stderr.startswith("Error: No run with id 'nope'")
    assert len(unknown.stderr.strip().splitlines()) == 1
    write_run(project, "d1", [task("a", 0, 1)])
    (project / ".run_log_store" / "d1" / "run.json").write_text('{"run_id": "d1", "kind"')
    damaged = cli(["timeline", "d1", "-o", "d.html", "--no-open"], project)
    assert damaged.returncode == 2 and "damaged" in damaged.stderr and len(damaged.stderr.strip().splitlines()) == 1
    write_run(project, "ok", [task("a", 0, 1)])
    (project / "out").mkdir()
    folder = cli(["timeline", "ok", "-o", "out", "--no-open"], project)
    assert folder.returncode == 2 and "is a folder" in folder.stderr
    (project / "junk.json").write_text("[1, 2")
    junk = cli(["timeline", "junk.json", "-o", "j.html", "--no-open"], project)
    assert junk.returncode == 2 and "not a readable run log" in junk.stderr
    assert not any(project.glob("*.html")) and list((project / "out").iterdir()) == []
