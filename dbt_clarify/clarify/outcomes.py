"""What the client hands back: one outcome per record written, Clarify's reasons, and counters.

Writes never answer with a bare exception for a record-level problem: the sync needs to know,
per input row, whether Clarify acknowledged it, rejected it (do not resend it unchanged) or could
not be reached (resend it next run).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

_POINTER = re.compile(r"^/data(?:/(?P<index>\d+))?(?:/attributes/(?P<field>.+))?$")
NO_RESPONSE = 0
"""The status recorded when a request got no HTTP answer (timeout, dropped connection)."""


def _unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def parse_pointer(pointer: str | None) -> tuple[int | None, str | None]:
    """``/data/<i>/attributes/<field>`` -> (i, field); nested attributes are dotted."""
    match = _POINTER.match(pointer or "")
    if match is None:
        return None, None
    index, attribute = match.group("index"), match.group("field")
    dotted = ".".join(_unescape(s) for s in attribute.split("/")) if attribute else None
    return (int(index) if index is not None else None), dotted


def _status(raw: Any, fallback: int) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return fallback


@dataclass(frozen=True)
class RecordError:
    """Clarify's reason for refusing a record, or the last failure of a transient outcome."""

    status: int
    """HTTP status; ``NO_RESPONSE`` (0) when the request never got an answer."""
    title: str
    detail: str
    field: str | None = None
    """The attribute named by the error's ``source.pointer``, dotted when nested."""


@dataclass(frozen=True)
class PointedError:
    """One entry of an ``errors`` array, with the batch position its pointer names (if any)."""

    index: int | None
    error: RecordError
    pointer: str | None = None

    @property
    def names_request(self) -> bool:
        """Points outside ``/data`` (``/match_on``, ``/meta``): the request is wrong as a
        whole, and no record of it is to blame."""
        return self.pointer is not None and not self.pointer.startswith("/data")


def json_body(response: httpx.Response) -> Any:
    """The JSON body, or None when there is none or it is not JSON."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None


def parse_errors(response: httpx.Response) -> list[PointedError]:
    """Read a JSON:API ``{"errors": [...]}`` answer leniently; never empty.

    ``status`` may be a string or a number; a body without usable errors yields one error built
    from the response's own status line, so a caller always has a reason to report.
    """
    body = json_body(response)
    fallback_status, fallback_title = response.status_code, response.reason_phrase
    items = body.get("errors") if isinstance(body, Mapping) else None
    parsed = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        source = item.get("source")
        pointer = source.get("pointer") if isinstance(source, Mapping) else None
        pointer = pointer if isinstance(pointer, str) else None
        index, attribute = parse_pointer(pointer)
        error = RecordError(
            status=_status(item.get("status"), fallback_status),
            title=str(item.get("title") or fallback_title),
            detail=str(item.get("detail") or item.get("title") or fallback_title),
            field=attribute,
        )
        parsed.append(PointedError(index, error, pointer))
    if not parsed:
        parsed.append(PointedError(None, RecordError(fallback_status, fallback_title, "")))
    return parsed


@dataclass(slots=True)
class WriteOutcome:
    """The fate of one input record of a bulk write (one per record: not frozen, see
    ``ChangedRow``)."""

    index: int
    """Position in the input sequence."""
    record_id: str | None
    """Clarify's id when acknowledged."""
    created: bool | None
    """True when Clarify created the record, False when it updated one, None when unknown."""
    error: RecordError | None
    """Clarify's reason when rejected (permanent: do not retry unchanged), or the last failure."""
    transient: bool = False
    """Failed after all retries for a transient reason: retry on the next run."""

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def acknowledged(
        cls, index: int, resource: Mapping[str, Any], *, created: bool | None
    ) -> WriteOutcome:
        record_id = resource.get("id")
        return cls(index, str(record_id) if record_id is not None else None, created, None)

    @classmethod
    def rejected(cls, index: int, error: RecordError) -> WriteOutcome:
        return cls(index, None, None, error)

    @classmethod
    def failed(cls, index: int, error: RecordError) -> WriteOutcome:
        return cls(index, None, None, error, transient=True)


def was_created(resource: Mapping[str, Any]) -> bool | None:
    """Whether an upsert created the record: Clarify stamps both times equal on creation."""
    attributes = resource.get("attributes")
    if not isinstance(attributes, Mapping):
        return None
    created_at, updated_at = attributes.get("_created_at"), attributes.get("_updated_at")
    if created_at is None or updated_at is None:
        return None
    return bool(created_at == updated_at)


@dataclass
class RequestStats:
    """Plain counters of what the client sent; safe to log (no payloads, no credentials)."""

    sent: Counter[tuple[str, int]] = field(default_factory=Counter)
    """Attempts per (endpoint, status); endpoint is ``METHOD /route/{template}``, status 0 means
    no HTTP answer."""
    retries: int = 0
    rate_limited: int = 0
    """429 answers received."""
    splits: int = 0
    """Rejected bulk batches broken up to find the records at fault."""
    batch_shrinks: int = 0
    """413 answers that made the client lower its batch size."""

    @property
    def total(self) -> int:
        """Every attempt sent, retries included."""
        return sum(self.sent.values())

    def for_endpoint(self, endpoint: str) -> int:
        return sum(n for (name, _), n in self.sent.items() if name == endpoint)
