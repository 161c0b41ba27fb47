"""The plain-text escapers every export and notification shares: invisible characters shown
as ``<U+XXXX>`` (or isolated), and each channel's syntax made inert for hostile names."""

from __future__ import annotations

import csv
import io
import re
import unicodedata

import pytest
from markdown_it import MarkdownIt

from tasks_app import plain_text

#: Every bidi control and the invisible formatting characters a name can hide.
INVISIBLE = (
    "\u200b\u200c\u200d\u200e\u200f"  # zero-width space, ZWNJ, ZWJ, LRM, RLM
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings, overrides, pop
    "\u2066\u2067\u2068\u2069"  # isolates
    "\u2060\u2061\u2062\u2063\u2064"  # word joiner, invisible operators
    "\ufeff\u061c\u00ad\u180e"  # BOM/ZWNBSP, Arabic letter mark, soft hyphen, Mongolian VS
    "\u3164\u115f"  # Hangul fillers: letters that render as blank space
    "\x1b\x07\x7f\x9b"  # terminal escape, bell, DEL, CSI
)
SHOWN = re.compile(r"<U\+[0-9A-F]{4,6}>")


def _hidden(text: str) -> set[str]:
    """Characters in ``text`` a reader cannot see (but our own isolates)."""
    return {
        c
        for c in text
        if (unicodedata.category(c) in {"Cf", "Cc", "Zl", "Zp"} or c in "\u3164\u115f")
        and c not in "\u2068\u2069\n\r\t"
    }


@pytest.mark.parametrize(
    "escape",
    [
        plain_text.markdown_text,
        plain_text.markdown_code,
        plain_text.slack_text,
        plain_text.slack_code,
        plain_text.csv_cell,
        plain_text.email_text,
        plain_text.email_header,
    ],
)
def test_every_channel_shows_each_invisible_character_the_same_way(escape: object) -> None:
    for char in INVISIBLE:
        out = escape(f"a{char}b")  # type: ignore[operator]
        assert not _hidden(out), (char, out)
        code = f"U+{ord(char):04X}"
        assert code in out, (code, out)  # shown, in whatever escaping the channel needs


def test_show_invisible_keeps_scripts_emoji_and_asked_for_characters() -> None:
    text = "Lumière — Phare 🌊 تصيير שלום 漢字 a\u00a0b"
    assert plain_text.show_invisible(text) == text.replace("\u00a0", " ")
    assert plain_text.show_invisible("a\tb\nc", keep="\t\n") == "a\tb\nc"
    assert plain_text.show_invisible("a\u202eb") == "a<U+202E>b"


def test_text_channels_isolate_each_value() -> None:
    for escape in (plain_text.markdown_text, plain_text.slack_text, plain_text.email_text):
        out = escape("שלום world")
        assert out.startswith("\u2068") and out.endswith("\u2069")
        assert out.count("\u2068") == out.count("\u2069") == 1
    assert plain_text.markdown_text("") == ""  # nothing to isolate


# --- Markdown -------------------------------------------------------------------------------------


def test_markdown_text_cannot_add_links_emphasis_html_cells_or_lines() -> None:
    hostile = "**bold** _it_ [x](javascript:y) <img src=x> | # h\n---\n\u202eexe.txt"
    cell = plain_text.markdown_text(hostile)
    rendered = (
        MarkdownIt("commonmark").enable("table").render(f"| a | b |\n|---|---|\n| {cell} | 2 |\n")
    )
    assert "\n" not in cell
    assert "<strong>" not in rendered and "<em>" not in rendered and "<a " not in rendered
    assert "<img" not in rendered and rendered.count("<td>") == 2
    assert "&lt;U+202E&gt;exe.txt" in rendered  # shown as text, not acted on


def test_markdown_code_holds_backticks_and_pipes() -> None:
    span = plain_text.markdown_code("a ``b`` | c\u202e")
    rendered = MarkdownIt("commonmark").enable("table").render(f"| x |\n|---|\n| {span} |\n")
    assert "<code>a ``b`` | c&lt;U+202E&gt;</code>" in rendered


# --- Slack mrkdwn ---------------------------------------------------------------------------------


def test_slack_text_escapes_and_neutralises_mentions() -> None:
    """Slack delivery comes later (notifications); its formatter is tested here directly,
    against Slack's documented rules: escape ``&``, ``<``, ``>`` (and nothing else) as HTML
    entities; ``<!here>``, ``<!channel>``, ``<@U…>`` and ``<url|text>`` need a raw ``<``."""
    out = plain_text.slack_text(
        "@channel @here @Everyone <!here> <@U024BE7LH> <https://evil|ok> & `code` *b*"
    )
    assert "<" not in out and ">" not in out  # no control sequence can be formed
    assert "&lt;!here&gt;" in out and "&lt;@U024BE7LH&gt;" in out and "&amp;" in out
    assert not re.search(r"(?<!\uff20)@(channel|here|everyone)\b", out, re.IGNORECASE)
    assert "\uff20channel \uff20here \uff20Everyone" in out  # reads as @, notifies nobody
    assert "`" not in out  # no code span opened by a name
    assert "&amp;lt;" not in plain_text.slack_text("<")  # escaped once, & first


def test_slack_code_and_link_cannot_be_broken_out_of() -> None:
    code = plain_text.slack_code("a`b *c* <!channel>")
    assert code == "\u2068`a\u02cbb *c* &lt;!channel&gt;`\u2069"

    link = plain_text.slack_link("https://dash.example/f?a=1&b=2|x>", "job | <!here> \u202e")
    assert link.startswith("<https://dash.example/f?a=1&amp;b=2%7Cx%3E|")
    assert link.endswith(">") and link.count("<") == 1 and link.count(">") == 1
    assert "&lt;!here&gt;" in link and "<U+202E>" not in link and "&lt;U+202E&gt;" in link


# --- CSV ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://evil")',
        "+1+2",
        "-2+3",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        "\uff1d1+1",  # fullwidth =
    ],
)
def test_csv_cells_that_would_be_formulas_stay_text(value: str) -> None:
    cell = plain_text.csv_cell(value)
    assert cell.startswith("'") and cell[1:] == plain_text.show_invisible(value, keep="\t\r\n")


def test_csv_cells_keep_plain_text_and_round_trip() -> None:
    values = ["shot_042 v3", 'a, b "quoted"\nnext line', "", "1001-1010", "\u202eexe.txt"]
    out = io.StringIO()
    csv.writer(out).writerow([plain_text.csv_cell(v) for v in values])
    row = next(csv.reader(io.StringIO(out.getvalue())))
    assert row == ["shot_042 v3", 'a, b "quoted"\nnext line', "", "1001-1010", "<U+202E>exe.txt"]


# --- E-mail ---------------------------------------------------------------------------------------


def test_email_header_is_one_line() -> None:
    subject = plain_text.email_header("Failures\r\nBcc: victim@example.com\u2028x")
    assert "\r" not in subject and "\n" not in subject
    assert subject == "Failures Bcc: victim@example.com x"
