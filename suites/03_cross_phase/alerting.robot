*** Settings ***
Documentation    Alerts really travel from the pipeline through Prometheus' rules to Alertmanager: a
...              test's malformed events raise the DLQ rate alert, which resolves once they stop, and a
...              failed Airflow DAG run raises FailedDagRun for that DAG. Everything is read from
...              Alertmanager's API (``/api/v2/alerts``). Rules: ``lakehouse/monitoring/rules``.

Resource         ../../resources/platform.resource
Resource         ../../resources/monitoring.resource
Resource         ../../resources/airflow.resource

Suite Setup      Platform Suite Setup
Test Teardown    Platform Test Teardown

Test Tags    profile:monitoring
...          profile:core
...          profile:data-platform
...          profile:quality-orchestration
...          area:monitoring


*** Test Cases ***
Malformed Events Raise The DLQ Rate Alert Until They Stop
    [Documentation]    30 malformed events (threshold: more than 20 dead-lettered in 30 s) make DlqRateHigh
    ...    fire in Alertmanager; 30 s after the last of them it resolves. The alert must be quiet first,
    ...    so that it is this test's events that raise it.
    ${start}=    Get Time    epoch
    Wait For Alert    DlqRateHigh    resolved    timeout=${RESOLVE_TIMEOUT}
    ${cid}=    New Correlation Id    alert-dlq
    Publish Malformed Events    trips    ${cid}    30
    Wait For Dlq Rows    ${cid}    count=30    timeout=2 min
    Wait For Alert To Fire And Resolve    DlqRateHigh
    Log Metric Plot    sum(lakehouse_bronze_dlq_rows_total)    since=${start}

A Failed DAG Run Raises FailedDagRun For That DAG
    [Documentation]    ``dbt_silver`` for a correlation id without Bronze rows fails its freshness check;
    ...    Airflow's ``dagrun.duration.failed`` reaches Prometheus through StatsD and FailedDagRun fires
    ...    in Alertmanager labelled with the DAG.
    VAR    &{labels}    dag_id=dbt_silver
    Wait For Alert    FailedDagRun    resolved    labels=${labels}    timeout=${RESOLVE_TIMEOUT}
    ${cid}=    New Correlation Id    alert-dag
    VAR    &{conf}    correlation_id=${cid}
    ${run_id}=    Trigger Dag    dbt_silver    conf=${conf}    run_id=silver_${cid}
    Wait For Dag Run    dbt_silver    ${run_id}    state=failed    timeout=${DAG_TIMEOUT}
    ${alerts}=    Wait For Alert    FailedDagRun    firing    labels=${labels}    timeout=${ALERT_TIMEOUT}
    Should Be Equal    ${alerts}[0][annotations][summary]    A run of DAG dbt_silver failed

The Streaming Query Going Down Raises StreamingQueryDown Until It Is Back
    [Documentation]    Stopping the Bronze streaming job takes its ``/metrics`` target down: the critical
    ...    StreamingQueryDown alert fires in Alertmanager within its ``for: 6s`` plus a few scrapes, and
    ...    resolves once the job is back. Disruptive (no ingestion meanwhile), hence ``serial``.
    [Tags]    serial    backend:managed
    Wait For Alert    StreamingQueryDown    resolved    timeout=${RESOLVE_TIMEOUT}
    Stop Service    bronze-streaming
    ${alerts}=    Wait For Alert    StreamingQueryDown    firing    timeout=${ALERT_TIMEOUT}
    Should Be Equal    ${alerts}[0][labels][severity]    critical
    Start Service    bronze-streaming    timeout=5 min
    Wait For Alert    StreamingQueryDown    resolved    timeout=${RESOLVE_TIMEOUT}
    [Teardown]    Restore Streaming Job


*** Keywords ***
Restore Streaming Job
    [Documentation]    Start the streaming job again whatever happened, then the usual teardown.
    Run Keyword And Continue On Failure    Start Service    bronze-streaming    timeout=5 min
    Platform Test Teardown
