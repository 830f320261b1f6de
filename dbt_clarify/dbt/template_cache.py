"""dbt's compiled Jinja templates, kept on disk between runs.

dbt builds a Jinja template from source for each macro and profile value it renders, and
Jinja compiles each one into Python code: lexing, parsing, generating Python source and
compiling it, in every process, to the same code every time. Jinja keeps such code between
runs only for templates it loads by name, through its bytecode cache; dbt's come from strings,
which Jinja never caches. So dbt-clarify gives dbt's environments Jinja's own
``FileSystemBytecodeCache``, under its cache directory, keyed by everything the code depends
on: the environment's class and its options, and the template's name, filename and source.
A missing, stale or unwritable cache only means compiling as dbt would.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from types import CodeType
from typing import Any

from dbt_clarify.dbt.user_cache import cache_dir, versions_digest

SHAPING_PACKAGES = ("Jinja2", "dbt-common", "dbt-core", "dbt-adapters")
"""The packages whose code turns a template's source into Python code."""

_CODE_SHAPING_OPTIONS = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
    "optimized",
    "autoescape",
    "finalize",
    "is_async",
)
"""Environment options that change the code Jinja generates; the ``undefined`` class and the
filters, which dbt varies, are looked up when a template runs, not when it is compiled."""

_installed = False


def cache_directory(directory: Path) -> Path:
    """The cache for this interpreter and these versions of the shaping packages."""
    return directory / f"dbt-jinja-{versions_digest(SHAPING_PACKAGES)}"


def environment_key(environment: Any) -> str:
    """What, besides the source, decides the code ``environment`` compiles a template to."""
    kind = type(environment)
    extensions = sorted(environment.extensions)
    options = [f"{name}={getattr(environment, name, None)!r}" for name in _CODE_SHAPING_OPTIONS]
    generator = environment.code_generator_class
    parts = [f"{kind.__module__}.{kind.__qualname__}", generator.__qualname__, *extensions]
    return "\n".join([*parts, *options])


def cached_compile(
    compile_source: Callable[..., Any], bytecode_cache: Any, debugging: Callable[[], bool]
) -> Callable[..., Any]:
    """``Environment.compile`` answered from ``bytecode_cache``; ``compile_source`` on a miss.

    Raw compiles (Python source, not code) and dbt's macro debugging, which needs the
    generated source in ``linecache``, always compile.
    """

    def compile(
        environment: Any,
        source: str,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> Any:
        if raw or debugging():
            return compile_source(environment, source, name, filename, raw, defer_init)
        # Jinja names a cache file by the template's name, and only checks the source's
        # checksum when it reads the file: dbt's templates have no name, so the source is in it.
        key = f"{environment_key(environment)}\n{name!r}\n{defer_init}\n{source}"
        try:
            bucket = bytecode_cache.get_bucket(environment, key, filename, source)
        except OSError:
            return compile_source(environment, source, name, filename, raw, defer_init)
        if bucket.code is None:
            code: CodeType = compile_source(environment, source, name, filename, raw, defer_init)
            bucket.code = code
            with contextlib.suppress(OSError):
                bytecode_cache.set_bucket(bucket)
        return bucket.code

    return compile


def install() -> None:
    """Route the compiles of dbt's Jinja environments through the cache, once per process.

    Called under the runner's lock. Leaves dbt as it is where the cache directory cannot be made.
    """
    global _installed
    if _installed:
        return
    _installed = True
    from dbt_common.clients import jinja as dbt_jinja
    from jinja2.bccache import FileSystemBytecodeCache
    from jinja2.utils import internalcode

    directory = cache_directory(cache_dir())
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    environment = dbt_jinja.MacroFuzzEnvironment
    compile = cached_compile(
        environment.compile,
        FileSystemBytecodeCache(str(directory)),
        lambda: bool(dbt_jinja.MACRO_DEBUGGING),
    )
    # Internal code is left out of the tracebacks Jinja rewrites for template errors.
    environment.compile = internalcode(compile)  # type: ignore[method-assign]
