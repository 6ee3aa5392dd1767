"""Runs every code block in README.md and docs/, and every docstring example, as tests.

- ```python blocks (and doctest-style >>> blocks) in Markdown run in one namespace per page.
- ```console blocks run each ``$ smartcity-kit ...`` line through the real CLI and compare what
  it prints (stdout and stderr) with the lines that follow, up to the next ``$`` line. Each block
  runs in a fresh empty folder, so ``--db sqlite:///city.db`` makes a throwaway file.
- Docstring examples in ``src/`` run as doctests.

Every web app built during the tests checks its answers against its OpenAPI declarations
(``SMARTCITY_CHECK_RESPONSES=1``): an answer that differs from the published document fails the
test that got it.
"""

from __future__ import annotations

import contextlib
import doctest
import os
import shlex
import tempfile
import warnings

from click.testing import CliRunner
from sybil import Example, Sybil
from sybil.parsers.myst import CodeBlockParser, PythonCodeBlockParser, SkipParser
from sybil.parsers.rest import DocTestParser
from sybil.sybil import SybilCollection
from sybil.typing import Parser

from smartcity_kit.cli import main

os.environ.setdefault("SMARTCITY_CHECK_RESPONSES", "1")

_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _run_console(example: Example) -> str | None:
    """Run each ``$ smartcity-kit`` command of a console block and compare its output."""
    commands: list[tuple[str, list[str]]] = []
    for line in str(example.parsed).splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        elif commands:
            commands[-1][1].append(line)
    if not commands:
        return "a console block must hold at least one '$ smartcity-kit ...' line"
    runner = CliRunner(env={"SMARTCITY_DATABASE_URL": None})
    # Each block runs in a fresh empty folder: files it makes (sqlite:///city.db) go there.
    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        for command, expected_lines in commands:
            argv = shlex.split(command)
            if argv[0] != "smartcity-kit":
                return f"console blocks may only run smartcity-kit, not {argv[0]!r}"
            with warnings.catch_warnings():
                warnings.simplefilter("default")
                result = runner.invoke(main, argv[1:], catch_exceptions=False)
            output = result.output.rstrip("\n")
            expected = "\n".join(expected_lines).rstrip("\n")
            checker = doctest.OutputChecker()
            if not checker.check_output(expected + "\n", output + "\n", _FLAGS):
                got = f"got (exit {result.exit_code}):\n{output}"
                return f"$ {command}\nexpected:\n{expected}\n{got}"
    return None


_MARKDOWN_PARSERS: list[Parser] = [
    PythonCodeBlockParser(doctest_optionflags=_FLAGS),
    CodeBlockParser(language="console", evaluator=_run_console),
    SkipParser(),
]

pytest_collect_file = SybilCollection(
    [
        Sybil(parsers=_MARKDOWN_PARSERS, patterns=["README.md"], path="."),
        Sybil(parsers=_MARKDOWN_PARSERS, patterns=["*.md"], path="docs"),
        Sybil(parsers=[DocTestParser(optionflags=_FLAGS)], patterns=["*.py"], path="src"),
    ]
).pytest()
