*** Settings ***
Documentation    Table cleaning that truly isolates (issue 8, part 6). ``Reset Lakehouse Tables`` empties
...              Bronze, Silver and Gold by deleting their objects, safely: the streaming job is stopped
...              first, the empty tables are re-created by bronze-init, and the job resumes from the
...              topics' end offsets recorded at the reset. Afterwards a table holds exactly the events
...              published after the reset began (those published while it ran included), each once, and
...              Silver/Gold rebuilt by dbt match them (one ``dbt build`` of both layers, Silver first).
...              Whole tables are counted, so the tests run alone.
...              The reset is the platform's own (its lifecycle CLI stops and resumes its writers): the
...              embedded backend has it, the Compose backend refuses it, hence ``backend:embedded``.

Resource         ../../resources/platform.resource
Resource         ../../resources/streaming.resource
Resource         ../../resources/dbt.resource

Suite Setup      Platform Suite Setup
Test Teardown    Streaming Job Running After Test

Test Tags    profile:core
...          profile:data-platform
...          profile:quality-orchestration
...          serial
...          area:recovery
...          backend:embedded


*** Variables ***
${RESET_TIMEOUT}     5 min
${INGEST_TIMEOUT}    3 min


*** Test Cases ***
After A Reset The Medallion Holds Exactly The Events Published Since
    [Documentation]    Trip A and its pings reach Bronze, Silver and Gold; more pings of A are published
    ...    but not yet ingested (the job is stopped) when every layer is reset. Pings C are published
    ...    while the job is still stopped after the reset, trip B and pings B once it runs again. Bronze
    ...    must hold C and B, each once, and nothing of A; Silver and Gold rebuilt by dbt from it must
    ...    hold trip B only. Keeping the objects, keeping the old checkpoint (the lagging pings of A
    ...    arrive) or restarting from the earliest offsets leave A in; starting from the latest loses C.
    ${a}=    New Correlation Id    reset-a
    Publish Completed Trip    ${a}
    ${pings_a}=    Publish Gps Burst    ${a}    2    5    seed=${1}
    Bronze Should Contain Each Event Exactly Once    gps-pings    ${a}    ${pings_a}    timeout=${INGEST_TIMEOUT}
    Wait For Bronze Rows    trips    correlation_id=${a}    count=6    timeout=${INGEST_TIMEOUT}
    Wait For Bronze Rows    payments    correlation_id=${a}    count=1    timeout=${INGEST_TIMEOUT}
    Wait For Bronze Rows    ratings    correlation_id=${a}    count=2    timeout=${INGEST_TIMEOUT}
    Build Dbt    tag:silver tag:gold
    Get Row Count    gold.fact_trips    ==    1    correlation_id=${a}
    Stop Service    bronze-streaming
    Publish Gps Burst    ${a}    1    5    seed=${4}

    Reset Lakehouse Tables    bronze    resume=${False}    timeout=${RESET_TIMEOUT}
    ${c}=    New Correlation Id    reset-c
    ${pings_c}=    Publish Gps Burst    ${c}    2    5    seed=${3}
    Reset Lakehouse Tables    silver
    Reset Lakehouse Tables    gold
    Start Service    bronze-streaming    timeout=${RESET_TIMEOUT}

    ${b}=    New Correlation Id    reset-b
    ${trip_b}=    Publish Completed Trip    ${b}
    ${pings_b}=    Publish Gps Burst    ${b}    2    5    seed=${2}
    Bronze Should Contain Each Event Exactly Once    gps-pings    ${c}    ${pings_c}    timeout=${INGEST_TIMEOUT}
    Bronze Should Contain Each Event Exactly Once    gps-pings    ${b}    ${pings_b}    timeout=${INGEST_TIMEOUT}
    ${trip_ids}=    Event Ids Of    ${trip_b}[trips]
    Bronze Should Contain Each Event Exactly Once    trips    ${b}    ${trip_ids}    timeout=${INGEST_TIMEOUT}
    Wait For Bronze Rows    payments    correlation_id=${b}    count=1    timeout=${INGEST_TIMEOUT}
    Wait For Bronze Rows    ratings    correlation_id=${b}    count=2    timeout=${INGEST_TIMEOUT}
    ${published}=    Combine Lists    ${pings_c}    ${pings_b}
    ${pings}=    Get Length    ${published}
    Get Row Count
    ...    bronze.gps_pings
    ...    ==
    ...    ${pings}
    ...    message=bronze.gps_pings must hold exactly the ${pings} pings published during and after the reset; it holds {value}
    Get Row Count    bronze.gps_pings    ==    0    correlation_id=${a}
    Table Should Hold Only Correlation Ids    bronze.trips    ${b}    6
    Table Should Hold Only Correlation Ids    bronze.payments    ${b}    1
    Table Should Hold Only Correlation Ids    bronze.ratings    ${b}    2

    Build Dbt    tag:silver tag:gold
    Table Should Hold Only Correlation Ids    silver.stg_trips    ${b}    6
    Table Should Hold Only Correlation Ids    silver.stg_payments    ${b}    1
    Get Row Count    silver.stg_gps_pings    ==    ${pings}
    Get Row Count    silver.stg_gps_pings    ==    0    correlation_id=${a}
    Table Should Hold Only Correlation Ids    gold.fact_trips    ${b}    1
    Table Should Hold Only Correlation Ids    gold.fact_payments    ${b}    1
    Table Should Hold Only Correlation Ids    gold.fact_ratings    ${b}    2
    Fact Trip Should Be    ${b}    fare=${trip_b}[trips][-1][fare]

