*** Settings ***
Documentation    Kafka → Spark Structured Streaming → Bronze Delta tables on S3.
...              Every test publishes its own events with a fresh correlation id and finds them in
...              Bronze (``bronze.<table>``) or the DLQ (``bronze.dlq``) by that id, so the tests
...              run in parallel against one streaming job.

Resource         ../../resources/platform.resource
Resource         ../../resources/streaming.resource

Suite Setup      Platform Suite Setup
Test Teardown    Platform Test Teardown

Test Tags        profile:core    profile:data-platform    area:bronze


*** Variables ***
${LATENCY_BOUND}    30 s


*** Test Cases ***
Trip Lifecycle Lands In Bronze Exactly Once In Order
    [Documentation]    The six lifecycle events of one trip (one Kafka key) land once each, in publish
    ...    order, with the Kafka metadata columns filled in. Silver relies on Bronze being a
    ...    faithful, ordered copy of the topic.
    [Tags]    smoke
    ${cid}=    New Correlation Id    trip
    ${events}=    Build Trip Lifecycle    ${cid}
    Publish Events    trips    ${events}    correlation_id=${cid}
    ${rows}=    Wait For Bronze Rows    trips    ${cid}    count=6
    Bronze Rows Should Be In Publish Order    ${rows}    ${events}
    Bronze Rows Should Carry Kafka Metadata    trips    ${cid}
    Streaming Query Should Be Active

Gps Pings Of Five Drivers Land Within The Latency Bound Without Duplicates
    [Documentation]    100 pings from 5 drivers arrive in Bronze within ${LATENCY_BOUND}: 20 per driver,
    ...    each event id once, each driver's pings in publish order.
    ${cid}=    New Correlation Id    gps
    ${events}=    Build Gps Pings    ${cid}    drivers=5    pings=20
    Publish Events    gps-pings    ${events}    correlation_id=${cid}
    ${rows}=    Wait For Bronze Rows    gps-pings    ${cid}    count=100    timeout=${LATENCY_BOUND}
    ${ids}=    Event Ids Of    ${events}
    Bronze Should Contain Each Event Exactly Once    gps-pings    ${cid}    ${ids}    timeout=5 s
    Bronze Rows Should Be In Publish Order    ${rows}    ${events}
    Bronze Gps Pings Per Driver Should Be    ${cid}    drivers=5    pings=20

Each Malformed Kind Lands In The DLQ With Its Error Type
    [Documentation]    Invalid JSON, non-UTF-8 bytes, schema violations, a missing key field and an
    ...    oversize payload are each routed to ``bronze.dlq`` with the right ``error_type``; none
    ...    reaches Bronze, and published = Bronze + DLQ for the correlation id (nothing is lost).
    [Template]    Malformed Record Should Land In The DLQ
    invalid_json    trips    INVALID_JSON
    non_utf8    gps-pings    NOT_UTF8
    schema_violation    payments    SCHEMA_VIOLATION
    missing_key_field    ratings    MISSING_KEY
    oversize    driver-status    OVERSIZE
    empty    surge-updates    INVALID_JSON

Nothing Is Lost When Valid And Invalid Records Are Mixed
    [Documentation]    Per correlation id, every published record is either in Bronze or in the DLQ,
    ...    exactly once: 5 valid rider profiles + 3 broken records = 5 Bronze rows + 3 DLQ rows.
    ${cid}=    New Correlation Id    mixed
    FOR    ${i}    IN RANGE    5
        ${event}=    Build Rider Profile Event    ${cid}    seed=${i}
        Publish Event    rider-profiles    ${event}    correlation_id=${cid}
    END
    Publish Malformed Record    invalid_json    rider-profiles    ${cid}
    Publish Malformed Record    schema_violation    rider-profiles    ${cid}
    Publish Malformed Record    missing_key_field    rider-profiles    ${cid}
    Published Records Should Be Accounted For    rider-profiles    ${cid}    published=8
    Get Bronze Row Count    rider-profiles    ${cid}    ==    5
    Get Bronze Row Count    dlq    ${cid}    ==    3

Ordering Per Key Is Preserved Across Interleaved Keys
    [Documentation]    Status changes of three drivers published interleaved: Bronze keeps each
    ...    driver's sequence (same key → same partition → offset order).
    ${cid}=    New Correlation Id    order
    VAR    @{events}    @{EMPTY}
    FOR    ${i}    IN RANGE    3
        ${seq}=    Build Driver Status Events    ${cid}    seed=${i}
        ${events}=    Combine Lists    ${events}    ${seq}
    END
    Publish Events    driver-status    ${events}    correlation_id=${cid}
    ${n}=    Get Length    ${events}
    ${rows}=    Wait For Bronze Rows    driver-status    ${cid}    count=${n}
    Bronze Rows Should Be In Publish Order    ${rows}    ${events}

Ingestion Lag Returns To Zero After A Burst
    [Documentation]    The job reports per-topic lag (latest offset − processed offset); after a burst
    ...    is ingested it must drain, otherwise the job silently falls behind.
    ${cid}=    New Correlation Id    lag
    ${ids}=    Publish Gps Burst    ${cid}    4    25
    Bronze Should Contain Each Event Exactly Once    gps-pings    ${cid}    ${ids}    timeout=60 s
    Get Ingestion Lag    gps-pings    ==    0    retry_timeout=30 s


*** Keywords ***
Malformed Record Should Land In The DLQ
    [Documentation]    Publishes one ``kind`` record to ``topic``; it must be in the DLQ once, with
    ...    ``error_type`` and its correlation id, and not in Bronze.
    [Arguments]    ${kind}    ${topic}    ${error_type}
    ${cid}=    New Correlation Id    dlq
    Publish Malformed Record    ${kind}    ${topic}    ${cid}
    ${rows}=    Wait For Dlq Rows    ${cid}    count=1    error_type=${error_type}    topic=${topic}
    Should Not Be Empty    ${rows}[0][error_message]
    Should Be Equal    ${rows}[0][correlation_id]    ${cid}
    ${bronze}=    Get Bronze Rows    ${topic}    ${cid}
    Should Be Empty    ${bronze}    msg=A ${kind} record of ${topic} reached Bronze
