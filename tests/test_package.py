from __future__ import annotations

import importlib
from importlib import metadata
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

import smartcity_kit

ROOT = Path(__file__).resolve().parents[1]


def test_version_comes_from_package_metadata() -> None:
    assert smartcity_kit.__version__ == metadata.version("smartcity-kit")


def test_package_is_typed() -> None:
    assert (Path(smartcity_kit.__file__).parent / "py.typed").is_file()


@pytest.mark.parametrize(
    "module",
    [
        "smartcity_kit.core",
        "smartcity_kit.errors",
        "smartcity_kit.storage",
        "smartcity_kit.testing.strategies",
    ],
)
def test_public_names_are_exported_and_documented(module: str) -> None:
    mod = importlib.import_module(module)
    for name in mod.__all__:
        obj = getattr(mod, name)
        if callable(obj) and not name.isupper():
            assert obj.__doc__, f"{module}.{name} has no docstring"


def test_public_modules_export_only_what_exists() -> None:
    for module in ("smartcity_kit.core", "smartcity_kit.errors", "smartcity_kit.storage"):
        mod = importlib.import_module(module)
        public = {n for n in vars(mod) if not n.startswith("_")}
        assert set(mod.__all__) <= public


_RUN_OR_PLAIN = {"python", "console", "text"}


def test_docs_hold_no_code_block_that_the_tests_do_not_run() -> None:
    """Every code block in docs/ runs (python, console), is plain text, or is a directive."""
    pages = sorted((ROOT / "docs").rglob("*.md"))
    assert pages, "docs/ has no pages"
    parser = MarkdownIt()
    bad = []
    for page in pages:
        for token in parser.parse(page.read_text(encoding="utf-8")):
            if token.type not in ("fence", "code_block"):
                continue
            language = token.info.split()[0] if token.info.strip() else ""
            if language not in _RUN_OR_PLAIN and not language.startswith("{"):
                bad.append(f"{page.relative_to(ROOT)}:{token.map[0] + 1 if token.map else '?'}")
    assert not bad, "code blocks that no test runs: " + ", ".join(bad)
