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


@cli.command()
@click.argument("target")
@click.option("-c", "--config", "config_file", default="", help="Configuration file (YAML).")
@click.option("-p", "--parameters", "parameters_file", default="", help="Initial parameters (YAML).")
@click.option("--run-id", default="", help="Run id to use (default: generated).")
@click.option("--tag", default="", help="Tag stored with the run.")
@click.option("--log-level", default="WARNING", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"],
                                                                  case_sensitive=False))
@_friendly
def run(target: str, config_file: str, parameters_file: str, run_id: str, tag: str, log_level: str) -> None:
    """Run a job or pipeline: FILE.py, FILE.py:NAME, or a YAML pipeline FILE.yaml."""
    from runnable.cli.discovery import resolve
    from runnable.cli.launch import LaunchOptions, execute_definition
    from runnable.ir.errors import ExecutionFailedError

    options = LaunchOptions(config_file, parameters_file, run_id, tag, log_level, source=_source(target))
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
@click.option("--force", is_flag=True, help="Replace the rendering of another definition in the -o folder.")
@_friendly
def compile_(target: str, target_name: str, output: str, fmt: str, config_file: str, image: str, kind: str,
             check: bool, force: bool) -> None:
    """Compile a job or pipeline without running it."""
    from runnable.cli.compiling import compile_target

    code = compile_target(target, target_name, output, fmt, config_file, image, kind, check, force,
                          out=lambda text: click.echo(text, nl=False), err=lambda text: click.echo(text, err=True))
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
@_friendly
def runs(config_file: str) -> None:
    """List the runs in the run-log store, oldest first."""
    from runnable.config import load_config
    from runnable.stores.build import open_store

    store = open_store(load_config(config_file or None))
    rows = [(r.run_id, r.kind, r.status, r.start_time[:19].replace("T", " "), r.tag, r.name) for r in store.list_runs()]
    if not rows:
        click.echo("No runs yet.")
        return
    header = ("RUN ID", "KIND", "STATUS", "STARTED (UTC)", "TAG", "NAME")
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        click.echo("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())


@cli.command()
@click.argument("run_id")
@click.option("-c", "--config", "config_file", default="", help="Configuration file (YAML).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole run log as JSON.")
@_friendly
def show(run_id: str, config_file: str, as_json: bool) -> None:
    """Show one run: status, steps, attempts and final parameters."""
    from runnable.config import load_config
    from runnable.stores.build import open_store

    run_log = open_store(load_config(config_file or None)).get_run(run_id)
    if as_json:
        click.echo(json.dumps(run_log.to_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(f"run {run_log.run_id}  {run_log.kind} {run_log.name}".rstrip())
    click.echo(f"status   {run_log.status}")
    click.echo(f"started  {run_log.start_time}")
    click.echo(f"ended    {run_log.end_time}")
    if run_log.tag:
        click.echo(f"tag      {run_log.tag}")
    identity = run_log.code_identity
    if identity:
        click.echo(f"code     {identity.type} {identity.identifier}{' (dirty)' if identity.dirty else ''}")
    click.echo("steps")
    for step in run_log.steps.values():
        attempts = len(step.attempts)
        extra = f"  ({attempts} attempts)" if attempts > 1 else ""
        click.echo(f"  {step.status:<8} {step.internal_name}{extra}")
        if step.message:
            click.echo(f"           {step.message.splitlines()[0]}")
    if run_log.parameters:
        click.echo("parameters")
        for name, spec in run_log.parameters.items():
            click.echo(f"  {name} = {json.dumps(spec['value'])}  [{spec['kind']}]")


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
@_friendly
def retry(run_id: str, config_file: str, tag: str, log_level: str, namespace: str | None, context: str | None,
          kubeconfig: str | None, wait: bool, timeout: float) -> None:
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
