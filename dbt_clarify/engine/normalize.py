"""Warehouse values turned into the values Clarify accepts, or refused with a reason.

Each normaliser takes one non-null value and returns the value to send, None when it is blank
(an empty or all-space string counts as no value), or raises InvalidValue. Rows are checked here
so that Clarify never sees a value it would reject: one bad record fails a whole bulk request.

Numbers must fit Clarify's DECIMAL(16,4): they are rounded to 4 decimal places (half away from
zero, as a SQL cast to DECIMAL does) and refused when 10^12 or more in size. Dates keep the
calendar date the value carries, with no time-zone conversion.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

Normalizer = Callable[[Any], Any]

_EMAIL = re.compile(r"[^@\s]+@(?:[^@\s.]+\.)+[^@\s.]+\Z")
_FOUR_PLACES = Decimal("0.0001")
_DECIMAL_LIMIT = Decimal(10) ** 12
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})
_COMPOUND = (list, tuple, set, frozenset, dict, bytes, bytearray)


def _domain_pattern(label: str) -> re.Pattern[str]:
    """A URL or bare host whose host (without www., a trailing dot, port or path) is group 1."""
    return re.compile(
        rf"(?:[a-z][a-z0-9+.-]*://)?(?:www\.(?=[^/?#:]+\.))?((?:{label}\.)+{label})\.?"
        r"(?::[0-9]*)?(?:[/?#].*)?\Z",
        re.DOTALL,
    )


_ASCII_DOMAIN = _domain_pattern(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_UNICODE_DOMAIN = _domain_pattern(r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?")


class InvalidValue(ValueError):
    """A value Clarify would refuse; the message is the reason shown to the user."""


def _kind(value: Any) -> str:
    """The value's type with its article: "a list", "an int"."""
    name = type(value).__name__
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def text(value: Any) -> str | None:
    """A string field: trimmed; numbers, dates and booleans written out; lists refused."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidValue(f"{value} is not a value Clarify can store")
    if isinstance(value, _COMPOUND):
        raise InvalidValue(f"expected one value, got {_kind(value)}")
    return str(value)


def email(value: Any) -> str | None:
    """Lower-cased and trimmed; one @, a local part, a dotted domain, no spaces."""
    if not isinstance(value, str):
        raise InvalidValue(f"expected an email address, got {_kind(value)}")
    address = value.strip().lower()
    if not address:
        return None
    if _EMAIL.match(address) is None:
        raise InvalidValue(f"{value!r} is not a valid email address")
    return address


def domain(value: Any) -> str | None:
    """The bare lower-case host of a domain or URL: no scheme, www., port, path or query."""
    if not isinstance(value, str):
        raise InvalidValue(f"expected a domain, got {_kind(value)}")
    return _host(value)


@lru_cache(maxsize=65536)
def _host(value: str) -> str | None:
    """Cached: the same few company domains recur row after row in a people model."""
    written = value.strip().lower()
    if not written:
        return None
    found = (_ASCII_DOMAIN if written.isascii() else _UNICODE_DOMAIN).match(written)
    host = found.group(1) if found else ""
    if not host or len(host) > 253 or host.rpartition(".")[2].isdigit():
        raise InvalidValue(f"{value!r} is not a valid domain")
    return host


def iso_date(value: Any) -> str | None:
    """``YYYY-MM-DD`` from a date, a datetime, or an ISO 8601 date or timestamp string."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise InvalidValue(f"expected a date, got {_kind(value)}")
    stamp = value.strip()
    if not stamp:
        return None
    try:
        if len(stamp) == 10:
            return date.fromisoformat(stamp).isoformat()
        if stamp[-1] in "Zz":
            stamp = f"{stamp[:-1]}+00:00"
        return datetime.fromisoformat(stamp).date().isoformat()
    except ValueError:
        raise InvalidValue(f"{value!r} is not a date (expected YYYY-MM-DD)") from None


def number(value: Any) -> int | float | None:
    """A JSON number that fits DECIMAL(16,4): int when whole, else float rounded to 4 places."""
    exact = _decimal(value)
    if exact is None:
        return None
    rounded = _within_limit(exact.quantize(_FOUR_PLACES, rounding=ROUND_HALF_UP), value)
    whole = rounded.to_integral_value()
    return int(whole) if rounded == whole else float(rounded)


def integer(value: Any) -> int | None:
    """A whole number that fits DECIMAL(16,4); fractions are refused, not truncated."""
    result = number(value)
    if isinstance(result, float):
        raise InvalidValue(f"{value} is not a whole number")
    return result


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, (bool, *_COMPOUND)):
        raise InvalidValue(f"expected a number, got {_kind(value)}")
    if isinstance(value, int):
        exact = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidValue(f"{value} is not a number Clarify can store")
        exact = Decimal(value)
    elif isinstance(value, Decimal):
        exact = value
    else:
        written = str(value).strip()
        if not written:
            return None
        try:
            exact = Decimal(written)
        except InvalidOperation:
            raise InvalidValue(f"{value!r} is not a number") from None
    if not exact.is_finite():
        raise InvalidValue(f"{value} is not a number Clarify can store")
    return _within_limit(exact, value)


def _within_limit(exact: Decimal, value: Any) -> Decimal:
    if abs(exact) >= _DECIMAL_LIMIT:
        raise InvalidValue(f"{value} is too large for Clarify (at most 12 digits before the point)")
    return exact


def boolean(value: Any) -> bool | None:
    """true/false from a boolean, 0/1, or words such as yes/no and t/f."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if not word:
            return None
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise InvalidValue(f"{value!r} is not true or false")


def one_of(allowed: Iterable[Any]) -> Normalizer:
    """A normaliser for an enum (select) field: the value must match an option exactly."""
    options = {str(option): option for option in allowed}
    listed = ", ".join(options)

    def choose(value: Any) -> Any:
        written = text(value)
        if written is None:
            return None
        if written not in options:
            raise InvalidValue(f"{written!r} is not one of the allowed values: {listed}")
        return options[written]

    return choose


def collection(item: Normalizer) -> Normalizer:
    """A normaliser for a collection field: ``{"items": [...]}`` from one value or a list.

    Items are normalised, blanks skipped and duplicates dropped; no items at all counts as no
    value. A JSON array in a string (how Snowflake returns arrays) is read as a list.
    """

    def collect(value: Any) -> dict[str, list[Any]] | None:
        if isinstance(value, str) and value[:1] == "[" and value[-1:] == "]":
            value = _json_list(value)
        if not isinstance(value, (list, tuple)):
            single = item(value)
            return {"items": [single]} if single is not None else None
        items = (item(v) for v in value if v is not None)
        unique = list(dict.fromkeys(i for i in items if i is not None))
        return {"items": unique} if unique else None

    return collect


def _json_list(written: str) -> Any:
    try:
        return json.loads(written)
    except ValueError:
        return written
