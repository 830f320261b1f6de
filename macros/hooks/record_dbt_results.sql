{#- An on-run-end hook that keeps, in the state schema, the outcome of this dbt invocation for
    every sync model it built or tested: the model's own result and those of its tests.

    `dbt-clarify sync` skips a model whose latest build or tests failed. Where the sync runs on
    the same disk as dbt it reads target/run_results.json; where it does not (a dbt Cloud job,
    then a sync on another runner) it reads what this hook recorded. In dbt_project.yml:

        on-run-end:
          - "{{ dbt_clarify.record_dbt_results(results) }}"

    `schema` defaults to dbt_clarify.state_schema(). Rows of invocations older than the var
    `dbt_clarify_dbt_results_days` (default 30) are deleted on the way. -#}
{% macro record_dbt_results(results, schema=none) %}
  {{ return(adapter.dispatch('record_dbt_results', 'dbt_clarify')(results, schema)) }}
{% endmacro %}

{% macro default__record_dbt_results(results, schema) %}
  {%- if not execute or not results -%}
    {{ return('') }}
  {%- endif -%}
  {%- set rows = dbt_clarify._sync_model_results(results) -%}
  {%- if rows | length == 0 -%}
    {{ return('') }}
  {%- endif -%}
  {%- set schema = schema or dbt_clarify.state_schema() -%}
  {%- set days = var('dbt_clarify_dbt_results_days', 30) | int -%}
  {%- set cutoff = run_started_at - modules.datetime.timedelta(days=days) -%}
  {%- set statements = dbt_clarify.dbt_results_ddl(schema) -%}
  {%- do statements.append(dbt_clarify.delete_dbt_results(schema, dbt_clarify._utc_text(cutoff))) -%}
  {%- for start in range(0, rows | length, 500) -%}
    {%- do statements.append(dbt_clarify.insert_dbt_results(schema, rows[start:start + 500])) -%}
  {%- endfor -%}
  {%- do dbt_clarify._run_in_transaction(statements) -%}
  {{ return('') }}
{% endmacro %}

{#- One row per (sync model, result) for the results of models and tests about sync models. -#}
{% macro _sync_model_results(results) %}
  {%- set invocation_started_at = dbt_clarify._utc_text(run_started_at) -%}
  {%- set recorded_at = dbt_clarify._utc_text(modules.datetime.datetime.now(modules.pytz.utc)) -%}
  {%- set rows = [] -%}
  {%- for result in results -%}
    {%- set node = result.node -%}
    {%- if node.resource_type == 'model' -%}
      {%- set subjects = [node.unique_id] -%}
    {%- elif node.resource_type == 'test' -%}
      {%- set subjects = [node.attached_node] if node.attached_node else node.depends_on.nodes -%}
    {%- else -%}
      {%- set subjects = [] -%}
    {%- endif -%}
    {%- for model_id in subjects if dbt_clarify._is_sync_model(model_id) -%}
      {%- do rows.append({
          'invocation_id': invocation_id,
          'invocation_started_at': invocation_started_at,
          'recorded_at': recorded_at,
          'model_id': model_id,
          'node_id': node.unique_id,
          'resource_type': node.resource_type,
          'status': result.status | string,
          'failures': result.failures,
          'message': (result.message | string)[:1000] if result.message is not none else none,
      }) -%}
    {%- endfor -%}
  {%- endfor -%}
  {{ return(rows) }}
{% endmacro %}

{#- A sync model is tagged `clarify` or carries a clarify block, as `dbt-clarify sync` reads it. -#}
{% macro _is_sync_model(unique_id) %}
  {%- set node = graph.nodes.get(unique_id) -%}
  {%- if node is none or node.resource_type != 'model' -%}
    {{ return(false) }}
  {%- endif -%}
  {%- set config_meta = (node.config or {}).get('meta') or {} -%}
  {%- set meta = node.meta or {} -%}
  {{ return('clarify' in (node.tags or []) or 'clarify' in config_meta or 'clarify' in meta) }}
{% endmacro %}

{#- A datetime as naive UTC text, the form the state tables store. -#}
{% macro _utc_text(value) %}
  {%- if value.tzinfo is not none -%}
    {%- set value = value.astimezone(modules.pytz.utc) -%}
  {%- endif -%}
  {{ return(value.strftime('%Y-%m-%d %H:%M:%S.%f')) }}
{% endmacro %}

{#- Run statements in one transaction and commit, from a hook that runs outside one. -#}
{% macro _run_in_transaction(statements) %}
  {%- for sql in statements -%}
    {%- call statement('dbt_clarify_state', auto_begin=true) -%}
      {{ sql }}
    {%- endcall -%}
  {%- endfor -%}
  {%- do adapter.commit() -%}
{% endmacro %}
