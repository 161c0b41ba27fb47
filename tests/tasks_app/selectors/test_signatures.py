"""Failure signatures: the first error-like line, folded so one cause is one signature."""

from __future__ import annotations

import pytest

from tasks_app.selectors.failures import signatures
from tasks_app.selectors.failures.signatures import (
    FROM_EXIT,
    FROM_LOG,
    FROM_NOT_READ,
    compact_ranges,
    first_error_line,
    normalise,
    signature_of,
)

ARNOLD_NFS = (
    "00:02:11   7873MB   ERROR | [driver_exr] could not write "
    "`/mnt/renders/lighthouse/sq060_sh0010/beauty/v024/sq060_sh0010.{frame:04d}.exr': "
    "Stale file handle"
)


def test_the_same_cause_on_other_frames_hosts_and_shots_is_one_signature() -> None:
    lines = [
        ARNOLD_NFS.format(frame=93),
        ARNOLD_NFS.format(frame=1978).replace("7873MB", "512MB").replace("00:02:11", "01:13:59"),
        ARNOLD_NFS.format(frame=7).replace("sq060_sh0010", "sq090_sh0410"),
    ]
    assert len({normalise(line) for line in lines}) == 1
    assert normalise(lines[0]) == (
        "<time> <n>mb error | [driver_exr] could not write `/mnt/renders/…': stale file handle"
    )


def test_ids_addresses_and_timestamps_are_folded() -> None:
    one = (
        "2026-11-20T10:05:00.123Z ERROR session-" + "a" * 32 + " crashed at 0x7f3a9c2b51d3 "
        "in worker-" + "b" * 32 + " (build 3f9a2c1e77d0)"
    )
    two = (
        "2026-11-21T23:59:59Z ERROR session-" + "c" * 32 + " crashed at 0x1 "
        "in worker-" + "d" * 32 + " (build 0123456789abcdef)"
    )
    assert normalise(one) == normalise(two)
    assert "<session>" in normalise(one) and "<hex>" in normalise(one)


def test_different_causes_stay_apart() -> None:
    assert normalise("ERROR: out of memory") != normalise("ERROR: segmentation fault")
    assert normalise("ERROR: cannot open /mnt/assets/a.exr") != normalise(
        "ERROR: cannot open /mnt/renders/a.exr"
    )


def test_the_first_error_like_line_wins_over_the_agents_wrap_up() -> None:
    lines = [
        "00:01:25   8947MB WARNING | [polymesh] 6 degenerate triangles, ignored",
        "  0 errors, 3 warnings so far",
        "00:01:30   8947MB   ERROR | [texturesys] could not open /mnt/a/b/c.exr: No such file",
        "00:01:30   8947MB   ERROR | aborting render: 1 texture(s) could not be loaded",
        "Process exited with exit code: 1",
        "Action sessionaction-" + "e" * 32 + "-1 FAILED: Render failed",
    ]
    found = first_error_line(lines)
    assert found is not None and found.index == 2
    signature = signature_of(lines, exit_code=1, message="Render failed")
    assert signature.source == FROM_LOG and signature.line == 2
    assert signature.title.startswith("[texturesys] could not open")
    assert signature.raw.startswith("00:01:30 8947MB ERROR | [texturesys] could not open")


def test_the_signal_line_is_the_cause_when_the_renderer_said_nothing() -> None:
    lines = [
        "rendering bucket 12/40",
        "Process was terminated by signal 11 (SIGSEGV)",
        "Process exited with exit code: 139",
    ]
    assert signature_of(lines, exit_code=139, message=None).line == 1


def test_exit_code_and_message_stand_in_when_the_log_says_nothing() -> None:
    quiet = signature_of(
        ["frame 1 done", "frame 2 done"], exit_code=137, message="Killed: 61.8 GiB"
    )
    unread = signature_of(
        None, exit_code=137, message="Killed: 48.0 GiB", fallback_source=FROM_NOT_READ
    )
    assert quiet.key == unread.key == "exit 137: killed: <n> gib"
    assert (quiet.source, unread.source) == (FROM_EXIT, FROM_NOT_READ)
    assert quiet.title == "Exit code 137 — Killed: 61.8 GiB"