Resetting One Bronze Table Leaves The Others Exactly As They Were
    [Documentation]    Resetting ``gps_pings`` alone stops the shared streaming job and replaces its
    ...    checkpoint. The other topics must resume where the old checkpoint had committed: trips
    ...    published before the reset stay in Bronze once, trips published after arrive once, while
    ...    gps_pings holds only the pings published after the reset.
    ${a}=    New Correlation Id    one-a
    ${trips_before}=    Build Trip Lifecycle    ${a}
    Publish Events    trips    ${trips_before}    correlation_id=${a}
    ${pings_a}=    Publish Gps Burst    ${a}    2    5    seed=${1}
    Bronze Should Contain Each Event Exactly Once    gps-pings    ${a}    ${pings_a}    timeout=${INGEST_TIMEOUT}
    ${before_ids}=    Event Ids Of    ${trips_before}
    Bronze Should Contain Each Event Exactly Once    trips    ${a}    ${before_ids}    timeout=${INGEST_TIMEOUT}
    ${trips_total}=    Get Row Count    bronze.trips

    ${report}=    Reset Lakehouse Tables    bronze    tables=gps_pings    timeout=${RESET_TIMEOUT}

    ${b}=    New Correlation Id    one-b
    ${trips_after}=    Build Trip Lifecycle    ${b}
    Publish Events    trips    ${trips_after}    correlation_id=${b}
    ${pings_b}=    Publish Gps Burst    ${b}    2    5    seed=${2}
    Bronze Should Contain Each Event Exactly Once    gps-pings    ${b}    ${pings_b}    timeout=${INGEST_TIMEOUT}
    ${after_ids}=    Event Ids Of    ${trips_after}
    Bronze Should Contain Each Event Exactly Once    trips    ${b}    ${after_ids}    timeout=${INGEST_TIMEOUT}
    Bronze Should Contain Each Event Exactly Once    trips    ${a}    ${before_ids}    timeout=${INGEST_TIMEOUT}
    Get Row Count
    ...    bronze.trips
    ...    ==
    ...    ${trips_total + 6}
    ...    message=bronze.trips (not reset) must keep its ${trips_total} rows and gain exactly the 6 new ones; it holds {value}
    ${pings}=    Get Length    ${pings_b}
    Get Row Count    bronze.gps_pings    ==    ${pings}
    ...    message=bronze.gps_pings must hold exactly the ${pings} pings published after the reset; it holds {value}
    Should Be Equal    ${report}[tables]    ${{["gps_pings"]}}


*** Keywords ***
Publish Completed Trip
    [Documentation]    Publishes a completed trip (6 lifecycle events, its payment, two ratings) and
    ...    returns it as ``{topic: [events]}``.
    [Arguments]    ${cid}
    ${trip}=    Build Completed Trip    ${cid}
    Publish Events    trips    ${trip}[trips]    correlation_id=${cid}
    Publish Events    payments    ${trip}[payments]    correlation_id=${cid}
    Publish Events    ratings    ${trip}[ratings]    correlation_id=${cid}
    RETURN    ${trip}

Table Should Hold Only Correlation Ids
    [Documentation]    ``table`` holds exactly ``count`` rows, all of them carrying ``cid``.
    [Arguments]    ${table}    ${cid}    ${count}
    Get Row Count
    ...    ${table}
    ...    ==
    ...    ${count}
    ...    message=${table} must hold exactly the ${count} row(s) of ${cid}, published after the reset; it holds {value}
    Get Row Count    ${table}    ==    ${count}    correlation_id=${cid}

Streaming Job Running After Test
    [Documentation]    Attach logs on failure; start the streaming job if the test left it stopped.
    Platform Test Teardown
    Start Service    bronze-streaming    timeout=${RESET_TIMEOUT}
