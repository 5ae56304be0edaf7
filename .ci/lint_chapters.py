"""Lint the chapters' code as readers get it: each book/*.md notebook converted to .ipynb, then ruff with the
book's column width (88). `--fix` formats the code cells of the .md sources in place first."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import jupytext

from gradfail.notebooks import chapter_sources

ROOT = Path(__file__).resolve().parents[1]
LINE_LENGTH = "88"  # what the book's column shows without a scroll bar
CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(?P<body>.*?)^```$", re.M | re.S)
HEADER = re.compile(r"\A(?:---\n.*?\n---\n|(?::[\w-]+:[^\n]*\n)+\n?)", re.S)


def ruff(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    command = ["ruff", *args, "--config", str(ROOT / "pyproject.toml"), "--line-length", LINE_LENGTH]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, check=False)


def format_cell(body: str) -> str:
    """One code cell's source, imports sorted and formatted by ruff at the book's width; its metadata header
    kept as it is."""
    header = HEADER.match(body)
    head, code = (header.group(0), body[header.end() :]) if header else ("", body)
    if not code.strip():
        return body
    for args in (["check", "--select", "I", "--fix", "--exit-zero"], ["format"]):
        done = ruff(*args, "--stdin-filename", "cell.py", "-", stdin=code)
        if done.returncode != 0:
            raise SystemExit(f"ruff {args[0]} failed on a cell starting {code.splitlines()[0]!r}:\n{done.stderr}")
        code = done.stdout
    return head + code


def fix(chapter: Path) -> None:
    text = chapter.read_text()
    chapter.write_text(CODE_CELL.sub(lambda m: m.group(0).replace(m["body"], format_cell(m["body"]), 1), text))


def check(chapters: list[Path]) -> int:
    with tempfile.TemporaryDirectory() as folder:
        notebooks = []
        for chapter in chapters:
            notebook = Path(folder) / f"{chapter.stem}.ipynb"
            jupytext.write(jupytext.read(chapter), notebook)
            notebooks.append(str(notebook))
        failed = 0
        for args in (["check", "--no-cache"], ["format", "--check", "--diff"]):
            done = ruff(*args, *notebooks)
            if done.returncode != 0:
                print(done.stdout.replace(folder + "/", "book/"), done.stderr, sep="\n")
                failed = 1
        return failed


def main() -> int:
    """Lint the chapters named (every chapter by default); exit 1 when ruff finds anything."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fix", action="store_true", help="format the chapters' code cells in place first")
    parser.add_argument("chapters", nargs="*", type=Path, help="chapter sources (default: every notebook in book/)")
    args = parser.parse_args()
    chapters = args.chapters or chapter_sources(ROOT / "book")
    if args.fix:
        for chapter in chapters:
            fix(chapter)
    return check(chapters)


if __name__ == "__main__":
    sys.exit(main())
