{#-
  `delta` materialization: the model is built as a DuckDB table, handed to the
  lakehouse_delta plugin which writes it to S3 with delta-rs, and replaced by a
  view over delta_scan(location) so downstream models and tests read the Delta table.

  Config:
    location_root  s3 prefix (set per layer in dbt_project.yml from the silver_root / gold_root vars)
    location       full s3 path (default: location_root/alias)
    incremental_strategy='merge' + unique_key  → insert rows whose key is new (events are immutable);
                   the model filters its input with lh_is_incremental(). --full-refresh overwrites.
    partition_by   list of columns for the Delta table (overwrite mode only)
-#}

{% macro lh_delta_location(node_config, alias) -%}
  {%- set explicit = node_config.get('location') -%}
  {%- if explicit -%}{{ explicit }}{%- else -%}
    {%- set root = node_config.get('location_root') -%}
    {%- if not root -%}
      {{ exceptions.raise_compiler_error("delta model " ~ alias ~ " has neither location nor location_root") }}
    {%- endif -%}
    {{ root.rstrip('/') }}/{{ alias }}
  {%- endif -%}
{%- endmacro %}

{% macro lh_delta_exists(path) -%}
  {#- whether a Delta log exists at path (one S3 LIST; a missing bucket is an error, not "no table") -#}
  {%- if not execute -%}{{ return(false) }}{%- endif -%}
  {%- set result = run_query("select count(*) from glob('" ~ path.rstrip('/') ~ "/_delta_log/*')") -%}
  {{ return(result.columns[0].values()[0] | int > 0) }}
{%- endmacro %}

{% macro lh_is_incremental() -%}
  {%- if not execute -%}{{ return(false) }}{%- endif -%}
  {%- if model.config.materialized != 'delta' or config.get('incremental_strategy') != 'merge' -%}
    {{ return(false) }}
  {%- endif -%}
  {%- if should_full_refresh() -%}{{ return(false) }}{%- endif -%}
  {{ return(lh_delta_exists(lh_delta_location(config, this.identifier))) }}
{%- endmacro %}

{% materialization delta, adapter='duckdb' %}
  {%- set location = lh_delta_location(config, this.identifier) -%}
  {%- set merge = config.get('incremental_strategy') == 'merge' and lh_is_incremental() -%}
  {%- set target_relation = this.incorporate(type='view') -%}
  {%- set staging = api.Relation.create(database=this.database, schema=this.schema,
                                         identifier=this.identifier ~ '__lh_stage', type='table') -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {{ drop_relation_if_exists(staging) }}
  {% call statement('main') -%}
    create table {{ staging }} as (
      {{ sql }}
    )
  {%- endcall %}
  {#- the plugin reads the staging table on its own cursor: it must be committed -#}
  {{ adapter.commit() }}

  {%- set column_list = adapter.get_columns_in_relation(staging) -%}
  {% do adapter.store_relation('lakehouse_delta', staging, column_list, location,
                               'delta+merge' if merge else 'delta', config) %}

  {% call statement('view') -%}
    create or replace view {{ target_relation }} as select * from delta_scan('{{ location }}')
  {%- endcall %}
  {{ drop_relation_if_exists(staging) }}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{% macro lh_register_delta_tables() %}
  {#- on-run-start: ':memory:' starts empty, so expose every existing Delta model as a view.
      Lets `--select tag:gold` read Silver, and incremental models read their own table. -#}
  {%- if execute -%}
    {%- for node in graph.nodes.values()
          if node.resource_type == 'model' and node.config.materialized == 'delta' -%}
      {%- set path = lh_delta_location(node.config, node.alias) -%}
      {%- if lh_delta_exists(path) -%}
        {%- set rel = api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias) -%}
        {% do run_query("create schema if not exists " ~ rel.database ~ "." ~ rel.schema) %}
        {% do run_query("create or replace view " ~ rel ~ " as select * from delta_scan('" ~ path ~ "')") %}
      {%- endif -%}
    {%- endfor -%}
    {#- seeds not loaded by this invocation are read straight from their CSV -#}
    {%- for node in graph.nodes.values()
          if node.resource_type == 'seed' and node.unique_id not in selected_resources -%}
      {%- set rel = api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias) -%}
      {%- set types = node.config.column_types or {} -%}
      {%- set csv_path = node.root_path ~ '/' ~ node.original_file_path -%}
      {% do run_query("create schema if not exists " ~ rel.database ~ "." ~ rel.schema) %}
      {% do run_query("create or replace table " ~ rel ~ " as select * from read_csv('" ~ csv_path
                      ~ "', header=true, auto_detect=true" ~ (", types=" ~ tojson(types) | replace('"', "'") if types else "")
                      ~ ")") %}
    {%- endfor -%}
  {%- endif -%}
{% endmacro %}

{% macro generate_schema_name(custom_schema_name, node) -%}
  {#- silver / gold verbatim (upstream bug: silver_staging vs silver) -#}
  {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
