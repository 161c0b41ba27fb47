"""Text from the API written into plain-text channels: Markdown, Slack mrkdwn, CSV, e-mail.

Submitters choose job names, step names and log lines. In HTML each sits in ``<bdi>``; in the
plain-text channels one set of escapers does the same work, so every export and notification
treats a hostile string alike:

- **Invisible characters shown.** Format characters (Unicode category Cf: the bidi controls
  U+202A-U+202E and U+2066-U+2069, U+061C, U+200B-U+200F, U+2060-U+2064, U+FEFF, ...), other
  control characters and line/paragraph separators are written as ``<U+202E>``, so a name
  cannot reorder or hide text in a ticket, a message or a cell; what it holds stays readable.
- **Isolated.** Text channels (Markdown, Slack, e-mail) wrap each value in FIRST STRONG
  ISOLATE ... POP DIRECTIONAL ISOLATE (U+2068 ... U+2069), the plain-text ``<bdi>``: a
  right-to-left name keeps its own direction without moving the words around it.
- **The channel's own syntax made inert**: Markdown's punctuation escaped (code spans fenced
  longer than any backtick run), Slack's ``&``, ``<``, ``>`` escaped as Slack asks and its
  broadcast mentions neutralised, CSV formulas (a cell starting ``=``, ``+``, ``-``, ``@``,
  tab or CR) prefixed with ``'``.

Pure Python (no Django): views, template tags and services (notifications) share it.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

#: FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE: what ``<bdi>`` is in plain text.
ISOLATE_START = "\u2068"
ISOLATE_END = "\u2069"

_LINE_BREAKS = re.compile(r"(?:\r\n|[\r\n\u2028\u2029\x85\x0b\x0c])+")
# Characters shown visibly whatever they are called: Hangul fillers render as blank space.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0")


def visible_code_point(char: str) -> str:
    """``\\u202e`` -> ``<U+202E>``: how every channel shows a character it must not emit."""
    return f"<U+{ord(char):04X}>"


def _is_invisible(char: str) -> bool:
    """Format, control, separator (but spaces), surrogate, private-use and unassigned
    characters (what ``str.isprintable`` calls "Other" and "Separator"), and blank letters."""
    if char in _BLANK_LOOKING:
        return True
    return not char.isprintable() and unicodedata.category(char) != "Zs"


def show_invisible(text: str, *, keep: str = "") -> str:
    """``text`` with every invisible or control character (but those in ``keep``) written as
    ``<U+XXXX>``; other spaces (U+00A0, U+2003, ...) become plain spaces."""
    if text.isascii() and text.isprintable():
        return text
    out = []
    for char in text:
        if char in keep:
            out.append(char)
        elif _is_invisible(char):
            out.append(visible_code_point(char))
        elif not char.isprintable():  # a Zs space other than U+0020
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def one_line(value: object) -> str:
    """``value`` as one line: every run of line breaks, and every tab, becomes a space."""
    text = "" if value is None else str(value)
    return _LINE_BREAKS.sub(" ", text).replace("\t", " ").strip()


def isolate(text: str) -> str:
    """``text`` between FSI and PDI (nothing for an empty string)."""
    return f"{ISOLATE_START}{text}{ISOLATE_END}" if text else ""


# --- Markdown (CommonMark / GitHub tables) -------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~&])")


def markdown_text(value: object) -> str:
    """Inline Markdown: one line, isolated, invisible characters shown, every character
    Markdown could act on (links, emphasis, HTML, table cells) escaped."""
    # Shown after escaping: ``<U+202E>`` is neither an autolink nor an HTML tag in Markdown.
    return isolate(show_invisible(_MD_SPECIAL.sub(r"\\\1", one_line(value))))


def markdown_code(value: object) -> str:
    """An isolated code span holding any text: a fence longer than its longest backtick run;
    pipes escaped so a table cell stays one cell; invisible characters shown (a code span
    has no escapes, and would hide them)."""
    text = show_invisible(one_line(value)).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return isolate(f"{fence}{padding}{text}{padding}{fence}")


# --- Slack mrkdwn ---------------------------------------------------------------------------------

_BROADCAST = re.compile(r"@(channel|here|everyone|group)\b", re.IGNORECASE)
#: U+02CB MODIFIER LETTER GRAVE ACCENT: looks like a backtick, starts no code span.
_BACKTICK_STANDIN = "\u02cb"
#: U+FF20 FULLWIDTH COMMERCIAL AT: reads as @, notifies nobody.
_AT_STANDIN = "\uff20"


def _slack_escape(text: str) -> str:
    # Slack's rule: only these three are escaped, as HTML entities, & first.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_text(value: object) -> str:
    """Slack mrkdwn text: one line, isolated, invisible characters shown, ``& < >`` escaped
    (so no ``<!here>``, ``<@U…>`` or ``<url|link>`` can be formed), ``@channel``/``@here``/
    ``@everyone`` made inert and backticks unable to open a code span."""
    text = show_invisible(one_line(value))
    text = _BROADCAST.sub(lambda m: _AT_STANDIN + m.group(1), text)
    text = text.replace("`", _BACKTICK_STANDIN)
    return isolate(_slack_escape(text))


def slack_code(value: object) -> str:
    """Slack inline code (``*``, ``_``, ``~`` are not formatting inside it): the value as
    ``slack_text`` makes it, between backticks."""
    text = show_invisible(one_line(value)).replace("`", _BACKTICK_STANDIN)
    text = _BROADCAST.sub(lambda m: _AT_STANDIN + m.group(1), text)
    return isolate(f"`{_slack_escape(text)}`") if text else ""


def slack_link(url: str, label: object) -> str:
    """``<url|label>``: the URL's ``|``, ``<``, ``>`` and spaces percent-encoded, the label
    escaped as ``slack_text`` (it cannot close the link or add another)."""
    safe_url = quote(url, safe=":/?#[]@!$&'()*+,;=%-._~")
    label_text = show_invisible(one_line(label)).replace("`", _BACKTICK_STANDIN)
    label_text = _BROADCAST.sub(lambda m: _AT_STANDIN + m.group(1), label_text)
    return f"<{_slack_escape(safe_url)}|{isolate(_slack_escape(label_text))}>"


# --- CSV (spreadsheets) --------------------------------------------------------------------------

#: A cell starting with one of these is a formula (or becomes one) in Excel, LibreOffice and
#: Google Sheets; the fullwidth forms are folded to them by some. OWASP "CSV Injection".
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_cell(value: object) -> str:
    """A spreadsheet cell holding text: invisible characters shown (tabs and line breaks
    kept: the CSV writer quotes them), and a cell that would start a formula prefixed with
    ``'`` so it stays text."""
    text = "" if value is None else str(value)
    text = show_invisible(text, keep="\t\r\n")
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


# --- E-mail (text/plain) -------------------------------------------------------------------------


def email_text(value: object) -> str:
    """A value inside a plain-text e-mail body: one line, isolated, invisible shown."""
    return isolate(show_invisible(one_line(value)))


def email_header(value: object) -> str:
    """A value for a header such as Subject: one line (no header can be added), invisible
    characters shown, not isolated (mail clients show headers as given)."""
    return show_invisible(one_line(value))
