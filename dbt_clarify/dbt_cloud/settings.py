"""How to reach dbt Cloud: account, API token and address, from flags or the environment.

The token is a ``SecretStr``: it never shows in a repr, a log line or an exception, and only
travels over HTTPS (plain HTTP only to a loopback address, for a local stand-in).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import SecretStr

from dbt_clarify.errors import ConfigError
from dbt_clarify.settings import is_loopback_host

DEFAULT_URL = "https://cloud.getdbt.com"
ENV_ACCOUNT_ID = "DBT_CLOUD_ACCOUNT_ID"
ENV_API_TOKEN = "DBT_CLOUD_API_TOKEN"
ENV_URL = "DBT_CLOUD_URL"


@dataclass(frozen=True)
class DbtCloudSettings:
    account_id: int
    api_token: SecretStr
    url: str = DEFAULT_URL
    """The account's access URL, e.g. https://ab123.us1.dbt.com for a multi-cell account."""

    def __post_init__(self) -> None:
        if not self.api_token.get_secret_value().strip():
            raise ConfigError(
                f"{ENV_API_TOKEN} is empty",
                hint="set it to a dbt Cloud service token that can read runs and artifacts",
            )
        parts = urlsplit(self.url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ConfigError(
                f"{ENV_URL} is not an http(s) URL: {self.url!r}",
                hint=f"use your account's access URL, or leave it unset for {DEFAULT_URL}",
            )
        if parts.scheme == "http" and not is_loopback_host(parts.hostname):
            raise ConfigError(
                f"{ENV_URL} uses plain HTTP to a non-loopback host: {parts.hostname}",
                hint="the API token travels only over HTTPS",
            )

    @property
    def account_root(self) -> str:
        """The API root of the account, under which runs and their artifacts live."""
        return f"{self.url.rstrip('/')}/api/v2/accounts/{self.account_id}"

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        account_id: int | None = None,
        api_token: str | None = None,
        url: str | None = None,
    ) -> DbtCloudSettings:
        """Explicit values first, then DBT_CLOUD_ACCOUNT_ID, DBT_CLOUD_API_TOKEN, DBT_CLOUD_URL."""
        env = os.environ if environ is None else environ
        account = account_id if account_id is not None else env.get(ENV_ACCOUNT_ID)
        token = api_token or env.get(ENV_API_TOKEN)
        if account is None or str(account).strip() == "":
            raise ConfigError(
                f"{ENV_ACCOUNT_ID} is not set",
                hint="export it: the number after /accounts/ in dbt Cloud's URLs",
            )
        try:
            account_number = int(str(account).strip())
        except ValueError:
            raise ConfigError(
                f"{ENV_ACCOUNT_ID} is not a number: {account!r}",
                hint="use the number after /accounts/ in dbt Cloud's URLs",
            ) from None
        if not token:
            raise ConfigError(
                f"{ENV_API_TOKEN} is not set",
                hint="export a dbt Cloud service token that can read runs and artifacts",
            )
        return cls(
            account_id=account_number,
            api_token=SecretStr(token),
            url=url or env.get(ENV_URL) or DEFAULT_URL,
        )
