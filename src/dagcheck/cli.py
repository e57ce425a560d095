"""The command line: ``dagcheck check``, ``dagcheck model``.

Heavy modules (libcst, the builders) are imported inside the commands so that ``--help`` and
``--version`` stay instant.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dagcheck import __version__

_PATHS = click.argument(
    "paths", nargs=-1, type=click.Path(exists=True, path_type=Path), required=True
)
_TARGET = click.option(
    "--target-airflow",
    type=click.Choice(["auto", "2", "3"]),
    default="auto",
    show_default=True,
    help="Airflow major version whose defaults apply (auto: airflow.sdk imports, then the "
    "installed Airflow, else 3).",
)
_EXCLUDE = click.option(
    "--exclude",
    multiple=True,
    metavar="PATTERN",
    help="Glob of files or folders to skip (repeatable), on top of .git, .venv, build, ...",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dagcheck")
def cli() -> None:
    """Review Airflow DAGs and Prefect flows against an operational checklist."""


@cli.command()
@_PATHS
@_TARGET
@_EXCLUDE
@click.option(
    "--output-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How findings are printed.",
)
def check(
    paths: tuple[Path, ...], target_airflow: str, exclude: tuple[str, ...], output_format: str
) -> None:
    """Check pipelines under PATHS; exit 1 if there are findings."""
    from dagcheck.engine import build_models
    from dagcheck.report import reporter

    models = build_models(list(paths), target_airflow=target_airflow, exclude=exclude)
    findings = sorted((f for m in models for f in m.findings), key=lambda f: f.sort_key)
    reporter(output_format)(findings, sys.stdout)
    sys.exit(1 if findings else 0)


@cli.command()
@_PATHS
@_TARGET
@_EXCLUDE
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for reading, json for tools.",
)
@click.option(
    "--show-defaults", is_flag=True, help="Text format: also list settings left at defaults."
)
def model(
    paths: tuple[Path, ...],
    target_airflow: str,
    exclude: tuple[str, ...],
    output_format: str,
    show_defaults: bool,
) -> None:
    """Print the pipeline model dagcheck builds for PATHS: pipelines, tasks, edges and
    settings with where each value came from."""
    from dagcheck.engine import build_models
    from dagcheck.model.print import write_model_json, write_model_text

    models = build_models(list(paths), target_airflow=target_airflow, exclude=exclude)
    if output_format == "json":
        write_model_json(models, sys.stdout)
    else:
        write_model_text(models, sys.stdout, show_defaults=show_defaults)


def main() -> None:
    try:
        cli(prog_name="dagcheck")
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
