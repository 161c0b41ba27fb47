"""Failure signatures: the normalised form of a failing attempt's first error-like log line.

Pure functions (no Django, no API): a log line from a job submitter's renderer is hostile
text. Lines are cut to ``MAX_LINE_CHARS`` before anything else, terminal escape sequences and
other control characters never reach a signature, and numbers, frame numbers, hex and
resource IDs, timestamps and the varying tail of paths are folded, so the same cause on frame
1004 and frame 2311, on two hosts or in two shots gives one signature.

When the log has no error-like line (or was not read), the signature falls back on the
attempt's exit code and progress message, normalised the same way.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Longer lines are cut before they are examined (a 10 KB line costs no more than this).
MAX_LINE_CHARS = 1000
#: A title (the representative line shown) is cut to this many characters.
MAX_TITLE_CHARS = 300

# Terminal escape sequences (colours, cursor moves, OSC titles) and other control characters.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# What makes a line error-like, strongest first. Case matters: "ERROR" and "Error:" are
# errors, "0 errors" is not.
_ERROR_WORDS = re.compile(
    r"\b(?:ERROR|FATAL|CRITICAL|PANIC|SEVERE|EXCEPTION)\b"
    r"|\b(?:Error|Fatal|Exception|Traceback)\b"
    r"|\b[A-Z][A-Za-z]*(?:Error|Exception)\b"
    r"|\berror(?:\[|:)|\bfatal:"
    r"|Segmentation fault|std::bad_alloc|[Ss]tale file handle|No such file or directory"
    r"|[Oo]ut of memory|Permission denied|\bKilled\b"
)
# Lines the worker agent writes around every failure: they say *that* the task failed,
# not why, so a renderer's own error line wins over them.
_AGENT_LINE = re.compile(
    r"^(?:Process exited with exit code|Process was terminated by signal|Action sessionaction-"
    r"|Session session-|openjd_fail|Canceling subprocess)"
)
_SIGNAL_LINE = re.compile(r"^Process was terminated by signal")

_FOLDS: tuple[tuple[re.Pattern[str], str], ...] = (
    # ISO and log timestamps, then clock times (00:02:11, 10:05:00.123)
    (
        re.compile(
            r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
        ),
        "<time>",
    ),
    (re.compile(r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b"), "<time>"),
    # Deadline Cloud and AWS resource IDs, ARNs, UUIDs
    (
        re.compile(
            r"\b(farm|queue|job|step|task|session|sessionaction|worker|fleet|environment)"
            r"-[0-9a-f]{32}(?:-\d+)?\b"
        ),
        r"<\1>",
    ),
    (re.compile(r"\barn:aws[\w-]*:[^\s'\"`]+"), "<arn>"),
    (
        re.compile(
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
        ),
        "<uuid>",
    ),
    # Addresses and hashes: 0x7f3a9c2b51d3, a 40-digit commit, a pid-like hex run
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "<hex>"),
    (re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b"), "<hex>"),
    # Paths: keep the first two segments (the mount), fold the rest (shot, version, frame)
    (
        re.compile(
            r"(?<![\w.])(/[^\s/'\"`:;,()\[\]<>]+/[^\s/'\"`:;,()\[\]<>]+)(?:/[^\s'\"`:;,()\[\]<>]*)+"
        ),
        r"\1/…",
    ),
    (
        re.compile(r"\b([A-Za-z]:\\[^\s\\'\"`]+)(?:\\[^\s'\"`]*)+"),
        r"\1\\…",
    ),
    # Every remaining number: frame numbers, sizes, ports, counts, line numbers
    (re.compile(r"\d+(?:[.,]\d+)*"), "<n>"),
)
_SPACE = re.compile(r"\s+")


def clean_line(text: str) -> str:
    """A log line cut to MAX_LINE_CHARS, without terminal escapes or control characters
    (tabs become spaces): what a signature and a title are made from."""
    text = _ANSI.sub("", text[: MAX_LINE_CHARS * 2])
    text = _CONTROL.sub(" ", text.replace("\t", " "))
    return text[:MAX_LINE_CHARS].strip()


def normalise(text: str) -> str:
    """The signature form of a line or message: cleaned, IDs, numbers, times, hex and path
    tails folded, whitespace collapsed, lower case."""
    text = clean_line(text)
    for pattern, replacement in _FOLDS:
        text = pattern.sub(replacement, text)
    return _SPACE.sub(" ", text).strip().lower()


def raw_title(text: str) -> str:
    """The cleaned line as the log has it, cut to MAX_TITLE_CHARS with an ellipsis."""
    text = _SPACE.sub(" ", clean_line(text))
    return text if len(text) <= MAX_TITLE_CHARS else text[: MAX_TITLE_CHARS - 1] + "…"


def title_of(text: str) -> str:
    """A readable title: the cleaned line without the logger's prefix (timestamps, clock
    times, memory counters, log levels), cut to MAX_TITLE_CHARS with an ellipsis."""
    return raw_title(readable(clean_line(text)))


# What a logger writes before the message: a date and time, a clock time or an elapsed time
# (bracketed or not), a memory counter after them, a log level; separated by spaces, pipes,
# dashes or colons.
_PREFIX = re.compile(
    r"^(?:"
    r"\[?\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\]?"
    r"|\[?\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\]?"
    r"|(?P<memory>\d+(?:\.\d+)?\s?(?:[KMGT]i?B|[KMGT])\b)"
    r"|[\[<(]?(?:ERROR|FATAL|CRITICAL|SEVERE|PANIC|WARNING|WARN|INFO|DEBUG|TRACE"
    r"|Error|Fatal|Critical|Warning|error|fatal|critical|warning)[\]>)]?(?=[\s|:\-\]]|$)"
    r")[\s|:\-]*"
)


def readable(text: str) -> str:
    """``text`` without the logger's prefixes (``00:02:11  7873MB ERROR | could not…`` ->
    ``could not…``); the text itself when nothing would be left."""
    rest = text.strip()
    while True:
        match = _PREFIX.match(rest)
        # A memory counter is a prefix only after a time ("512 MB free" is a message).
        if match is None or not match.group(0) or (match["memory"] and rest == text.strip()):
            break
        rest = rest[match.end() :]
    return rest if len(rest) >= 3 else text.strip()


def is_error_like(text: str) -> bool:
    return _ERROR_WORDS.search(text[:MAX_LINE_CHARS]) is not None


@dataclass(frozen=True)
class ErrorLine:
    """The line a signature came from: its 0-based position among the lines given."""

    index: int
    text: str


def first_error_line(lines: Sequence[str]) -> ErrorLine | None:
    """The first error-like line that is not the agent's own wrap-up; else the agent's
    "terminated by signal" line; else None."""
    signal_line: ErrorLine | None = None
    for index, raw in enumerate(lines):
        text = clean_line(raw)
        if not text:
            continue
        if _AGENT_LINE.match(text):
            if signal_line is None and _SIGNAL_LINE.match(text):
                signal_line = ErrorLine(index, raw)
            continue
        if is_error_like(text):
            return ErrorLine(index, raw)
    return signal_line


#: Where a signature came from.
FROM_LOG = "log"  # the first error-like line of the attempt's log window
FROM_EXIT = "exit"  # the exit code and progress message (the log had no error-like line)
FROM_NO_LOG = "no-log"  # the exit code and message: the log could not be read
FROM_NOT_READ = "not-read"  # the exit code and message: over the per-view cap of logs read
FROM_STATUS = "status"  # the attempt did not fail by itself (canceled, interrupted, none)


@dataclass(frozen=True)
class Signature:
    """A failure's signature (``key``), its readable title, and where it came from."""

    key: str
    title: str
    source: str
    line: int | None = None  # 0-based index of the matching line in the lines examined
    raw: str = ""  # the log line as written (timestamps and level included), when from a log

    @property
    def digest(self) -> str:
        """A short, URL-safe identifier of the key (anchors, ``?signature=``)."""
        return hashlib.blake2b(self.key.encode("utf-8", "replace"), digest_size=6).hexdigest()


