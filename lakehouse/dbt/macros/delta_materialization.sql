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
    lh_skip_unchanged  (default true) skip the build when the model's inputs are unchanged: every
                   write records the model's input fingerprint (lh_input_fingerprint: its compiled SQL
                   without the incremental watermark, and the Delta version of every table it reads)
                   in its Delta commit; a model whose recorded fingerprint equals the current one
                   would write the same rows again. Set it false for models whose result depends on
                   something else, such as now(). --full-refresh always rebuilds.
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

{% macro lh_delta_head(path) -%}
  {#- The newest commit of the Delta table at path: {'version', 'committed' (commitInfo timestamp, so a
      table re-created up to the same version still differs), 'fingerprint' (the input fingerprint it
      recorded, -1 if none)}; version -1 when there is no table. One S3 listing and one small read. -#}
  {%- set none_found = {'version': -1, 'committed': 0, 'fingerprint': -1} -%}
  {%- if not execute -%}{{ return(none_found) }}{%- endif -%}
  {%- set last = run_query("select max(file) from glob('" ~ path.rstrip('/') ~ "/_delta_log/*.json')")
        .columns[0].values()[0] -%}
  {%- if not last -%}{{ return(none_found) }}{%- endif -%}
  {%- set row = run_query("select max(cast(json ->> '$.commitInfo.timestamp' as bigint)), "
        ~ "max(cast(json ->> '$.txn.version' as bigint)) filter (where json ->> '$.txn.appId' = 'lakehouse.dbt.inputs') "
        ~ "from read_json_objects('" ~ last ~ "', format='newline_delimited')").rows[0] -%}
  {{ return({'version': last.split('/')[-1].split('.')[0] | int, 'committed': row[0] or 0,
             'fingerprint': row[1] | int if row[1] is not none else -1}) }}
{%- endmacro %}

{% macro lh_input_fingerprint(sql) -%}
  {#- A 62-bit hash of what the model's rows depend on: its compiled SQL without the incremental
      watermark (lh:watermark … lh:end, which moves with every write) and the Delta version
      and commit time of each table it reads (Bronze sources, Delta models), or the checksum of a seed. -#}
  {%- set stripped = modules.re.sub('\\s*/\\*lh:watermark\\*/.*?/\\*lh:end\\*/', '', sql, flags=modules.re.S) -%}
  {%- set parts = [modules.re.sub('\\s+', ' ', stripped).strip()] -%}
  {%- for uid in model.depends_on.nodes | sort -%}
    {%- if uid.startswith('source.') -%}
      {%- set node = graph.sources[uid] -%}
      {%- set path = var('bronze_root').rstrip('/') ~ '/' ~ node.name -%}
      {%- set head = lh_delta_head(path) -%}
      {%- do parts.append(uid ~ '@' ~ head.version ~ '/' ~ head.committed) -%}
    {%- else -%}
      {%- set node = graph.nodes[uid] -%}
      {%- if node.resource_type == 'model' and node.config.materialized == 'delta' -%}
        {%- set head = lh_delta_head(lh_delta_location(node.config, node.alias)) -%}
        {%- do parts.append(uid ~ '@' ~ head.version ~ '/' ~ head.committed) -%}
      {%- else -%}
        {%- do parts.append(uid ~ '#' ~ node.checksum.checksum) -%}
      {%- endif -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(local_md5(parts | join('\n'))[:15] | int(base=16)) }}
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
  {%- set fingerprint = lh_input_fingerprint(sql) -%}
  {%- set unchanged = config.get('lh_skip_unchanged', true) and not should_full_refresh()
        and lh_delta_head(location).fingerprint == fingerprint -%}
  {%- if unchanged -%}
    {{ log(this.identifier ~ ": inputs unchanged since its last build (fingerprint " ~ fingerprint ~ "), skipped", info=true) }}
    {% call statement('main') -%}
      create or replace view {{ target_relation }} as select * from delta_scan('{{ location }}')
    {%- endcall %}
    {{ adapter.commit() }}
    {{ return({'relations': [target_relation]}) }}
  {%- endif -%}
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
                               ('delta+merge' if merge else 'delta') ~ ';fingerprint=' ~ fingerprint, config) %}

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
