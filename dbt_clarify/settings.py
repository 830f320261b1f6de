"""Where dbt-clarify gets its Clarify credentials: one object, one precedence rule.

Precedence is flag > environment > default. The API key is a ``SecretStr`` so that it never shows
in a repr, a log line or an exception; only the HTTP client reads its value.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import SecretStr

from dbt_clarify.errors import ConfigError

DEFAULT_API_URL = "https://api.clarify.ai"
ENV_API_KEY = "CLARIFY_API_KEY"
ENV_WORKSPACE = "CLARIFY_WORKSPACE"
ENV_API_URL = "CLARIFY_API_URL"


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ClarifySettings:
    """How to reach one Clarify workspace."""

    api_key: SecretStr
    workspace: str
    api_url: str = DEFAULT_API_URL

    def __post_init__(self) -> None:
        if not self.api_key.get_secret_value().strip():
            raise ConfigError(
                f"{ENV_API_KEY} is empty", hint=f"set {ENV_API_KEY} to a Clarify API key"
            )
        if not self.workspace.strip() or "/" in self.workspace:
            raise ConfigError(
                f"{ENV_WORKSPACE} is not a workspace slug: {self.workspace!r}",
                hint="use the segment after /workspaces/ in app.clarify.ai/workspaces/<slug>/",
            )
        parts = urlsplit(self.api_url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ConfigError(
                f"{ENV_API_URL} is not an http(s) URL: {self.api_url!r}",
                hint=f"leave it unset for {DEFAULT_API_URL}",
            )
        if parts.scheme == "http" and not is_loopback_host(parts.hostname):
            raise ConfigError(
                f"{ENV_API_URL} uses plain HTTP to a non-loopback host: {parts.hostname}",
                hint="the API key travels only over HTTPS; plain HTTP is for a local emulator",
            )

    @property
    def base_url(self) -> str:
        """The workspace's API root, under which every endpoint lives."""
        return f"{self.api_url.rstrip('/')}/v1/workspaces/{self.workspace}"

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        api_key: str | None = None,
        workspace: str | None = None,
        api_url: str | None = None,
    ) -> ClarifySettings:
        """Resolve settings from explicit values first, then the environment."""
        env = os.environ if environ is None else environ
        key = api_key or env.get(ENV_API_KEY)
        slug = workspace or env.get(ENV_WORKSPACE)
        if not key:
            raise ConfigError(
                f"{ENV_API_KEY} is not set",
                hint=f"export {ENV_API_KEY}=<your key> (Clarify: Settings > API keys)",
            )
        if not slug:
            raise ConfigError(
                f"{ENV_WORKSPACE} is not set",
                hint=f"export {ENV_WORKSPACE}=<slug from app.clarify.ai/workspaces/<slug>/>",
            )
        return cls(
            api_key=SecretStr(key),
            workspace=slug,
            api_url=api_url or env.get(ENV_API_URL) or DEFAULT_API_URL,
        )
