"""Text from the checked files is untrusted: a pull request from a fork chooses every id,
string and comment dagcheck shows. Whatever the command and output format, no secret the
files hold is printed, no control character reaches the terminal or the CI log (ESC retitles
a terminal, a newline in an id starts a ``::error::`` workflow command), and the shown text
still names what it names."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dagcheck.cli import cli
from dagcheck.text_safety import Redactor, masked_value, printable, printable_source

SECRETS = {
    "named": "Zq8vR2mLw7Kp-prod",
    "key id": "AKIAZ7QW3ERT5YUI9OPL",
    "default_args": "Hx7Kq2Wm9Lp4Rt",
    "bearer": "eyJhbGciOiJIUzI1NiJ9x8Kq2Wm9",
    "env": "Tr0ub4dor3xyzQ",
    "uri": "s3cr3t-pw-77",
}

# Ids holding what a terminal or a CI log would act on: OSC (retitle), BEL, a newline
# followed by a workflow command, a bidirectional override.
HOSTILE_DAG = f'''\
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

DB_PASSWORD = "{SECRETS["named"]}"
AWS_KEY = "{SECRETS["key id"]}"
WAREHOUSE = "postgresql://etl:{SECRETS["uri"]}@db.internal:5432/dw"

with DAG(
    "s\\x1b]0;pwned\\x07",
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    description="loads\\n::error::injected description",
    default_args={{"owner": "data", "password": "{SECRETS["default_args"]}"}},
):
    first = BashOperator(
        task_id="a\\n::error::x",
        bash_command='curl -H "Authorization: Bearer {SECRETS["bearer"]}" https://api',
    )
    second = BashOperator(
        task_id="b\\u202e",
        bash_command="psql -c 'select 1'",
        env={{"PGPASSWORD": "{SECRETS["env"]}"}},
    )
    first >> second
'''

HOSTILE_FLOW = f'''\
from prefect import flow, task

API_TOKEN = "{SECRETS["named"]}"


@task(name="t\\x1b[2J")
def extract():
    return 1


@flow(name="f\\n::error::flow")
def etl():
    extract()


if __name__ == "__main__":
    etl.serve(name="nightly\\x07", cron="0 2 * * *")
'''


@pytest.fixture(scope="module")
def hostile_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    (root / "dags").mkdir()
    (root / "dags" / "hostile.py").write_text(HOSTILE_DAG, encoding="utf-8")
    (root / "dags" / "flow.py").write_text(HOSTILE_FLOW, encoding="utf-8")
    return root


# Every command and format that prints text from the files.
COMMANDS = [
    *(["check", "--output-format", name] for name in ("text", "full", "json", "sarif")),
    *(["check", "--output-format", name] for name in ("github", "gitlab", "junit")),
    ["check", "--statistics"],
    ["check", "--diff", "--unsafe-fixes"],
    ["model"],
    ["model", "--show-defaults"],
    ["model", "--format", "json"],
    *(["review", "--exit-zero", "--format", name] for name in ("text", "markdown", "html")),
    ["review", "--exit-zero", "--format", "json"],
]

# What a terminal or a CI log acts on. JSON, SARIF and JUnit escape control characters
# themselves (``\u001b``, ``&#27;``), so a raw one in any output is a leak.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def assert_safe(output: str) -> None:
    for kind, secret in SECRETS.items():
        assert secret not in output, f"the {kind} secret is printed"
    assert not RAW_CONTROL.findall(output)
    assert not re.search(r"^::error::(x|injected|flow)", output, re.MULTILINE)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_no_output_prints_a_secret_or_a_control_character(
    hostile_tree: Path, command: list[str]
) -> None:
    result = CliRunner().invoke(cli, [*command, str(hostile_tree / "dags")])
    assert result.exit_code in (0, 1), result.output
    assert_safe(result.output)
    if "--statistics" not in command and "--diff" not in command:  # these show no ids
        assert "pwned" in result.output  # the id is shown, escaped, not dropped


def test_output_files_are_as_safe_as_the_terminal(hostile_tree: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.sarif"
    dags = hostile_tree / "dags"
    result = CliRunner().invoke(
        cli, ["check", "--output-format", "sarif", "--output-file", str(report), str(dags)]
    )
    assert result.exit_code == 1, result.output
    assert_safe(report.read_text(encoding="utf-8"))


def test_runbooks_hold_no_secret_and_no_command_with_a_hostile_id(
    hostile_tree: Path, tmp_path: Path
) -> None:
    out = tmp_path / "runbooks"
    result = CliRunner().invoke(cli, ["runbook", "--out", str(out), str(hostile_tree / "dags")])
    assert result.exit_code == 0, result.output
    assert_safe(result.output)
    books = sorted(out.glob("*.md"))
    assert len(books) == 2
    for book in books:
        text = book.read_text(encoding="utf-8")
        assert_safe(text)
        # A command built from an id that does not print as it is would not do what it
        # says: the runbook leaves a placeholder instead.
        assert "pwned" not in "".join(re.findall(r"```shell\n(.*?)```", text, re.DOTALL))
    airflow = next(book for book in books if "pwned" in book.read_text(encoding="utf-8"))
    assert "airflow tasks clear <dag_id> --only-failed" in airflow.read_text(encoding="utf-8")


def test_fix_messages_and_diff_lines_are_printable(hostile_tree: Path, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(hostile_tree, tree)
    result = CliRunner().invoke(cli, ["fix", "--unsafe-fixes", str(tree / "dags")])
    assert result.exit_code in (0, 1), result.output
    assert_safe(result.output)


def test_printable_escapes_what_a_terminal_acts_on_and_keeps_the_rest() -> None:
    assert printable("s\x1b]0;pwned\x07") == "s\\x1b]0;pwned\\x07"
    assert printable("a\n::error::x\r") == "a\\n::error::x\\r"
    assert printable("b\u202e\x85") == "b\\u202e\\x85"
    assert printable("café ✓ «ok»\u00e9") == "café ✓ «ok»\u00e9"
    assert printable_source("\tx = 1\n", keep="\n") == "\tx = 1\n"
    assert printable_source("\tx = '\x1b'\n") == "\tx = '\\x1b'\\n"


def test_the_redactor_masks_only_what_the_model_found(tmp_path: Path) -> None:
    from dagcheck.engine import Options, run

    path = tmp_path / "dag.py"
    path.write_text(HOSTILE_DAG, encoding="utf-8")
    [model] = run([path], Options(select=("DC903",)))
    redact = Redactor.of_files([(path, model.secrets)])
    masked = redact(HOSTILE_DAG)
    for kind, secret in SECRETS.items():
        assert secret not in masked, kind
    assert 'task_id="a\\n::error::x"' in masked  # the rest of the file as it was
    assert masked.count("****") == len(SECRETS)


def test_model_values_of_secret_looking_keys_are_masked() -> None:
    shown = masked_value(
        {
            "owner": "data",
            "password": "Hx7Kq2Wm9Lp4Rt",
            "conn": "postgresql://etl:s3cr3t-pw@db/dw",
            "templated": "{{ conn.pg.password }}",
        }
    )
    assert shown == {
        "owner": "data",
        "password": "****",
        "conn": "postgresql://etl:****@db/dw",
        "templated": "{{ conn.pg.password }}",
    }
