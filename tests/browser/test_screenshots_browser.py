"""`make screenshots` regenerates the README's pictures: run it as the Makefile does, into a
scratch folder, and check every picture the README shows comes out at its size."""

from __future__ import annotations

import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).parents[2]


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_make_screenshots_writes_every_readme_picture(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    pictures = re.findall(r"\]\(docs/screenshots/([\w-]+\.png)\)", readme)
    assert len(pictures) >= 5

    result = subprocess.run(
        [sys.executable, "-m", "tests.browser.screenshots", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    for name in pictures:
        width, height = _png_size(tmp_path / name)
        assert width == (390 if name.endswith("-phone.png") else 1400), name
        assert height >= 600, name
        assert (ROOT / "docs/screenshots" / name).exists(), f"README shows a missing {name}"
