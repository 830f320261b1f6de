{#- The statements that create the state schema and its three tables when missing.

    clarify_sync_state  one row per model: the keyset watermark reached by the last sync
    clarify_sync_runs   one row per model and run: what the run did
    clarify_sync_rows   the per-row ledger: for each model and row key, the content hash last
                        sent, the Clarify id, and the status (synced, rejected, failed) with
                        Clarify's reason and the attempts since the row last synced -#}
{% macro state_tables_ddl(schema) %}
  {{ return(adapter.dispatch('state_tables_ddl', 'dbt_clarify')(schema)) }}
{% endmacro %}

{% macro default__state_tables_ddl(schema) %}
  {%- set text = dbt_clarify._type_text() -%}
  {%- set ts = dbt.type_timestamp() -%}
  {%- set count = dbt.type_bigint() -%}
  {%- set statements = [dbt_clarify._create_schema_sql(schema)] -%}

  {%- set sync_state -%}
    create table if not exists {{ dbt_clarify._state_relation(schema, 'clarify_sync_state') }} (
        model_id {{ text }} not null,
        mapping_hash {{ text }} not null,
        cursor_value {{ text }},
        key_value {{ text }} not null,
        updated_at {{ ts }} not null
    )
  {%- endset -%}
  {%- do statements.append(sync_state) -%}

  {%- set sync_runs -%}
    create table if not exists {{ dbt_clarify._state_relation(schema, 'clarify_sync_runs') }} (
        run_id {{ text }} not null,
        model_id {{ text }} not null,
        started_at {{ ts }} not null,
        finished_at {{ ts }},
        status {{ text }} not null,
        rows_read {{ count }} not null,
        created {{ count }} not null,
        updated {{ count }} not null,
        unchanged {{ count }} not null,
        rejected {{ count }} not null,
        failed {{ count }} not null,
        requests {{ count }} not null,
        version {{ text }} not null
    )
  {%- endset -%}
  {%- do statements.append(sync_runs) -%}

  {%- set sync_rows -%}
    create table if not exists {{ dbt_clarify._state_relation(schema, 'clarify_sync_rows') }} (
        model_id {{ text }} not null,
        row_key {{ text }} not null,
        status {{ text }} not null,
        row_hash {{ text }},
        clarify_id {{ text }},
        reason {{ text }},
        field {{ text }},
        schema_hash {{ text }},
        run_id {{ text }} not null,
        attempts {{ count }} not null,
        status_since {{ ts }} not null,
        last_attempt_at {{ ts }} not null
    )
  {%- endset -%}
  {%- do statements.append(sync_rows) -%}

  {{ return(statements) }}
{% endmacro %}
