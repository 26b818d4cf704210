"""The compose target: what it renders, what compose itself accepts, and failures on apply."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from runnable.compiler.names import unique_names
from tests.helpers import cli, write_module
from tests.test_examples import GOLDEN, read_run


def test_names_are_safe_stable_and_collision_free() -> None:
    names = unique_names(["Train Model", "train model", "par.a.step", "runnable-start"], {"runnable-start"})
    assert names["par.a.step"] == "par-a-step"
    assert names["Train Model"] != names["train model"]
    assert names["Train Model"].startswith("train-model-") and len(names["Train Model"]) == len("train-model-") + 6
    assert names["runnable-start"].startswith("runnable-start-")
    again = unique_names(["Train Model", "train model", "other"], set())
    assert again["Train Model"] == names["Train Model"]  # an unrelated step renames nothing


def test_every_golden_compose_file_passes_docker_compose_config(docker_image: str, tmp_path: Path) -> None:
    files = sorted(GOLDEN.rglob("compose/docker-compose.yaml"))
    assert files
    folder = tmp_path / "a" / "b"
    folder.mkdir(parents=True)
    (folder / "ir.json").write_text("{}")
    for path in files:
        (folder / "docker-compose.yaml").write_text(path.read_text())
        checked = subprocess.run(["docker", "compose", "-f", str(folder / "docker-compose.yaml"), "config", "-q"],
                                 capture_output=True, text=True, env=dict(os.environ, RUNNABLE_RUN_ID="check"))
        assert checked.returncode == 0, f"{path}: {checked.stderr}"


def test_secrets_are_names_in_the_file(project: Path) -> None:
    result = cli(["compile", "examples/03-parameters/use_secrets.py", "--target", "compose", "-o", "out"], project,
                  {"MY_SECRET": "value-that-must-not-appear"})
    assert result.returncode == 0, result.stderr
    text = (project / "out" / "docker-compose.yaml").read_text()
    assert "- MY_SECRET\n" in text and "value-that-must-not-appear" not in text


def test_a_hand_edited_invalid_file_is_refused_before_anything_runs(project: Path, docker_image: str) -> None:
    assert cli(["compile", "examples/01-tasks/stub.py", "--target", "compose", "-o", "out", "--image", docker_image],
                project).returncode == 0
    compose_file = project / "out" / "docker-compose.yaml"
    compose_file.write_text(compose_file.read_text().replace("    init: true\n", "    init: maybe\n", 1))
    result = cli(["apply", "out", "--run-id", "edited"], project)
    assert result.returncode == 2 and "is not a valid compose file" in result.stderr
    assert not (project / ".run_log_store" / "edited").exists()


def test_a_killed_step_fails_the_run(project: Path, docker_image: str) -> None:
    write_module(project, "killer", """
        import os, signal
        from runnable import Pipeline, PythonTask, Stub

        def killed() -> None:
            os.kill(os.getpid(), signal.SIGKILL)

        pipeline = Pipeline(steps=[PythonTask(name="killed", function=killed), Stub(name="after")])
    """)
    assert cli(["compile", "killer.py", "--target", "compose", "-o", "out", "--image", docker_image],
                project).returncode == 0
    result = cli(["apply", "out", "--run-id", "killed"], project)
    assert result.returncode == 1, result.stderr[-2000:]
    run_log = read_run(project, "killed")
    assert run_log.status == "FAIL"
    assert run_log.steps["killed"].status == "FAIL" and "did not finish" in run_log.steps["killed"].message
    leftover = subprocess.run(["docker", "ps", "-aq", "--filter", "label=com.docker.compose.project=runnable-killed"],
                              capture_output=True, text=True).stdout.split()
    assert leftover == []


def test_apply_needs_a_rendered_folder(project: Path) -> None:
    result = cli(["apply", "nowhere"], project)
    assert result.returncode == 2 and "neither a rendered folder nor a file" in result.stderr


def test_compose_needs_an_output_folder(project: Path) -> None:
    result = cli(["compile", "examples/01-tasks/stub.py", "--target", "compose"], project)
    assert result.returncode == 2 and "give a folder with -o DIR" in result.stderr


def test_hostile_names_and_values_survive_compose(project: Path, docker_image: str) -> None:
    """YAML specials, template markers, '$' and unicode in names reach the run log unchanged."""
    write_module(project, "hostile", """
        from runnable import Parallel, Pipeline, ShellTask, Stub

        pipeline = Pipeline(steps=[
            ShellTask(name="yes", command="export v='a: b {{ x }} ${HOME}'", returns=["v"]),
            ShellTask(name="cost $5 ${HOME}", command="true"),
            Parallel(name="{{ weird }}", branches={
                "no": Pipeline(steps=[ShellTask(name="ünïcode ✓", command="export u=ok", returns=["u"])]),
                "0123": Pipeline(steps=[Stub(name="on: off")]),
            }),
        ])
    """)
    assert cli(["compile", "hostile.py", "--target", "compose", "-o", "out", "--image", docker_image],
               project).returncode == 0
    result = cli(["apply", "out", "--run-id", "hostile"], project)
    assert result.returncode == 0, result.stderr[-2000:]
    run_log = read_run(project, "hostile")
    assert set(run_log.steps) == {"yes", "cost $5 ${HOME}", "{{ weird }}", "{{ weird }}.no.ünïcode ✓",
                                  "{{ weird }}.0123.on: off", "success"}
    assert run_log.parameter_values() == {"v": "a: b {{ x }} ${HOME}", "u": "ok"}


def test_max_parallel_chains_parallel_branches_and_runs_them_for_real(project: Path, docker_image: str) -> None:
    write_module(project, "capped", """
        from runnable import Parallel, Pipeline, ShellTask

        def branch(key):
            return Pipeline(steps=[ShellTask(name="work", command=f"echo {key}; sleep 1")])

        pipeline = Pipeline(steps=[Parallel(name="fan", max_parallel=2,
                                            branches={key: branch(key) for key in "abcde"})])
    """)
    assert cli(["compile", "capped.py", "--target", "compose", "-o", "out", "--image", docker_image],
               project).returncode == 0
    import yaml

    services = yaml.safe_load((project / "out" / "docker-compose.yaml").read_text())["services"]
    waits = {name: sorted(service.get("depends_on", {})) for name, service in services.items()}
    assert waits["fan-a-work"] == waits["fan-b-work"] == ["runnable-start"]
    assert waits["fan-c-work"] == ["fan-a-work"]
    assert waits["fan-e-work"] == ["fan-c-work"]

    result = cli(["apply", "out", "--run-id", "capped"], project)
    assert result.returncode == 0, result.stderr[-2000:]
    from datetime import datetime

    run_log = read_run(project, "capped")
    spans = [(datetime.fromisoformat(run_log.steps[f"fan.{k}.work"].attempts[-1].start_time),
              datetime.fromisoformat(run_log.steps[f"fan.{k}.work"].attempts[-1].end_time)) for k in "abcde"]
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans], key=lambda e: (e[0], e[1]))
    running = most = 0
    for _, change in events:
        running += change
        most = max(most, running)
    assert run_log.status == "SUCCESS" and most <= 2


def test_plain_docker_compose_up_chooses_a_run_id(project: Path, docker_image: str) -> None:
    """Users try `docker compose up` in the rendered folder first: it runs the pipeline under a new run id."""
    assert cli(["compile", "examples/06-parallel/parallel.py", "--target", "compose", "-o", "deploy", "--image",
                docker_image], project).returncode == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNABLE_")}
    name = f"plain-{os.getpid()}"
    compose = ["docker", "compose", "-p", name]
    try:
        for _ in range(2):  # a second `up` is a second run, not a replay of the first
            up = subprocess.run([*compose, "up", "--abort-on-container-failure", "--no-color"], cwd=project / "deploy",
                                env=env, capture_output=True, text=True, timeout=600)
            assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
            assert "chosen here: RUNNABLE_RUN_ID was not set" in up.stdout + up.stderr
    finally:
        subprocess.run([*compose, "down", "--volumes", "--remove-orphans"], cwd=project / "deploy", env=env,
                       capture_output=True)
    run_ids = sorted(p.name for p in (project / ".run_log_store").iterdir())
    assert len(run_ids) == 2
    for run_id in run_ids:
        run = read_run(project, run_id)
        assert run.status == "SUCCESS"
        assert {"total": 13, "product": 30, "echoed": 10}.items() <= run.parameter_values().items()
