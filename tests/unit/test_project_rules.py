"""Rules the project keeps about itself: docs match the code, imports follow the arrows, types check."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

from jobsmith.config import Settings
from jobsmith.domain import states

ROOT = pathlib.Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
BIN = pathlib.Path(sys.executable).parent


def test_readme_state_diagram_is_the_generated_one() -> None:
    block = re.search(r"```mermaid\n(.*?)```", README, re.S)
    assert block is not None
    assert block.group(1).strip() == states.mermaid(with_deleted=False).strip()


def test_readme_settings_table_lists_every_setting() -> None:
    documented = set(re.findall(r"^\| `(JOBSMITH_[A-Z_]+)` \|", README, re.M))
    assert documented == {f"JOBSMITH_{name.upper()}" for name in Settings.model_fields}


def test_imports_follow_the_architecture() -> None:
    result = subprocess.run([str(BIN / "lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_code_type_checks_strictly() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "src"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
