"""Every setting is documented in the README's settings table."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import Settings

README = (Path(__file__).parent.parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_setting_is_documented(name: str) -> None:
    assert f"| `CHATBI_{name.upper()}` |" in README


def test_quick_start_is_exactly_two_commands() -> None:
    section = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in section.strip().splitlines()]
    assert commands == ["make demo", "make test"]
