{#- `create schema if not exists` as text; dbt's create_schema runs the statement instead. -#}
{% macro _create_schema_sql(schema) %}
  {{ return(adapter.dispatch('_create_schema_sql', 'dbt_clarify')(schema)) }}
{% endmacro %}

{% macro default___create_schema_sql(schema) %}
  {%- set relation = api.Relation.create(database=target.database, schema=schema) -%}
  {{ return("create schema if not exists " ~ relation.without_identifier()) }}
{% endmacro %}

{#- PostgreSQL (and Redshift) reject a database-qualified schema name here. -#}
{% macro postgres___create_schema_sql(schema) %}
  {%- set relation = api.Relation.create(database=target.database, schema=schema) -%}
  {{ return("create schema if not exists " ~ relation.without_identifier().include(database=false)) }}
{% endmacro %}
