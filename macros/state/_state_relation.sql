{#- One of the state tables, quoted the way the adapter quotes relations. -#}
{% macro _state_relation(schema, name) %}
  {{ return(api.Relation.create(database=target.database, schema=schema, identifier=name)) }}
{% endmacro %}
