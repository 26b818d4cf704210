"""The timeline page in a real headless Chromium: the drawn DOM has one bar per attempt, with its status."""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.helpers import cli
from tests.views.runs import task, write_run


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        if os.environ.get("CI"):
            pytest.fail("the page tests need Chromium in CI (.ci/page-tools.sh installs it)")
        pytest.skip("no chromium on PATH")
    return found


def browser(page: Path, *mode: str, fragment: str = "") -> str:
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--window-size=1400,900", f"--user-data-dir={page.parent / '.chromium'}", *mode,
               page.as_uri() + fragment]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


class Drawn(HTMLParser):
    """The bars and the title of a dumped DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.bars: list[tuple[str, int, str]] = []
        self.title = ""
        self._in_title = False
        self.elements: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.elements.append(tag)
        self._in_title = tag == "title"
        if "bar" in (values.get("class") or "").split():
            self.bars.append((values["data-step"] or "", int(values["data-attempt"] or 0), values["data-status"] or ""))

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False


def drawn(page: Path) -> Drawn:
    parser = Drawn()
    parser.feed(browser(page, "--dump-dom"))
    return parser


@pytest.mark.parametrize("example", ["06-parallel/parallel.py", "06-parallel/nesting.py", "07-map/map.py",
                                     "09-retry/retry.py"])
def test_one_bar_per_attempt_with_its_status(project: Path, example: str, tmp_path: Path) -> None:
    cli(["run", f"examples/{example}", "--run-id", "seen"], project)
    assert cli(["timeline", "seen", "-o", "seen.html", "--no-open", "--no-console"], project).returncode == 0
    shown = sorted(drawn(project / "seen.html").bars)
    expected = sorted((step["internal_name"], attempt["number"], attempt["status"])
                      for step in __import__("json").loads(cli(["show", "seen", "--json"], project).stdout)[
                          "steps"].values() for attempt in step["attempts"])
    assert shown == expected and shown
    browser(project / "seen.html", f"--screenshot={tmp_path / 'timeline.png'}")
    assert (tmp_path / "timeline.png").stat().st_size > 10_000


def test_script_in_a_step_name_does_not_run(project: Path) -> None:
    evil = "<script>document.title='owned'</script><img src=x onerror=\"document.title='owned'\">"
    write_run(project, "x1", [task(evil, 0, 10, value=evil)], name=evil)
    assert cli(["timeline", "x1", "-o", "x.html", "--no-open"], project).returncode == 0
    page = drawn(project / "x.html")
    assert page.title.startswith("run x1") and "owned" not in page.title
    assert page.bars == [(evil, 1, "SUCCESS")]
    assert "img" not in page.elements
    from urllib.parse import quote

    opened = Drawn()  # the details panel of the step, opened by its link, shows the values as text
    opened.feed(browser(project / "x.html", "--dump-dom", fragment="#step=" + quote(evil, safe="")))
    assert "img" not in opened.elements and "owned" not in opened.title
    dom = browser(project / "x.html", "--dump-dom", fragment="#step=" + quote(evil, safe=""))
    assert "parameters read" in dom and "&lt;img src=x onerror=" in dom


def test_a_run_in_progress_is_drawn_running(project: Path) -> None:
    write_run(project, "p1", [task("first", 0, 10), task("second", 20, None, "PROCESSING")], status="PROCESSING",
              end=None)
    assert cli(["timeline", "p1", "-o", "p.html", "--no-open"], project).returncode == 0
    dom = browser(project / "p.html", "--dump-dom")
    assert ">RUNNING</span>" in dom
    assert drawn(project / "p.html").bars == [("first", 1, "SUCCESS"), ("second", 1, "PROCESSING")]