@pytest.mark.parametrize(
    "line",
    [
        "ERROR <script>alert(1)</script> <img src=x onerror=alert(2)>",
        "\x1b[31;1mERROR\x1b[0m: colour \x1b]0;title\x07 and bell \x07 and NUL \x00 here",
        "ERROR lone surrogate \ud800 here",
        "ERROR " + "x" * 10_240,
        "ERROR \u202etxt.exe \u05e9\u05dc\u05d5\u05dd {{ template }} {% tag %}",
    ],
)
def test_hostile_lines_give_bounded_plain_signatures(line: str) -> None:
    signature = signature_of([line], exit_code=1, message=None)
    assert signature.source == FROM_LOG
    assert len(signature.key) <= signatures.MAX_LINE_CHARS
    assert len(signature.title) <= signatures.MAX_TITLE_CHARS
    assert "\x1b" not in signature.key + signature.title
    assert "\x00" not in signature.key + signature.title
    assert signature.key == normalise(line)  # stable
    assert signature.digest.isalnum() and len(signature.digest) == 12


def test_coloured_and_plain_copies_of_a_line_are_one_signature() -> None:
    assert normalise("\x1b[31mERROR\x1b[0m: disk full") == normalise("ERROR: disk full")


def test_compact_ranges() -> None:
    dash = signatures.EN_DASH
    frames = [1003, 1001, 1002, 1040, 1102, 1102, 5]
    assert compact_ranges(frames) == f"5, 1001{dash}1003, 1040, 1102"
    assert compact_ranges([]) == ""
    assert compact_ranges(range(0, 40, 2), limit=3) == "0, 2, 4, … (+17 more)"


def test_chunk_values() -> None:
    assert signatures.chunk_values("1-3,5,7-11:2") == [1, 2, 3, 5, 7, 9, 11]
    assert signatures.chunk_values("-5--3") == [-5, -4, -3]
    assert signatures.chunk_values("x") == []
    assert len(signatures.chunk_values("1-99999999")) == 10_000


@pytest.mark.parametrize(
    ("line", "title"),
    [
        (
            ARNOLD_NFS.format(frame=93),
            "[driver_exr] could not write `/mnt/renders/lighthouse/sq060_sh0010/beauty/v024/"
            "sq060_sh0010.0093.exr': Stale file handle",
        ),
        ("ERROR|[clm] license heartbeat failed", "[clm] license heartbeat failed"),
        ("2026-11-20T10:05:00.123Z [ERROR] Failed to open scene", "Failed to open scene"),
        ("[12:00:01.123] FATAL - texture cache exhausted", "texture cache exhausted"),
        ("error: could not lock /mnt/cache", "could not lock /mnt/cache"),
        # What is the message itself stays: an exception's name, a size that starts it.
        ("RuntimeError: scene has no camera", "RuntimeError: scene has no camera"),
        ("512MB free of 64GB: out of memory", "512MB free of 64GB: out of memory"),
        ("ERROR", "ERROR"),
    ],
)
def test_titles_drop_the_loggers_prefix_and_keep_the_line_as_written(line: str, title: str) -> None:
    signature = signature_of([line], exit_code=1, message=None)

    assert signature.title == title
    assert signature.raw == signatures.raw_title(line)
    # The folded key is unchanged by the readable title: groups and their links stay put.
    assert signature.key == normalise(line)


def test_an_exit_code_title_reads_the_message_without_its_prefix() -> None:
    signature = signature_of(None, exit_code=74, message="00:00:05 ERROR | NFS stale file handle")

    assert signature.title == "Exit code 74 — NFS stale file handle"
