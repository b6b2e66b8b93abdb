"""The README is the CLI's manual: every command and option `pipeline --help` offers is documented there, and
every `pipeline …` command the README shows exists, with options that exist.

A new command or option fails this test until the README says what it does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.main import get_command

from pipeline.cli import app

README = Path(__file__).resolve().parent.parent / "README.md"


@dataclass
class Command:
    path: tuple[str, ...]  # ("models", "install")
    options: set[str] = field(default_factory=set)  # every spelling: --include-fuzzy, --approved-only, -f
    subcommands: dict[str, Command] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return " ".join(("pipeline", *self.path))


def _tree(command, path: tuple[str, ...] = ()) -> Command:
    """The Typer app as a tree of commands (hidden ones left out), walked through the click objects."""
    node = Command(path)
    for param in command.params:
        if getattr(param, "param_type_name", "") == "option" and not param.hidden:
            node.options.update(param.opts, param.secondary_opts)
    for name, sub in getattr(command, "commands", {}).items():
        if not sub.hidden:
            node.subcommands[name] = _tree(sub, (*path, name))
    return node


def _commands(node: Command):
    for sub in node.subcommands.values():
        yield sub
        yield from _commands(sub)


TREE = _tree(get_command(app))
COMMANDS = list(_commands(TREE))


def _sections(text: str) -> list[tuple[str, str]]:
    """(heading, body) of every README section."""
    parts = re.split(r"^(#{2,4} .*)$", text, flags=re.M)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def _code(text: str) -> list[str]:
    """Inline code spans and the lines of fenced code blocks."""
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.M | re.S)
    without = re.sub(r"^```[^\n]*\n.*?^```", "", text, flags=re.M | re.S)
    return re.findall(r"`([^`\n]+)`", without) + [line for block in fenced for line in block.splitlines()]


def _mentions(code: str, command: Command) -> bool:
    return re.search(rf"(?:^\s*|\$ |-m |&& ){re.escape(command.name)}(?![\w-])", code) is not None


def _documentation(text: str, command: Command) -> str:
    """Where the README documents a command: code that names it, and the sections whose heading names it or its
    group (`### pipeline tm — the translation memory` documents every `pipeline tm` command)."""
    found = [code for code in _code(text) if _mentions(code, command)]
    group = f"pipeline {command.path[0]}"
    found += [body for heading, body in _sections(text) if re.search(rf"{re.escape(group)}(?![\w-])", heading)]
    return "\n".join(found)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_every_command_and_option_is_in_the_readme(command):
    text = README.read_text(encoding="utf-8")
    assert any(_mentions(code, command) for code in _code(text)), \
        f"README: document `{command.name}` (CLI reference or its section)"
    documentation = _documentation(text, command)
    missing = sorted(option for option in command.options if option.startswith("--")  # -f: an alias
                     and not re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", documentation))
    assert not missing, f"README: `{command.name}` does not mention {', '.join(missing)}"


def _shown_commands(text: str):
    """(snippet, words after `pipeline`) of every command line the README shows in code."""
    for code in _code(text):
        for match in re.finditer(r"(?:^\s*|\$ |-m |&& )pipeline ([^`#;|&]*)", code):
            yield code, match.group(1).split()


def test_every_command_the_readme_shows_exists():
    text = README.read_text(encoding="utf-8")
    wrong = []
    shown = 0
    for code, words in _shown_commands(text):
        node, rest = TREE, list(words)
        while rest and rest[0] in node.subcommands:
            node = node.subcommands[rest.pop(0)]
        if node is TREE:
            if rest and re.fullmatch(r"[a-z][a-z-]+", rest[0]) and rest[0] not in ("…", "..."):
                wrong.append(f"`{code}`: no command `pipeline {rest[0]}`")
            continue
        shown += 1
        if node.subcommands and rest and re.fullmatch(r"[a-z][a-z-]+", rest[0]):
            wrong.append(f"`{code}`: no command `{node.name} {rest[0]}`")
        for word in rest:
            option = re.match(r"\[?(--?[A-Za-z][\w-]*)", word)
            if option and option.group(1) not in node.options | {"--help"}:
                wrong.append(f"`{code}`: `{node.name}` has no option {option.group(1)}")
    assert shown >= len(COMMANDS)
    assert not wrong, "\n".join(wrong)


def test_the_walk_sees_every_command():
    """The docs tests cannot pass vacuously: the walk finds the commands `pipeline --help` lists."""
    names = {c.name for c in COMMANDS}
    assert {"pipeline run", "pipeline publish", "pipeline models install", "pipeline tm lookup",
            "pipeline glossary import"} <= names
    assert "--packages-dir" in TREE.subcommands["run"].options
    assert {"--include-fuzzy", "--approved-only"} <= TREE.subcommands["publish"].options
