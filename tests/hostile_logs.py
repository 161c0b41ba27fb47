"""Hostile log lines for tests: markup, terminal escapes, a lone UTF-16 surrogate and a
10 KB line, written into the demo world's session logs by a logs backend that stands in for
the emulator's own (through the real wire layer and boto3)."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from deadline_emulator.logs import LogsBackend

HOSTILE_LINES = (
    "ERROR <script>alert(1)</script> <img src=x onerror=alert(2)> `|` **bold** [x](javascript:y)",
    "\x1b[31;1mERROR\x1b[0m: coloured \x1b]0;title\x07 bell \x07 NUL \x00 end",
    "ERROR lone surrogate \ud800 here",
    "ERROR " + "long " * 2048,  # 10 KB
)


class HostileLogs(LogsBackend):
    """The demo world's logs, with the hostile lines written into every attempt's last page;
    each stream gets them in another order, so each comes first (is a title) somewhere."""

    streams: dict[str, int] = {}

    def get_log_events(self, **kwargs: Any) -> dict[str, Any]:
        answer = super().get_log_events(**kwargs)
        events = answer["events"]
        turn = self.streams.setdefault(kwargs["log_stream_name"], len(self.streams))
        lines = HOSTILE_LINES[turn % 4 :] + HOSTILE_LINES[: turn % 4]
        if len(events) > 12:
            for offset, text in enumerate(lines):
                events[-12 + offset] = {**events[-12 + offset], "message": text}
        return answer


def unescape(html: str) -> str:
    """The text an HTML fragment shows (entities decoded, tags dropped)."""
    parser = HTMLParser(convert_charrefs=True)
    pieces: list[str] = []
    parser.handle_data = pieces.append  # type: ignore[method-assign]
    parser.feed(html)
    parser.close()
    return "".join(pieces)
