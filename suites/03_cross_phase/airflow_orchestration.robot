*** Settings ***
Documentation    Airflow orchestrates the lakehouse: the dbt DAGs turn a test's Bronze rows into Silver
...              and Gold, and ``dlq_monitoring`` alerts when malformed events pile up in the DLQ.
...              Every DAG run is narrowed to the test's correlation id (``conf.correlation_id``) and
...              has a deterministic run id, so tests stay independent under pabot.

Resource         ../../resources/platform.resource
Resource         ../../resources/airflow.resource

Suite Setup      Platform Suite Setup
Test Teardown    Platform Test Teardown

Test Tags        profile:core    profile:data-platform    profile:quality-orchestration    area:airflow


*** Test Cases ***
Airflow Builds Silver From The Test's Bronze Rows
    [Documentation]    ``dbt_silver`` checks Bronze really holds the test's rows, runs the Silver models
    ...    and their tests; the six trip events become six Silver rows.
    ${cid}=    New Correlation Id    af-silver
    ${events}=    Build Trip Lifecycle    ${cid}
    Publish Events    trips    ${events}    correlation_id=${cid}
    Wait For Bronze Rows    trips    ${cid}    count=6    timeout=2 min
    Run Dbt Layer Through Airflow    silver    ${cid}
    Get Row Count    silver.stg_trips    ==    6    correlation_id=${cid}

Airflow Builds Gold From A Completed Trip
    [Documentation]    ``dbt_silver`` then ``dbt_gold`` (seed, run, test) turn one completed trip with its
    ...    payment and ratings into one fact_trips row and one fact_payments row.
    ${cid}=    New Correlation Id    af-gold
    ${trip}=    Build Completed Trip    ${cid}
    Publish Events    trips    ${trip}[trips]    correlation_id=${cid}
    Publish Events    payments    ${trip}[payments]    correlation_id=${cid}
    Publish Events    ratings    ${trip}[ratings]    correlation_id=${cid}
    Wait For Bronze Rows    payments    ${cid}    count=1    timeout=2 min
    Wait For Bronze Rows    trips    ${cid}    count=6    timeout=2 min
    Run Dbt Layer Through Airflow    silver    ${cid}
    Run Dbt Layer Through Airflow    gold    ${cid}
    Get Row Count    gold.fact_trips    ==    1    correlation_id=${cid}
    Get Row Count    gold.fact_payments    ==    1    correlation_id=${cid}

Dbt Silver Refuses To Run Without Bronze Rows
    [Documentation]    The freshness check is real: a correlation id with no Bronze rows fails the run
    ...    before dbt starts (upstream's check was an ``echo``).
    [Tags]    smoke
    ${cid}=    New Correlation Id    af-empty
    VAR    &{conf}    correlation_id=${cid}
    ${run_id}=    Trigger Dag    dbt_silver    conf=${conf}    run_id=silver_${cid}
    Wait For Dag Run    dbt_silver    ${run_id}    state=failed    timeout=${DAG_TIMEOUT}
    Get Task State    dbt_silver    ${run_id}    check_bronze_freshness    ==    failed
    Get Task State    dbt_silver    ${run_id}    dbt_build    ==    upstream_failed
    ${log}=    Get Task Log    dbt_silver    ${run_id}    check_bronze_freshness
    Should Contain    ${log}    correlation_id=${cid}

DLQ Monitoring Alerts When Malformed Events Exceed The Threshold
    [Documentation]    Eleven malformed trip events (threshold 10, alert when above) reach the DLQ; the
    ...    monitor counts them per topic, branches to ``send_alert`` and writes an alert record.
    ${cid}=    New Correlation Id    af-dlq
    Publish Malformed Events    trips    ${cid}    11
    Wait For Dlq Rows    ${cid}    count=11    timeout=2 min
    ${run_id}=    Run DLQ Monitoring    ${cid}    threshold=${10}
    VAR    &{expected}    trips=${11}
    DLQ Counts Should Be    ${run_id}    ${expected}
    ${alert}=    DLQ Monitoring Should Have Alerted    ${run_id}    ${cid}    11
    Dictionaries Should Be Equal    ${alert}[counts]    ${expected}

DLQ Monitoring Stays Quiet At The Threshold
    [Documentation]    Ten malformed events equal the threshold: no alert, and no alert record.
    ${cid}=    New Correlation Id    af-quiet
    Publish Malformed Events    payments    ${cid}    10
    Wait For Dlq Rows    ${cid}    count=10    timeout=2 min
    ${run_id}=    Run DLQ Monitoring    ${cid}    threshold=${10}
    VAR    &{expected}    payments=${10}
    DLQ Counts Should Be    ${run_id}    ${expected}
    DLQ Monitoring Should Not Have Alerted    ${run_id}

Dbt Tests Pass On The Platform's Own Data
    [Documentation]    ``dbt_gold`` without a correlation id: Silver must be fresh (committed in the last
    ...    hour), and every Gold model and data test must pass on whatever the platform holds.
    VAR    &{conf}    max_age_minutes=${60}
    ${now}=    Get Time    epoch
    ${run_id}=    Run Dag To Success    dbt_gold    ${conf}    gold_platform_${now}    timeout=${DBT_DAG_TIMEOUT}
    ${log}=    Dbt Build Should Have Passed    dbt_gold    ${run_id}
    Should Contain    ${log}    OK loaded seed file gold.zones
