"""dbt's compiled Jinja templates kept between runs: the same SQL, without compiling again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest
from dbt_common.clients import jinja as dbt_jinja
from jinja2.bccache import FileSystemBytecodeCache

from dbt_clarify.dbt.template_cache import cache_directory, cached_compile
from support.dbt_project import DbtEnv

# One process's load of the project and one macro rendered through its connection: how many
# templates Jinja compiled from source, and the SQL.
RENDER_IN_A_NEW_PROCESS = """
import json, sys
from pathlib import Path
import jinja2.environment
compiled = []
compile = jinja2.environment.Environment.compile
def counted(self, source, *args, **kwargs):
    compiled.append(source)
    return compile(self, source, *args, **kwargs)
jinja2.environment.Environment.compile = counted
from dbt_clarify.dbt import DbtProject, ProjectOptions
project_dir = Path(sys.argv[1])
project = DbtProject.load(ProjectOptions(project_dir=project_dir, profiles_dir=project_dir))
with project.connect() as warehouse:
    sql = warehouse.render("state_tables_ddl", schema="analytics_clarify")
print(json.dumps({"compiled": len(compiled), "sql": sql}))
"""


@pytest.mark.dbt
@pytest.mark.warehouses("duckdb")
def test_a_second_run_compiles_no_template(dbt_env: DbtEnv, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = dbt_env.run_python(RENDER_IN_A_NEW_PROCESS, DBT_CLARIFY_CACHE_DIR=str(cache))
    assert first["compiled"] > 10
    assert any(cache_directory(cache).iterdir())
    second = dbt_env.run_python(RENDER_IN_A_NEW_PROCESS, DBT_CLARIFY_CACHE_DIR=str(cache))
    assert second["compiled"] == 0
    assert second["sql"] == first["sql"]
    assert "analytics_clarify" in "".join(second["sql"])


@pytest.fixture
def counted_compiles(tmp_path: Path) -> Iterator[tuple[list[str], jinja2.Environment]]:
    """A dbt text environment whose compiles go through a cache in ``tmp_path``."""
    compiled: list[str] = []
    compile_source = jinja2.Environment.compile

    def counted(environment: Any, source: str, *args: Any) -> Any:
        compiled.append(source)
        return compile_source(environment, source, *args)

    cache = FileSystemBytecodeCache(str(tmp_path))
    compile = cached_compile(counted, cache, lambda: False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dbt_jinja.MacroFuzzEnvironment, "compile", compile)
        yield compiled, dbt_jinja.get_environment()


def test_a_cached_template_renders_as_a_compiled_one(
    counted_compiles: tuple[list[str], jinja2.Environment],
) -> None:
    compiled, environment = counted_compiles
    source = "{% for n in names %}{{ n | upper }}{% if not loop.last %},{% endif %}{% endfor %}"
    assert environment.from_string(source).render({"names": ["a", "b"]}) == "A,B"
    assert jinja2.Environment().from_string(source).render(names=["c"]) == "C"
    assert environment.from_string(source).render({"names": ["c", "d"]}) == "C,D"
    assert compiled == [source]


def test_another_source_or_environment_is_compiled_anew(
    counted_compiles: tuple[list[str], jinja2.Environment],
) -> None:
    compiled, text = counted_compiles
    native = dbt_jinja.get_environment(native=True)
    as_text = text.compile("{{ x }}")
    as_native = native.compile("{{ x }}")
    assert as_native != as_text  # Jinja's native code generator writes other code
    assert text.from_string("{{ x }}-{{ y }}").render({"x": 1, "y": 2}) == "1-2"
    assert native.compile("{{ x }}") == as_native
    assert text.compile("{{ x }}") == as_text
    assert compiled == ["{{ x }}", "{{ x }}", "{{ x }}-{{ y }}"]


def test_a_template_error_is_raised_and_not_kept(
    counted_compiles: tuple[list[str], jinja2.Environment],
) -> None:
    compiled, environment = counted_compiles
    for _ in range(2):
        with pytest.raises(jinja2.TemplateSyntaxError, match="unexpected '}'"):
            environment.from_string("{{ broken }")
    assert compiled == ["{{ broken }", "{{ broken }"]


def test_macro_debugging_always_compiles(tmp_path: Path) -> None:
    compiled: list[str] = []

    def compile_source(environment: Any, source: str, *args: Any) -> str:
        compiled.append(source)
        return source

    compile = cached_compile(compile_source, FileSystemBytecodeCache(str(tmp_path)), lambda: True)
    environment = dbt_jinja.get_environment()
    compile(environment, "{{ x }}")
    compile(environment, "{{ x }}")
    assert compiled == ["{{ x }}", "{{ x }}"]
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_cache_still_compiles(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    cache = FileSystemBytecodeCache(str(blocker / "jinja"))
    compile = cached_compile(jinja2.Environment.compile, cache, lambda: False)
    environment = dbt_jinja.get_environment()
    code = compile(environment, "{{ 3 * 3 }}")
    assert environment.template_class.from_code(environment, code, {}).render({}) == "9"
    assert blocker.read_text() == ""
