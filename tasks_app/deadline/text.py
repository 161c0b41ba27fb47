"""Text from the API made safe to render, encode and store, once, where answers come in.

Job submitters control names, parameter values and log lines, and JSON can carry code points
no UTF-8 encoder accepts (a lone UTF-16 surrogate, escaped as ``\\ud800``): one of those in a
job name made every page showing it a 500. Every string of every answer (keys of maps, such
as parameter names, included) is repaired here: lone surrogates, noncharacters and NUL become
U+FFFD, the replacement character, and everything else is kept as sent.
"""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"
_NONCHARACTERS = "".join(
    chr(plane + offset)
    for plane in range(0x10000, 0x110000, 0x10000)
    for offset in (0xFFFE, 0xFFFF)
)
_INVALID = re.compile(f"[\x00\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff{_NONCHARACTERS}]")


def repair_string(text: str) -> str:
    """``text`` with every invalid code point replaced by U+FFFD (the same object if none)."""
    if text.isascii():  # the common case: only NUL can be wrong
        return text.replace("\x00", REPLACEMENT) if "\x00" in text else text
    return _INVALID.sub(REPLACEMENT, text)


def repair_answer(value: Any) -> Any:
    """Repair every string in a parsed API answer, in place where it is a dict or list."""
    if isinstance(value, str):
        return repair_string(value)
    if isinstance(value, dict):
        for key in list(value):
            item = repair_answer(value[key])
            fixed = repair_string(key) if isinstance(key, str) else key
            if fixed is not key:
                del value[key]
            value[fixed] = item
        return value
    if isinstance(value, list):
        value[:] = [repair_answer(item) for item in value]
        return value
    return value
