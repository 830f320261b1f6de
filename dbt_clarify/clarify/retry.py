"""When to resend a Clarify request and how long to wait first.

Retried: connection errors, timeouts, dropped connections, 408, 409 (schema locked; not a
conflict that names a record), 429 and 5xx.
Never retried: any other 4xx, since resending the same request cannot change the answer. Waits
follow ``Retry-After`` when the server sends a readable one (seconds or an HTTP date, clamped to
[0, 60] s) and capped exponential backoff with full jitter otherwise. ``max_attempts`` and
``deadline_s`` bound the whole sequence; a retry that would start past the deadline is not made.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
)
from tenacity.stop import stop_base

from dbt_clarify.clarify.errors import ClarifyUnavailableError
from dbt_clarify.clarify.outcomes import parse_errors

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

MAX_RETRY_AFTER_S = 60.0
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)
"""Transport failures worth another attempt; ``LocalProtocolError`` and friends are bugs."""
NOT_SENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
"""Failures before the request left, so that Clarify cannot have applied it."""
NOT_APPLIED_STATUSES = frozenset({408, 429})
"""Answers saying Clarify turned the request away without applying it."""


def is_retryable_status(status: int) -> bool:
    return status in (408, 409, 429) or 500 <= status <= 599


def is_retryable(response: httpx.Response) -> bool:
    """Whether resending this very request may get a different answer.

    A 409 usually means the schema is being modified, which passes; but a 409 whose errors
    point at a record (``match_on`` matching several records) is that record's conflict, and
    resending it cannot help.
    """
    if response.status_code == 409:
        return not any(p.index is not None or p.error.field for p in parse_errors(response))
    return is_retryable_status(response.status_code)


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, or None when absent or unreadable.

    ``now`` is wall-clock epoch seconds, needed for the HTTP-date form. A date in the past or a
    negative number means "now" (0); anything above a minute is clamped to 60 s so that a wrong
    header cannot stall a sync.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = when.timestamp() - now
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one request."""

    max_attempts: int = 6
    deadline_s: float = 300.0
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 8.0

    def backoff(self, attempt: int) -> float:
        """Full jitter after failure number ``attempt``: uniform in [0, min(max, initial*2^(n-1))].

        Spreading waits over the whole range keeps many clients that failed together from
        coming back together.
        """
        ceiling = min(self.backoff_max_s, self.backoff_initial_s * 2.0 ** min(attempt - 1, 32))
        return random.uniform(0.0, ceiling)


def describe(outcome: httpx.Response | BaseException) -> str:
    """A short, credential-free account of one failed attempt."""
    if isinstance(outcome, httpx.Response):
        return f"{outcome.status_code} {outcome.reason_phrase}".strip()
    return type(outcome).__name__


class Retrier:
    """Runs one request under a ``RetryPolicy``; sleep and clocks are injectable for tests."""

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
        on_retry: Callable[[], None] | None = None,
    ) -> None:
        self.policy = policy
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self._on_retry = on_retry

    async def run(
        self,
        attempt: Callable[[], Awaitable[httpx.Response]],
        *,
        label: str,
        replay_safe: bool = True,
    ) -> httpx.Response:
        """The first response that is not worth retrying; raises ``ClarifyUnavailableError``
        when every allowed attempt failed transiently.

        A request that is not ``replay_safe`` (a create without ``match_on``) is resent only
        when Clarify surely did not apply it: a lost answer could otherwise become a duplicate.
        """
        started = self._clock()
        first: httpx.Response | BaseException
        try:
            first = await attempt()
        except TRANSIENT_ERRORS as error:
            first = error
        else:
            # Most requests succeed at once, and tenacity's loop costs about as much as
            # building a request: it starts only when the first answer is worth retrying.
            if not is_retryable(first):
                return first
        return await self._retry(attempt, first, started, label=label, replay_safe=replay_safe)

    async def _retry(
        self,
        attempt: Callable[[], Awaitable[httpx.Response]],
        first: httpx.Response | BaseException,
        started: float,
        *,
        label: str,
        replay_safe: bool,
    ) -> httpx.Response:
        """The retries after a ``first`` outcome worth retrying, which tenacity sees as its
        first attempt."""
        stop = stop_after_attempt(self.policy.max_attempts) | _StopAtDeadline(
            started + self.policy.deadline_s, self._clock
        )
        if not replay_safe:
            stop = stop | _StopIfMaybeApplied()
        replayed = [first]

        async def attempt_after_first() -> httpx.Response:
            if not replayed:
                return await attempt()
            outcome = replayed.pop()
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome

        def before_sleep(state: RetryCallState) -> None:
            outcome = _outcome(state)
            logger.debug(
                "%s: %s; attempt %d of %d, retrying in %.2f s",
                label,
                describe(outcome),
                state.attempt_number,
                self.policy.max_attempts,
                state.upcoming_sleep,
            )
            if self._on_retry is not None:
                self._on_retry()

        def give_up(state: RetryCallState) -> httpx.Response:
            outcome = _outcome(state)
            status = outcome.status_code if isinstance(outcome, httpx.Response) else None
            reason = describe(outcome)
            raise ClarifyUnavailableError(
                f"{label} failed: {reason} after {state.attempt_number} attempts",
                status=status,
                reason=reason,
                attempts=state.attempt_number,
            ) from (outcome if isinstance(outcome, BaseException) else None)

        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TRANSIENT_ERRORS) | retry_if_result(is_retryable),
            wait=self._wait,
            stop=stop,
            sleep=self._sleep,
            before_sleep=before_sleep,
            retry_error_callback=give_up,
        )
        response: httpx.Response = await retrying(attempt_after_first)
        return response

    def _wait(self, state: RetryCallState) -> float:
        outcome = _outcome(state)
        if isinstance(outcome, httpx.Response):
            header = outcome.headers.get("Retry-After")
            retry_after = parse_retry_after(header, now=self._wall_clock())
            if retry_after is not None:
                return retry_after
        return self.policy.backoff(state.attempt_number)


class _StopAtDeadline(stop_base):
    """Stop when the next wait would end past the deadline, on an injectable clock."""

    def __init__(self, deadline: float, clock: Clock) -> None:
        self._clock = clock
        self._deadline = deadline

    def __call__(self, state: RetryCallState) -> bool:
        return self._clock() + state.upcoming_sleep > self._deadline


class _StopIfMaybeApplied(stop_base):
    """Stop unless the failed attempt surely left Clarify untouched."""

    def __call__(self, state: RetryCallState) -> bool:
        outcome = _outcome(state)
        if isinstance(outcome, httpx.Response):
            return outcome.status_code not in NOT_APPLIED_STATUSES
        return not isinstance(outcome, NOT_SENT_ERRORS)


def _outcome(state: RetryCallState) -> httpx.Response | BaseException:
    future = state.outcome
    assert future is not None, "tenacity calls back only after an attempt"
    exception = future.exception()
    if exception is not None:
        return exception
    response: httpx.Response = future.result()
    return response