def exit_key(exit_code: int | None, message: str | None) -> str:
    """The fallback signature: exit code and normalised progress message."""
    code = "?" if exit_code is None else str(exit_code)
    text = normalise(message or "")
    return f"exit {code}: {text}" if text else f"exit {code}"


def exit_title(exit_code: int | None, message: str | None) -> str:
    parts = [] if exit_code is None else [f"Exit code {exit_code}"]
    if message and clean_line(message):
        parts.append(title_of(message))
    return " — ".join(parts) or "Failed without an exit code or message"


def signature_of(
    lines: Sequence[str] | None,
    *,
    exit_code: int | None,
    message: str | None,
    fallback_source: str = FROM_EXIT,
) -> Signature:
    """The signature of a failed attempt from its log lines (None: not read), else its exit
    code and progress message."""
    found = first_error_line(lines) if lines else None
    if found is not None:
        return Signature(
            key=normalise(found.text),
            title=title_of(found.text),
            source=FROM_LOG,
            line=found.index,
            raw=raw_title(found.text),
        )
    source = fallback_source if lines is None else FROM_EXIT
    return Signature(
        key=exit_key(exit_code, message), title=exit_title(exit_code, message), source=source
    )


def status_signature(status: str, message: str | None) -> Signature:
    """An attempt that ended without failing by itself (canceled, interrupted, never run)."""
    words = status.replace("_", " ").lower()
    text = normalise(message or "")
    key = f"status {words}: {text}" if text else f"status {words}"
    title = f"Attempt {words}" + (f" — {title_of(message or '')}" if text else "")
    return Signature(key=key, title=title, source=FROM_STATUS)


