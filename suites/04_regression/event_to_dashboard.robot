*** Settings ***
Documentation    Regression: one trip followed from Kafka to the dashboard. A single correlation id is published,
...              lands in Bronze, Airflow's ``dbt_silver`` and ``dbt_gold`` build Silver and Gold from it,
...              Superset's "Operations" dashboard shows it (chart-data API and a real browser), and
...              Prometheus counted it (the streaming job's Bronze rows, the broker's incoming messages).
...              Every expected number is computed from the published events. The lineage trail
...              (topic/partition/offset → Bronze Delta version → Silver row → Gold row → chart) is
...              logged as one table. Tagged ``serial``: the Prometheus counters are platform-wide, so
...              their exact increase is only this test's when nothing else publishes.

Resource         ../../resources/platform.resource
Resource         ../../resources/airflow.resource
Resource         ../../resources/bi.resource
Resource         ../../resources/monitoring.resource

Suite Setup      Platform Suite Setup
Test Teardown    Platform Test Teardown

Test Tags    profile:core
...          profile:data-platform
...          profile:quality-orchestration
...          profile:monitoring
...          profile:bi
...          serial
...          area:regression


*** Variables ***
# A counter the job has not incremented since it started has no series yet: ``or vector(0)``.
${BRONZE_TRIPS}       (sum(lakehouse_bronze_rows_total{table="trips"}) or vector(0))
${BRONZE_DLQ}         (sum(lakehouse_bronze_dlq_rows_total{error_type="INVALID_JSON"}) or vector(0))
${BROKER_MESSAGES}    sum(kafka_server_brokertopicmetrics_messagesin_total)
${COUNTER_TIMEOUT}    30 s


*** Test Cases ***
One Trip Travels From Kafka To The Operations Dashboard
    [Documentation]    Six trip lifecycle events, one payment and one invalid record with one correlation id:
    ...    Bronze holds 6 + 1 rows and the DLQ 1; Silver (through Airflow) 6 events, Gold (through
    ...    Airflow) 1 fact_trips row; the dashboard shows 1 completed trip, the payment's fare as
    ...    revenue, 1 DLQ error and 1 trip in the pickup zone; Prometheus counted 6 Bronze trip rows,
    ...    1 dead letter and 8 incoming broker messages.
    ${cid}=    New Correlation Id    e2e
    ${before}=    Pipeline Counters
    ${trip}=    Publish Completed Trip With A DLQ Error    ${cid}
    ${figures}=    Expected Dashboard Figures    ${trip}
    ${published}=    Evaluate    len($trip['trips']) + len($trip['payments']) + 1
    Run Dbt Layer Through Airflow    silver    ${cid}
    Silver Row Count Should Be    stg_trips    ${cid}    ${{ len($trip['trips']) }}
    Run Dbt Layer Through Airflow    gold    ${cid}
    Gold Row Count Should Be    fact_trips    ${cid}    1
    Charts Should Show Figures Through The API    ${cid}    ${figures}
    Dashboard Should Show Figures In The Browser    ${cid}    ${figures}
    Counters Should Have Grown By    ${before}    trips=${{ len($trip['trips']) }}    dlq=${1}
    ...    messages=${published}
    Lineage Should Be Complete    ${cid}    trips    silver.stg_trips    gold.fact_trips    link=trip_id
    ...    chart=Completed trips = ${figures}[completed_trips]; Revenue = ${figures}[revenue]


*** Keywords ***
Pipeline Counters
    [Documentation]    The platform-wide counters this test moves: Bronze trip rows, dead letters and the
    ...    messages the broker received (each must exist: a missing series fails here).
    ${trips}=    Get Metric Value    ${BRONZE_TRIPS}    retry_timeout=${COUNTER_TIMEOUT}
    ${dlq}=    Get Metric Value    ${BRONZE_DLQ}    retry_timeout=${COUNTER_TIMEOUT}
    ${messages}=    Get Metric Value    ${BROKER_MESSAGES}    retry_timeout=${COUNTER_TIMEOUT}
    VAR    &{counters}    trips=${trips}    dlq=${dlq}    messages=${messages}
    RETURN    ${counters}

Counters Should Have Grown By
    [Documentation]    Each counter grew by exactly the number of records the test published (counters are
    ...    scraped every few seconds, so each is read again until it holds).
    [Arguments]    ${before}    ${trips}    ${dlq}    ${messages}
    Get Metric Value    ${BRONZE_TRIPS} - ${before}[trips]    ==    ${trips}    retry_timeout=${COUNTER_TIMEOUT}
    Get Metric Value    ${BRONZE_DLQ} - ${before}[dlq]    ==    ${dlq}    retry_timeout=${COUNTER_TIMEOUT}
    Get Metric Value    ${BROKER_MESSAGES} - ${before}[messages]    ==    ${messages}
    ...    retry_timeout=${COUNTER_TIMEOUT}
