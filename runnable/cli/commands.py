"""The ``runnable`` command. Wiring only: it finds definitions, loads config, and reports.

User mistakes print one line (no traceback) and exit 2; a run that failed exits 1.
"""

from __future__ import annotations

import functools
import json
import sys
from typing import Any, Callable

import click

from runnable.ir.errors import RunnableError


def _friendly(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn RunnableErrors into one clear line and the right exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except RunnableError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except BrokenPipeError:
            from runnable.compiler.container import quiet_broken_pipe

            sys.exit(quiet_broken_pipe())
        except OSError as exc:  # a folder that is a file, no permission, a full disk...
            where = f" ({exc.filename})" if exc.filename else ""
            click.echo(f"Error: {exc.strerror or exc}{where}.", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="runnable", prog_name="runnable")
def cli() -> None:
    """Describe a job or pipeline once in Python; run it anywhere."""


# -- commands --------------------------------------------------------------------------


def _progress_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--plain / --live / --no-progress: how a run shows its progress (default: live on a terminal)."""
    return click.option("--plain", "progress", flag_value="plain", help="One line per step, no live area.")(
        click.option("--live", "progress", flag_value="live", help="The live status area (needs rich).")(
            click.option("--no-progress", "progress", flag_value="off", help="No progress display.")(
                click.option("--progress", "progress", default="", hidden=True)(command))))


@cli.command()
@click.argument("target")
@click.option("-c", "--config", "config_file", default="", help="Configuration file (YAML).")
@click.option("-p", "--parameters", "parameters_file", default="", help="Initial parameters (YAML).")
@click.option("--run-id", default="", help="Run id to use (default: generated).")
@click.option("--tag", default="", help="Tag stored with the run.")
@click.option("--log-level", default="WARNING", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"],
                                                                  case_sensitive=False))
@_progress_options
@_friendly
def run(target: str, config_file: str, parameters_file: str, run_id: str, tag: str, log_level: str,
        progress: str) -> None:
    """Run a job or pipeline: FILE.py, FILE.py:NAME, or a YAML pipeline FILE.yaml."""
    from runnable.cli.discovery import resolve
    from runnable.cli.launch import LaunchOptions, execute_definition
    from runnable.ir.errors import ExecutionFailedError

    options = LaunchOptions(config_file, parameters_file, run_id, tag, log_level, source=_source(target),
                            progress=progress)
    try:
        obj, executed = resolve(target, options)
        if executed:
            run_log = executed[-1]
        else:
            from runnable.cli.launch import cli_options

            token = cli_options.set(options)
            try:
                run_log = execute_definition(obj)
            finally:
                cli_options.reset(token)
    except ExecutionFailedError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    sys.exit(0 if run_log.status == "SUCCESS" else 1)


@cli.command(name="compile")
@click.argument("target")
@click.option("--target", "target_name", default="ir", show_default=True,
              help="ir, compose, k8s, argo, or any registered target that renders.")
@click.option("-o", "--output", default="", help="Output file (ir) or folder (other targets); default: standard output.")
@click.option("--format", "fmt", default="yaml", type=click.Choice(["yaml", "json"]), show_default=True)
@click.option("-c", "--config", "config_file", default="", help="Configuration file (executor settings).")
@click.option("--image", default="", help="Container image (compose, k8s, argo).")
@click.option("--kind", default="", help="Argo kind: Workflow, WorkflowTemplate or CronWorkflow (default: from config).")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 with a diff when the -o folder is not up to date.")
@click.option("--graph", is_flag=True, help="Add the pipeline's Mermaid graph to the -o folder's README.md.")
@click.option("-p", "--parameters-file", default="",
              help="Initial parameters (argo: exposed as workflow arguments, as expose_parameters_as_inputs says).")
@click.option("--force", is_flag=True, help="Replace the rendering of another definition in the -o folder.")
@_friendly
def compile_(target: str, target_name: str, output: str, fmt: str, config_file: str, image: str, kind: str,
             check: bool, graph: bool, parameters_file: str, force: bool) -> None:
    """Compile a job or pipeline without running it."""
    from runnable.cli.compiling import compile_target

    code = compile_target(target, target_name, output, fmt, config_file, image, kind, check, force,
                          out=lambda text: click.echo(text, nl=False), err=lambda text: click.echo(text, err=True),
                          graph=graph, parameters_file=parameters_file)
    sys.exit(code)


@cli.command()
@click.argument("path")
@click.option("--run-id", default="", help="Run id to use (compose; Argo workflows: the run_id parameter).")
@click.option("-p", "--parameters", "parameters_file", default="", help="Initial parameters (YAML file).")
@click.option("--tag", default="", help="Tag stored with the run (Argo and Kubernetes Jobs).")
@click.option("-n", "--namespace", default=None, help="Kubernetes namespace (default: the object's, then the context's).")
@click.option("--context", default=None, help="kubeconfig context to use.")
@click.option("--kubeconfig", default=None, help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster).")
@click.option("--dry-run", "dry_run", type=click.Choice(["server"]), default=None,
              help="Let the API server check everything without storing it.")
@click.option("--wait", is_flag=True, help="Wait for the run to finish, streaming its pods' logs; exit with its status.")
@click.option("--timeout", default=3600.0, show_default=True, help="Seconds to wait with --wait.")
@_friendly
def apply(path: str, run_id: str, parameters_file: str, tag: str, namespace: str | None, context: str | None,
          kubeconfig: str | None, dry_run: str | None, wait: bool, timeout: float) -> None:
    """Run a rendered folder: docker compose, or Kubernetes/Argo objects through the cluster's API."""
    from runnable.apply import engine_for

    say = lambda text: click.echo(text, err=True)  # noqa: E731
    sys.exit(engine_for(path).apply_path(path, run_id=run_id, parameters_file=parameters_file, tag=tag,
                                         namespace=namespace,
                                         kubeconfig=kubeconfig, context=context, dry_run=dry_run == "server",
                                         wait=wait, timeout=timeout, say=say))


@cli.command()
@click.argument("path")
@_friendly
def validate(path: str) -> None:
    """Check rendered (or hand-edited) manifests: a file or a folder. Exit 1 on any problem."""
    from runnable.compiler.checks import validate_path

    report = validate_path(path)
    for file, reason in report.skipped:
        click.echo(f"skipped  {file}: {reason}", err=True)
    for file, problem in report.problems:
        click.echo(f"{file}: {problem}")
    click.echo(f"{len(report.checked)} file(s) checked, {len(report.problems)} problem(s).", err=True)
    sys.exit(1 if report.problems else 0)


@cli.command()
@click.option("-c", "--config", "config_file", default="", help="Configuration file (YAML).")
@click.option("--status", "statuses", multiple=True, help="Only runs with this status (SUCCESS, FAIL, PROCESSING, "
                                                          "CREATED or RUNNING); repeat for several.")
@click.option("--tag", default="", help="Only runs with this tag.")
@click.option("--since", default="", help="Only runs started since an age (30m, 12h, 7d, 2w) or a UTC date/time.")
@click.option("--limit", default=0, type=int, help="Only the most recent N runs (0: all).")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
@_friendly
def runs(config_file: str, statuses: tuple[str, ...], tag: str, since: str, limit: int, as_json: bool) -> None:
    """List the runs in the run-log store, oldest first, with their durations."""
    from runnable.config import load_config
    from runnable.stores.build import open_store
    from runnable.views.run_table import print_runs, select_runs

    every = open_store(load_config(config_file or None)).list_runs()
    chosen = select_runs(every, statuses, tag, since, limit)
    if not every and not as_json:
        click.echo("No runs yet.")
        return
    print_runs(chosen, as_json, click.echo)


@cli.command()
@click.argument("run_id")
@click.option("-c", "--config", "config_file", default="", help="Configuration file (YAML).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole run log as JSON.")
@_friendly
def show(run_id: str, config_file: str, as_json: bool) -> None:
    """Show one run: status, steps with their durations, the slowest steps and final parameters."""
    from runnable.config import load_config
    from runnable.stores.build import open_store

    run_log = open_store(load_config(config_file or None)).get_run(run_id)
    if as_json:
        click.echo(json.dumps(run_log.to_dict(), indent=2, ensure_ascii=False))
        return
    from runnable.views.run_table import show_lines

    click.echo("\n".join(show_lines(run_log)))


@cli.command()
@click.argument("run_id_or_path")
@click.option("-o", "--output", default="", help="HTML file to write (default: RUN_ID.timeline.html).")
@click.option("--console/--no-console", default=True, show_default=True, help="Print the run's step tree.")
@click.option("--open/--no-open", "open_page", default=None,
              help="Open the page in a browser (default: only when there is a display).")
@click.option("-c", "--config", "config_file", default="", help="Configuration file (YAML).")
@_friendly
def timeline(run_id_or_path: str, output: str, console: bool, open_page: bool | None, config_file: str) -> None:
    """A run's steps as a console tree and a self-contained HTML timeline (a run id, a run's folder or its JSON)."""
    from runnable.config import load_config
    from runnable.views.timeline import timeline as write_timeline

    path = write_timeline(run_id_or_path, load_config(config_file or None), output, console, open_page, click.echo)
    click.echo(f"wrote {path}", err=True)


@cli.command()
@click.argument("target")
@click.option("--format", "fmt", default="tree", show_default=True,
              type=click.Choice(["tree", "mermaid", "dot", "svg"]), help="Terminal tree, Mermaid, DOT or SVG.")
@click.option("--layout", default="auto", show_default=True, type=click.Choice(["auto", "graphviz", "builtin"]),
              help="SVG only: graphviz's dot when installed (auto), or the built-in layered layout.")
@click.option("-o", "--output", default="", help="File to write (default: standard output).")
@_friendly
def graph(target: str, fmt: str, layout: str, output: str) -> None:
    """A definition's structure without running it: FILE.py, FILE.py:NAME or a YAML pipeline.

    Composites (Parallel, Map, Conditional, Loop) are drawn as clusters holding their branches.
    """
    import os

    from runnable.cli.discovery import load_definition, split_target
    from runnable.views.graph import named, render

    if output and os.path.isdir(output):
        raise RunnableError(f"--output {output!r} is a folder; give a file name.")
    stem = os.path.splitext(os.path.basename(split_target(target)[0]))[0]
    text, note = render(named(load_definition(target).to_ir(), stem), fmt, layout)
    if output:
        from runnable.cli.compiling import write_files

        write_files(os.path.dirname(output) or ".", {os.path.basename(output): text})
        click.echo(f"wrote {output}" + (f" ({note})" if note else ""), err=True)
    else:
        click.echo(text, nl=False)
        if note:
            click.echo(note, err=True)


def _cluster_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Where to look for runs that ran on a cluster (the same options as ``apply``)."""
    for option in reversed([
        click.option("-n", "--namespace", default=None, help="Kubernetes namespace of cluster runs (default: the "
                                                               "context's)."),
        click.option("--context", default=None, help="kubeconfig context to use."),
        click.option("--kubeconfig", default=None, help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config, "
                                                        "in-cluster)."),
    ]):
        command = option(command)
    return command


@cli.command()
@click.argument("run_id")
@click.option("-c", "--config", "config_file", default="", help="Configuration file (YAML).")
@click.option("--tag", default="", help="Replace the run's tag.")
@click.option("--log-level", default="WARNING", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"],
                                                                  case_sensitive=False))
@_cluster_options
@click.option("--wait", is_flag=True, help="Cluster runs: wait for the resubmitted run, streaming its logs.")
@click.option("--timeout", default=3600.0, show_default=True, help="Seconds to wait with --wait.")
@_progress_options
@_friendly
def retry(run_id: str, config_file: str, tag: str, log_level: str, namespace: str | None, context: str | None,
          kubeconfig: str | None, wait: bool, timeout: float, progress: str) -> None:
    """Retry a failed run in place: steps that succeeded are skipped, the rest run again.

    A run that ran on a cluster (Argo, a Kubernetes Job) is submitted there again under its run id.
    """
    from runnable.cli.run_views import ClusterOptions, retry_on_cluster
    from runnable.config import load_config

    config = load_config(config_file or None)
    say = lambda text: click.echo(text, err=True)  # noqa: E731
    code = retry_on_cluster(run_id, config, ClusterOptions(namespace, context, kubeconfig), wait, timeout, say)
    if code is not None:
        sys.exit(code)
    from runnable.cli.launch import retry_run
    from runnable.cli.progress import showing_progress

    with showing_progress(progress):
        run_log = retry_run(run_id, config, log_level=log_level, tag=tag)
    sys.exit(0 if run_log.status == "SUCCESS" else 1)


@cli.command()
@click.argument("run_id")
@click.option("-c", "--config", "config_file", default="", help="Configuration file (YAML).")
@_cluster_options
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@_friendly
def status(run_id: str, config_file: str, namespace: str | None, context: str | None, kubeconfig: str | None,
           as_json: bool) -> None:
    """A run's phase, steps done and failed step: from the run-log store, or the cluster it was submitted to."""
    from runnable.cli.run_views import ClusterOptions
    from runnable.cli.run_views import status as show_status
    from runnable.config import load_config

    sys.exit(show_status(run_id, load_config(config_file or None), ClusterOptions(namespace, context, kubeconfig),
                         as_json, click.echo))


@cli.command()
@click.argument("run_id")
@click.option("-c", "--config", "config_file", default="", help="Configuration file (YAML).")
@click.option("--step", default="", help="Only this step's output (its internal name, as `runnable show` lists).")
@click.option("-f", "--follow", is_flag=True, help="Keep printing until the run ends; exit with its status.")
@_cluster_options
@click.option("--timeout", default=3600.0, show_default=True, help="Seconds to follow with --follow.")
@_friendly
def logs(run_id: str, config_file: str, step: str, follow: bool, namespace: str | None, context: str | None,
         kubeconfig: str | None, timeout: float) -> None:
    """A run's output: each step's saved log, or a cluster run's pod logs."""
    from runnable.cli.run_views import ClusterOptions
    from runnable.cli.run_views import logs as show_logs
    from runnable.config import load_config

    sys.exit(show_logs(run_id, load_config(config_file or None), ClusterOptions(namespace, context, kubeconfig),
                       step, follow, timeout, click.echo))


def _execute_step_command() -> click.Command:
    """``execute-step`` for --help: the options come from the container contract, and running it goes
    through the same parser as the console script's fast path (one parser, one command line)."""
    from runnable.compiler.container import FLAGS, OPTIONS

    def run(**_: Any) -> None:
        from runnable.cli.entry import execute_step

        argv = sys.argv[sys.argv.index("execute-step") + 1:] if "execute-step" in sys.argv else []
        sys.exit(execute_step(argv))

    params: list[click.Parameter] = [click.Argument(["ir_file"])]
    params += [click.Option([flag], is_flag=True, help=text) for flag, text in FLAGS.items()]
    params += [click.Option(list(names), default="", help=text) for names, (_, text) in OPTIONS.items()]
    return click.Command("execute-step", callback=run, params=params,
                         help="Run one step of a compiled definition: what every container of every target runs.")


cli.add_command(_execute_step_command())


@cli.group()
def image() -> None:
    """Container images for the project."""


@image.command(name="build")
@click.option("--tag", "-t", default="runnable-project:latest", show_default=True)
@click.option("--base", default=f"python:{sys.version_info[0]}.{sys.version_info[1]}-slim", show_default=True,
              help="Base image, with the same Python minor version as this one.")
@click.option("--extras", default="", help="runnable extras to install, comma-separated (e.g. notebook).")
@click.option("-r", "--requirements", "requirement_files", multiple=True, help="pip requirements file(s).")
@click.option("--include-project", is_flag=True, help="Copy the project into the image (default: mounted at run time).")
@_friendly
def image_build(tag: str, base: str, extras: str, requirement_files: tuple[str, ...], include_project: bool) -> None:
    """Build an image with Python, runnable and the project's requirements."""
    from runnable.apply.image import build_image

    image_id = build_image(tag, base, [e for e in extras.split(",") if e], list(requirement_files), include_project,
                           say=lambda text: click.echo(text, err=True))
    click.echo(f"{tag} {image_id}")


def _source(target: str) -> str:
    from runnable.cli.compiling import source_of

    return source_of(target)


def main() -> None:
    try:
        try:
            cli(prog_name="runnable")
        finally:
            sys.stdout.flush()  # here, not at interpreter exit, so that a reader gone away is handled below
    except BrokenPipeError:
        from runnable.compiler.container import quiet_broken_pipe

        sys.exit(quiet_broken_pipe())


if __name__ == "__main__":
    main()