def unreadable_signature() -> Signature:
    """The failing attempt itself could not be read (expired, or the API failed)."""
    return Signature(
        key="attempt unreadable",
        title="The failing attempt could not be read (it may have expired); retried shortly",
        source=FROM_NO_LOG,
    )


# --- Compact ranges ------------------------------------------------------------------------------

_MAX_RANGES = 12
EN_DASH = "\u2013"


def compact_ranges(values: Iterable[int], *, limit: int = _MAX_RANGES) -> str:
    """``1001\u20131040, 1102``: sorted, de-duplicated runs joined by an en dash; past
    ``limit`` runs, ``… (+N more)`` says how many frames were left out."""
    ordered = sorted(set(values))
    runs: list[tuple[int, int]] = []
    for value in ordered:
        if runs and value == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    shown = [f"{a}" if a == b else f"{a}{EN_DASH}{b}" for a, b in runs[:limit]]
    if len(runs) > limit:
        hidden = sum(b - a + 1 for a, b in runs[limit:])
        shown.append(f"… (+{hidden:,} more)")
    return ", ".join(shown)


_CHUNK_ITEM = re.compile(r"(-?\d+)(?:-(-?\d+)(?::(\d+))?)?")
_MAX_CHUNK_VALUES = 10_000


def chunk_values(expression: str) -> list[int]:
    """The integers of an OpenJD chunk expression (``1-10``, ``1-3,5,7-20:2``), capped; []
    when it does not parse."""
    values: list[int] = []
    for item in expression.replace(" ", "").split(","):
        match = _CHUNK_ITEM.fullmatch(item)
        if match is None:
            return []
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) is not None else start
        step = int(match.group(3)) if match.group(3) is not None else 1
        if step < 1 or end < start:
            return []
        values.extend(range(start, min(end, start + _MAX_CHUNK_VALUES * step) + 1, step))
        if len(values) >= _MAX_CHUNK_VALUES:
            return values[:_MAX_CHUNK_VALUES]
    return values
