{% macro bronze_scan(table) -%}
  {#- The Bronze Delta table for a topic. A topic that has not received an event yet has
      no table; it reads as empty (with a log line) instead of failing every Silver model. -#}
  {%- set _lineage = source('bronze', table) -%}
  {%- set path = var('bronze_root').rstrip('/') ~ '/' ~ table -%}
  {%- if execute and not lh_delta_exists(path) -%}
    {{ log("Bronze table " ~ path ~ " does not exist yet; " ~ this.identifier ~ " reads it as empty", info=true) }}
    {#- contract.layout.sql_null_row(): tests/unit/test_dbt_guards.py keeps this row equal to it -#}
    (select null::varchar as _raw_value, null::varchar as _kafka_topic, null::integer as _kafka_partition,
            null::bigint as _kafka_offset, null::timestamptz as _kafka_timestamp,
            null::timestamptz as _ingested_at, null::varchar as correlation_id, null::date as _ingestion_date
     where false)
  {%- else -%}
    delta_scan('{{ path }}')
  {%- endif -%}
{%- endmacro %}

{% macro bronze_events(table) -%}
  {#- Bronze rows whose payload is a JSON object, as `j`, with the Kafka metadata.
      In incremental runs only rows ingested after the newest Silver row (minus a lookback): the
      streaming job stamps one _ingested_at per micro-batch and commits its batches in order, so a
      row at or before the newest one already read can no longer appear. The bound is a literal
      (read before the query), so the scan filters rows without reading the target again.
      With the LH_DBT_CORRELATION_ID environment variable (read at execution only, so partial
      parsing survives it), only that correlation id's rows: a test builds its own Silver/Gold. -#}
  select
    _raw_value::json as j,
    _kafka_partition,
    _kafka_offset,
    _kafka_timestamp::timestamptz as _kafka_timestamp,
    _ingested_at::timestamptz as _ingested_at,
    correlation_id as _bronze_correlation_id
  from {{ bronze_scan(table) }}
  where json_valid(_raw_value) and json_type(_raw_value) = 'OBJECT'
  {%- if execute and env_var('LH_DBT_CORRELATION_ID', '') %}
    and correlation_id = '{{ env_var('LH_DBT_CORRELATION_ID') | replace("'", "''") }}'
  {%- endif %}
  {%- if lh_is_incremental() %}
    {%- set newest = run_query("select strftime((max(_ingested_at) - to_minutes("
                               ~ var('incremental_lookback_minutes') ~ "::bigint)) at time zone 'UTC', "
                               ~ "'%Y-%m-%d %H:%M:%S.%f+00') from " ~ this).columns[0].values()[0] %}
    {%- if newest %}
    /*lh:watermark*/ and _ingested_at > '{{ newest }}'::timestamptz /*lh:end*/
    {%- endif %}
  {%- endif %}
{%- endmacro %}

{% macro json_str(field) -%} (j->>'$.{{ field }}') {%- endmacro %}
{% macro json_num(field, type='double') -%} try_cast(j->>'$.{{ field }}' as {{ type }}) {%- endmacro %}
{% macro json_ts(field='timestamp') -%} try_cast(j->>'$.{{ field }}' as timestamptz) {%- endmacro %}
{% macro json_lat(field) -%} try_cast(j->>'$.{{ field }}[0]' as double) {%- endmacro %}
{% macro json_lon(field) -%} try_cast(j->>'$.{{ field }}[1]' as double) {%- endmacro %}

{% macro event_lineage_columns() -%}
    coalesce(_bronze_correlation_id, {{ json_str('correlation_id') }}) as correlation_id,
    {{ json_str('session_id') }} as session_id,
    {{ json_str('causation_id') }} as causation_id,
    _kafka_partition,
    _kafka_offset,
    _kafka_timestamp,
    _ingested_at
{%- endmacro %}

{% macro dedup_events() -%}
  {#- one row per event_id: the first delivery (lowest Kafka offset; the same key always lands
      on the same partition, so offsets of duplicates are comparable) -#}
  qualify row_number() over (partition by event_id order by _kafka_offset, _kafka_partition, _ingested_at) = 1
{%- endmacro %}

{% macro in_list(values) -%}
  ({% for v in values %}'{{ v }}'{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}
