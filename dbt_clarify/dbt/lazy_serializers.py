"""Serializers of dataclasses that dbt defines on import, written only when first used.

mashumaro writes the code of a dataclass's ``to_dict`` and ``from_dict`` when the class is
defined. dbt-common asks for that to wait until first use on its own classes
(``lazy_compilation``), but mashumaro's JSON Schema models and dbt's recording types keep
mashumaro's default and are written on import, though a sync never serializes them: about an
eighth of importing dbt. While dbt is imported through dbt-clarify, the default is lazy too. A
class that is used gets the same code, on its first call; after the command, the default is
back as it was, so dataclasses defined later are left alone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def lazy_serializers() -> Iterator[None]:
    """mashumaro's default switched to lazy code for the dataclasses defined inside."""
    from mashumaro.config import BaseConfig

    if not hasattr(BaseConfig, "lazy_compilation"):
        yield
        return
    before = BaseConfig.lazy_compilation
    BaseConfig.lazy_compilation = True
    try:
        yield
    finally:
        BaseConfig.lazy_compilation = before
