"""The JSON Schema fragments and parsers of template input values: field elements, 64-bit integers, dates,
credentials. A value is checked against its schema first (a 422 naming the field), then parsed here.

>>> field_element("0x10"), uint64("18446744073709551615"), date_int("2026-12-05"), date_int(20261205)
(16, 18446744073709551615, 20261205, 20261205)
>>> date_int("5 December")
Traceback (most recent call last):
...
zapiki.errors.InputError: date '5 December' is not a date (YYYY-MM-DD or YYYYMMDD)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from zapiki.errors import InputError
from zapiki.formats.moduli import BN254_R

__all__ = [
    "CREDENTIAL", "DATE", "FIELD", "UINT64", "below_pattern", "date_int", "date_text", "field_element", "today",
    "uint64",
]  # fmt: skip

R = BN254_R


def below_pattern(bound: int, base: int = 10) -> str:
    """A regular expression (no anchors) for the numbers in ``[0, bound)`` written in ``base`` (10 or 16, hex
    digits in either case), leading zeros allowed: JSON Schema cannot bound a number written as a string.

    >>> import re
    >>> p = re.compile(f"^{below_pattern(300)}$")
    >>> [bool(p.match(s)) for s in ("0", "007", "299", "300", "1000")]
    [True, True, True, False, False]
    """
    digits = "0123456789abcdef"[:base]

    def cls(chars: str) -> str:
        chars = chars + (chars.upper() if base == 16 else "")
        chars = "".join(sorted(set(c for c in chars if not c.isdigit()))) + "".join(c for c in chars if c.isdigit())
        return chars if len(chars) == 1 else f"[{chars}]"

    any_digit = "[0-9a-fA-F]" if base == 16 else "[0-9]"
    text = format(bound, "x" if base == 16 else "d")
    n = len(text)
    alts = [f"{cls(digits[1:])}{any_digit}{{0,{n - 2}}}"] if n > 1 else []  # shorter numbers, no leading zero
    for i, c in enumerate(text):  # as long as the bound: equal up to position i, smaller there
        smaller = digits[1 if i == 0 else 0 : digits.index(c)]
        if smaller:
            rest = f"{any_digit}{{{n - i - 1}}}" if n - i - 1 else ""
            prefix = "".join(cls(d) for d in text[:i])
            alts.append(f"{prefix}{cls(smaller)}{rest}")
    return f"0*(?:0|{'|'.join(alts)})"


_BELOW_R = f"(?:{below_pattern(R)}|0[xX]{below_pattern(R, 16)})"
FIELD: dict[str, Any] = {
    "description": "a field element below the BN254 scalar field's order: a non-negative integer, or a decimal or "
    "0x-hex string",
    "anyOf": [
        {"type": "integer", "minimum": 0, "maximum": R - 1},
        {"type": "string", "pattern": f"^{_BELOW_R}$", "maxLength": 200},
    ],
}
UINT64: dict[str, Any] = {
    "description": "an integer from 0 to 2^64 - 1 (a decimal string above 2^53)",
    "anyOf": [
        {"type": "integer", "minimum": 0, "maximum": 2**64 - 1},
        {"type": "string", "pattern": f"^{below_pattern(2**64)}$", "maxLength": 100},
    ],
}
DATE: dict[str, Any] = {
    "description": 'a date: "YYYY-MM-DD" or the integer YYYYMMDD',
    "anyOf": [
        {"type": "integer", "minimum": 10000101, "maximum": 99991231},
        {"type": "string", "pattern": "^[0-9]{4}-?(0[1-9]|1[0-2])-?(0[1-9]|[12][0-9]|3[01])$"},
    ],
}
_POINT = {"type": "object", "required": ["ax", "ay"], "properties": {"ax": FIELD, "ay": FIELD}}
CREDENTIAL: dict[str, Any] = {
    "description": "an issuer-signed claim, as `zapiki issuer sign` writes it",
    "type": "object",
    "required": ["attribute", "value", "issuer", "signature"],
    "properties": {
        "attribute": {"type": "string", "pattern": "^[a-z0-9_]{1,31}$", "description": "the claim's name"},
        "value": UINT64,
        "issuer": {**_POINT, "description": "the issuer's public key (Baby Jubjub point)"},
        "signature": {
            "type": "object",
            "description": "the issuer's EdDSA-Poseidon signature",
            "required": ["r8x", "r8y", "s"],
            "properties": {"r8x": FIELD, "r8y": FIELD, "s": FIELD},
        },
    },
}


def field_element(value: Any, name: str = "value") -> int:  # noqa: ANN401
    """An int below the BN254 scalar field's order from an int or a decimal/hex string."""
    try:
        if isinstance(value, int) and not isinstance(value, bool):
            n = value
        elif isinstance(value, float) and value.is_integer():  # JSON's 413.0 is the integer 413
            n = int(value)
        else:
            text = str(value)
            n = int(text[2:], 16) if text[:2] in ("0x", "0X") else int(text, 10)
    except ValueError:
        raise InputError(f"{name} must be an integer or a decimal/hex string, got {value!r}") from None
    if not 0 <= n < R:
        raise InputError(f"{name} must be a field element (0 <= {name} < r), got {n}")
    return n


def uint64(value: Any, name: str = "value") -> int:  # noqa: ANN401
    """An int in [0, 2^64) from an int or a decimal string."""
    n = field_element(value, name)
    if n >= 2**64:
        raise InputError(f"{name} must be below 2^64, got {n}")
    return n


def date_int(value: Any, name: str = "date") -> int:  # noqa: ANN401
    """YYYYMMDD of a date given as "YYYY-MM-DD", "YYYYMMDD" or that integer (the form only: the day is taken as
    written, as the circuits compare the numbers)."""
    if isinstance(value, float) and value.is_integer():  # JSON's 20261205.0
        value = int(value)
    text = str(value).replace("-", "")
    if len(text) != 8 or not text.isdigit() or not text.isascii():
        raise InputError(f"{name} {value!r} is not a date (YYYY-MM-DD or YYYYMMDD)")
    return int(text)


def date_text(value: int) -> str:
    """ "YYYY-MM-DD" of a YYYYMMDD integer."""
    s = f"{value:08d}"
    return f"{s[:4]}-{s[4:6]}-{s[6:]}"


def today() -> int:
    """Today's date (UTC) as YYYYMMDD."""
    return int(dt.datetime.now(dt.UTC).strftime("%Y%m%d"))
