{#- Enumerations of the Kafka JSON schemas (contract/schemas/*.json). tests/unit/test_dbt_contracts.py
    fails when these or the accepted_values tests drift from the schemas (an upstream bug). -#}
{% macro trip_states() -%}
  {{ return(['requested', 'offer_sent', 'offer_expired', 'offer_rejected', 'matched', 'driver_en_route',
             'driver_arrived', 'started', 'completed', 'cancelled']) }}
{%- endmacro %}
{% macro driver_statuses() -%}
  {{ return(['offline', 'online', 'en_route_pickup', 'en_route_destination']) }}
{%- endmacro %}
{% macro payment_method_types() -%}
  {{ return(['credit_card', 'debit_card', 'digital_wallet']) }}
{%- endmacro %}
