"""The few calls of dbt Cloud's Administrative API (v2) that a sync needs, over httpx.

- ``GET runs/{id}/?include_related=["run_steps"]``: a run, its status and its steps;
- ``GET runs/?job_definition_id=...&order_by=-id``: a job's runs, newest first;
- ``GET runs/{id}/artifacts/{path}?step=N``: a file the run wrote (the last step's by default).

Connection errors, 429 and 5xx are retried with backoff (honouring Retry-After); any other
answer is final. The token goes in the ``Authorization: Token ...`` header and nowhere else.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from dbt_clarify import __version__
from dbt_clarify.clarify.retry import (
    TRANSIENT_ERRORS,
    RetryPolicy,
    describe,
    is_retryable_status,
    parse_retry_after,
)
from dbt_clarify.dbt_cloud.settings import ENV_API_TOKEN, DbtCloudSettings
from dbt_clarify.errors import ConfigError, WarehouseError

FINISHED_STATUSES = {10: "Success", 20: "Error", 30: "Cancelled"}
UNFINISHED_STATUSES = {1: "Queued", 2: "Starting", 3: "Running"}
RUNS_PER_PAGE = 25
MAX_PAGES = 4
"""How far back (pages of runs) to look for a job's latest finished run."""


@dataclass(frozen=True)
class CloudRun:
    """One run of a dbt Cloud job."""

    id: int
    status: int
    step_indexes: tuple[int, ...] = ()
    """Indexes of the run's steps, in order (clone, profile, deps, then each dbt command)."""

    @property
    def status_name(self) -> str:
        return {**FINISHED_STATUSES, **UNFINISHED_STATUSES}.get(self.status, str(self.status))

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CloudRun:
        steps = data.get("run_steps") or ()
        indexes = sorted(
            step["index"]
            for step in steps
            if isinstance(step, Mapping) and isinstance(step.get("index"), int)
        )
        return cls(
            id=int(data["id"]),
            status=int(data.get("status") or 0),
            step_indexes=tuple(indexes),
        )


class DbtCloudClient:
    """A dbt Cloud account's runs and artifacts. Use as a context manager."""

    def __init__(
        self,
        settings: DbtCloudSettings,
        *,
        policy: RetryPolicy | None = None,
        timeout_s: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._policy = policy or RetryPolicy(max_attempts=5, deadline_s=120.0)
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=settings.account_root,
            headers={
                "Authorization": f"Token {settings.api_token.get_secret_value()}",
                "Accept": "application/json",
                "User-Agent": f"dbt-clarify/{__version__}",
            },
            timeout=httpx.Timeout(timeout_s, connect=10.0),
            limits=httpx.Limits(max_connections=4),
        )

    def __enter__(self) -> DbtCloudClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def run(self, run_id: int) -> CloudRun:
        """The run with its steps; ConfigError if the account has no such run."""
        response = self._get(f"/runs/{run_id}/", params={"include_related": '["run_steps"]'})
        if response.status_code == 404:
            raise ConfigError(
                f"dbt Cloud account {self._settings.account_id} has no run {run_id}",
                hint="check --dbt-cloud-run-id and DBT_CLOUD_ACCOUNT_ID",
            )
        return CloudRun.from_api(self._data(response, f"run {run_id}"))

    def latest_finished_run(self, job_id: int) -> CloudRun:
        """The job's newest run that ended in success or error, with its steps.

        A cancelled run is passed over: it may have stopped anywhere, even before writing
        the artifacts.
        """
        for run in self._job_runs(job_id):
            if run.status in (10, 20):
                return self.run(run.id)
        raise ConfigError(
            f"dbt Cloud job {job_id} has no run that finished in success or error "
            f"among its latest {RUNS_PER_PAGE * MAX_PAGES}",
            hint="wait for a run of the job to finish, or pass --dbt-cloud-run-id",
        )

    def artifact(self, run_id: int, path: str, step: int | None = None) -> bytes | None:
        """A file the run wrote (``manifest.json``, ``run_results.json``), or None if absent."""
        params = {"step": str(step)} if step is not None else None
        response = self._get(f"/runs/{run_id}/artifacts/{path}", params=params)
        if response.status_code == 404:
            return None
        self._raise_for_status(response, f"{path} of run {run_id}")
        return response.content

    def _job_runs(self, job_id: int) -> Iterator[CloudRun]:
        for page in range(MAX_PAGES):
            params = {
                "job_definition_id": str(job_id),
                "order_by": "-id",
                "limit": str(RUNS_PER_PAGE),
                "offset": str(page * RUNS_PER_PAGE),
            }
            response = self._get("/runs/", params=params)
            listed = self._data(response, f"the runs of job {job_id}")
            if not isinstance(listed, list):
                raise WarehouseError(
                    f"dbt Cloud answered the runs of job {job_id} with no list of runs",
                    hint="check DBT_CLOUD_URL: it should be the account's access URL",
                )
            for entry in listed:
                if isinstance(entry, Mapping) and "id" in entry:
                    yield CloudRun.from_api(entry)
            if len(listed) < RUNS_PER_PAGE:
                return

    def _data(self, response: httpx.Response, what: str) -> Any:
        self._raise_for_status(response, what)
        try:
            return response.json()["data"]
        except (ValueError, KeyError, TypeError):
            raise WarehouseError(
                f"dbt Cloud answered {what} with something other than its API's JSON",
                hint="check DBT_CLOUD_URL: it should be the account's access URL",
            ) from None

    def _raise_for_status(self, response: httpx.Response, what: str) -> None:
        if response.is_success:
            return
        if response.status_code in (401, 403):
            raise ConfigError(
                f"dbt Cloud refused the API token for {what} "
                f"({response.status_code} {response.reason_phrase})",
                hint=f"set {ENV_API_TOKEN} to a token of account {self._settings.account_id} "
                "that may read its runs and artifacts",
            )
        raise WarehouseError(
            f"dbt Cloud could not give {what}: {describe(response)}",
            hint="retry later; see status.getdbt.com",
        )

    def _get(self, path: str, params: Mapping[str, str] | None = None) -> httpx.Response:
        """GET with retries; the last answer, or WarehouseError when none came."""
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.get(path, params=params)
            except TRANSIENT_ERRORS as error:
                outcome: httpx.Response | BaseException = error
                wait = self._policy.backoff(attempt)
            else:
                if not is_retryable_status(response.status_code):
                    return response
                outcome = response
                retry_after = parse_retry_after(
                    response.headers.get("Retry-After"), now=time.time()
                )
                wait = retry_after if retry_after is not None else self._policy.backoff(attempt)
            elapsed = time.monotonic() - started
            if attempt >= self._policy.max_attempts or elapsed + wait > self._policy.deadline_s:
                if isinstance(outcome, httpx.Response):
                    return outcome
                raise WarehouseError(
                    f"cannot reach dbt Cloud at {self._settings.url}: {describe(outcome)}",
                    hint=f"check DBT_CLOUD_URL and the network; the sync retried {attempt} times",
                ) from None
            self._sleep(wait)
