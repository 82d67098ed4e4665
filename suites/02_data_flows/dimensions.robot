*** Settings ***
Documentation    Slowly changing dimensions with more than one version of an entity. ``dim_drivers`` is SCD
...              type 2: one row per profile version, valid on ``[valid_from, valid_to)``, chained without gap
...              or overlap, the last one current; facts join the version valid when they happened, and the
...              daily driver aggregate the current one. ``dim_riders`` keeps one row per rider: its latest
...              profile, first seen at its creation. Versions are published out of order, so the order of
...              arrival (Kafka offsets) never equals the order of validity. Every expected value comes from
...              the events built here; rows are found by each scenario's driver or rider id.
...              The suite setup publishes the three scenarios (each with its own correlation id) and builds
...              Silver and Gold once; each test checks one scenario.
...              Tagged ``serial``: it rebuilds the platform-wide Silver and Gold tables.

Resource         ../../resources/platform.resource
Resource         ../../resources/dbt.resource

Suite Setup      Dimension Versions Reach Gold
Test Teardown    Platform Test Teardown

Test Tags        profile:core    profile:data-platform    profile:quality-orchestration    serial    area:silver-gold


*** Variables ***
${UTC_MS}            %Y-%m-%dT%H:%M:%S.%gZ
${INGEST_TIMEOUT}    3 min


*** Test Cases ***
A Driver Updated Twice Has Three Chained Versions And The Last Is Current
    [Documentation]    Created on day 0, updated on days 1 and 2, published newest first: three versions, each
    ...    valid from its own event time until the next version's, only the last current and open-ended.
    VAR    ${v1}    ${DRIVER}[v1]
    VAR    ${v2}    ${DRIVER}[v2]
    VAR    ${v3}    ${DRIVER}[v3]
    VAR    ${sql}    SELECT source_event_id,
    ...    strftime(valid_from AT TIME ZONE 'UTC', '${UTC_MS}') AS valid_from,
    ...    strftime(valid_to AT TIME ZONE 'UTC', '${UTC_MS}') AS valid_to, is_current, last_name, license_plate
    ...    FROM gold.dim_drivers WHERE driver_id = ? ORDER BY valid_from, source_event_id
    ${rows}=    Query    ${sql}    ${v1}[driver_id]
    VAR    @{expected}
    ...    ${{ {"source_event_id": $v1["event_id"], "valid_from": $v1["timestamp"], "valid_to": $v2["timestamp"], "is_current": False, "last_name": $v1["last_name"], "license_plate": $v1["license_plate"]} }}
    ...    ${{ {"source_event_id": $v2["event_id"], "valid_from": $v2["timestamp"], "valid_to": $v3["timestamp"], "is_current": False, "last_name": $v2["last_name"], "license_plate": $v2["license_plate"]} }}
    ...    ${{ {"source_event_id": $v3["event_id"], "valid_from": $v3["timestamp"], "valid_to": None, "is_current": True, "last_name": $v3["last_name"], "license_plate": $v3["license_plate"]} }}
    Should Be Equal    ${rows}    ${expected}    msg=dim_drivers versions of ${v1}[driver_id]

Facts Join The Driver Version Valid When They Happened
    [Documentation]    A driver's profile changes the day before a trip, at the very millisecond the trip
    ...    completes, and the day after. The payment (made when the trip started) joins the version of the
    ...    day before; the completed trip joins the version that begins at its completion (``valid_from``
    ...    is inclusive, ``valid_to`` exclusive: exactly one version); the driver's daily performance row
    ...    is one row, keyed by the current version.
    VAR    ${completed}    ${FACTS}[trip][trips][-1]
    VAR    ${payment}    ${FACTS}[trip][payments][0]
    VAR    ${cid}    ${FACTS}[cid]
    ${keys}=    Driver Keys By Event    ${completed}[driver_id]
    ${trips}=    Query    SELECT trip_id, driver_key FROM gold.fact_trips WHERE correlation_id = ?    ${cid}
    VAR    @{expected}    ${{ {"trip_id": $completed["trip_id"], "driver_key": $keys[$FACTS["at"]["event_id"]]} }}
    Should Be Equal    ${trips}    ${expected}    msg=fact_trips must join the version valid from the completion
    ${payments}=    Query    SELECT payment_id, driver_key FROM gold.fact_payments WHERE correlation_id = ?    ${cid}
    VAR    @{expected}
    ...    ${{ {"payment_id": $payment["payment_id"], "driver_key": $keys[$FACTS["before"]["event_id"]]} }}
    Should Be Equal    ${payments}    ${expected}    msg=fact_payments must join the version valid when it was paid
    VAR    ${sql}    SELECT driver_key, date_key, completed_trips
    ...    FROM gold.agg_daily_driver_performance WHERE driver_id = ?
    ${performance}=    Query    ${sql}    ${completed}[driver_id]
    VAR    @{expected}
    ...    ${{ {"driver_key": $keys[$FACTS["after"]["event_id"]], "date_key": int($FACTS["date_key"]), "completed_trips": 1} }}
    Should Be Equal    ${performance}    ${expected}    msg=one daily row per driver, keyed by the current version

A Rider Updated Twice Shows The Latest Profile First Seen At Creation
    [Documentation]    ``dim_riders`` is one row per rider: the latest version's attributes (email, last name,
    ...    payment method), ``first_seen_at`` the creation and ``updated_at`` the latest update, whatever
    ...    the order the versions arrived in.
    VAR    ${r1}    ${RIDER}[v1]
    VAR    ${r3}    ${RIDER}[v3]
    VAR    ${sql}    SELECT email, last_name, payment_method_masked,
    ...    strftime(first_seen_at AT TIME ZONE 'UTC', '${UTC_MS}') AS first_seen_at,
    ...    strftime(updated_at AT TIME ZONE 'UTC', '${UTC_MS}') AS updated_at
    ...    FROM gold.dim_riders WHERE rider_id = ?
    ${rows}=    Query    ${sql}    ${r1}[rider_id]
    VAR    @{expected}
    ...    ${{ {"email": $r3["email"], "last_name": $r3["last_name"], "payment_method_masked": $r3["payment_method_masked"], "first_seen_at": $r1["timestamp"], "updated_at": $r3["timestamp"]} }}
    Should Be Equal    ${rows}    ${expected}    msg=dim_riders row of ${r1}[rider_id]


*** Keywords ***
Dimension Versions Reach Gold    # robocop: off=too-many-calls-in-keyword
    [Documentation]    Starts the profiles, publishes the three scenarios, waits for their Bronze rows and
    ...    builds Silver and Gold once. Sets ``${DRIVER}``, ``${FACTS}`` and ``${RIDER}`` for the tests.
    Platform Suite Setup
    ${driver}=    Publish Driver Versions
    ${facts}=    Publish Trip Between Driver Versions
    ${rider}=    Publish Rider Versions
    Wait For Bronze Rows    driver_profiles    correlation_id=${driver}[cid]    count=3    timeout=${INGEST_TIMEOUT}
    Wait For Bronze Rows    driver_profiles    correlation_id=${facts}[cid]    count=3    timeout=${INGEST_TIMEOUT}
    Wait For Bronze Rows    trips    correlation_id=${facts}[cid]    count=6    timeout=${INGEST_TIMEOUT}
    Wait For Bronze Rows    payments    correlation_id=${facts}[cid]    count=1    timeout=${INGEST_TIMEOUT}
    Wait For Bronze Rows    rider_profiles    correlation_id=${rider}[cid]    count=3    timeout=${INGEST_TIMEOUT}
    Build Silver Layer
    Build Gold Layer
    VAR    ${DRIVER}    ${driver}    scope=SUITE    # robocop: off=VAR05    (read by the tests)
    VAR    ${FACTS}    ${facts}    scope=SUITE    # robocop: off=VAR05    (read by the tests)
    VAR    ${RIDER}    ${rider}    scope=SUITE    # robocop: off=VAR05    (read by the tests)

Publish Driver Versions    # robocop: off=too-many-calls-in-keyword
    [Documentation]    A new driver created on a random past day and updated one and two days later, published
    ...    newest first. Returns ``cid``, ``v1``, ``v2``, ``v3``.
    ${cid}=    New Correlation Id    scd-driver
    ${t0}=    Random Past Trip Start
    ${t1}=    Add Time To Date    ${t0}    1 day
    ${t2}=    Add Time To Date    ${t0}    2 days
    ${v1}=    Build Driver Profile Event    ${cid}    seed=${{ random.getrandbits(48) }}    start=${t0}
    ${v2}=    Build Driver Profile Event    ${cid}    driver_id=${v1}[driver_id]    event_type=driver.updated
    ...    seed=${{ random.getrandbits(48) }}    start=${t1}
    ${v3}=    Build Driver Profile Event    ${cid}    driver_id=${v1}[driver_id]    event_type=driver.updated
    ...    seed=${{ random.getrandbits(48) }}    start=${t2}
    VAR    @{arrival}    ${v3}    ${v1}    ${v2}
    Publish Events    driver-profiles    ${arrival}    correlation_id=${cid}
    VAR    &{scenario}    cid=${cid}    v1=${v1}    v2=${v2}    v3=${v3}
    RETURN    ${scenario}

Publish Trip Between Driver Versions    # robocop: off=too-many-calls-in-keyword
    [Documentation]    A completed trip with its payment, and three versions of its driver: the day before the
    ...    trip, at the millisecond it completes, the day after (published newest first). Returns ``cid``,
    ...    ``trip``, ``date_key``, ``before``, ``at``, ``after``.
    ${cid}=    New Correlation Id    scd-facts
    ${start}=    Random Past Trip Start
    ${date_key}=    Date Key Of    ${start}
    ${trip}=    Build Completed Trip    ${cid}    start=${start}
    VAR    ${completed}    ${trip}[trips][-1]
    ${completed_at}=    Convert Date    ${completed}[timestamp]    date_format=%Y-%m-%dT%H:%M:%S.%fZ
    ${day_before}=    Subtract Time From Date    ${start}    1 day
    ${day_after}=    Add Time To Date    ${start}    1 day
    ${before}=    Build Driver Profile Event    ${cid}    driver_id=${completed}[driver_id]
    ...    seed=${{ random.getrandbits(48) }}    start=${day_before}
    ${at}=    Build Driver Profile Event    ${cid}    driver_id=${completed}[driver_id]
    ...    event_type=driver.updated    seed=${{ random.getrandbits(48) }}    start=${completed_at}
    ${after}=    Build Driver Profile Event    ${cid}    driver_id=${completed}[driver_id]
    ...    event_type=driver.updated    seed=${{ random.getrandbits(48) }}    start=${day_after}
    VAR    @{versions}    ${after}    ${at}    ${before}
    Publish Events    driver-profiles    ${versions}    correlation_id=${cid}
    Publish Events    trips    ${trip}[trips]    correlation_id=${cid}
    Publish Events    payments    ${trip}[payments]    correlation_id=${cid}
    VAR    &{scenario}    cid=${cid}    trip=${trip}    date_key=${date_key}    before=${before}    at=${at}
    ...    after=${after}
    RETURN    ${scenario}

Publish Rider Versions    # robocop: off=too-many-calls-in-keyword
    [Documentation]    A new rider created on a random past day and updated one and two days later, published
    ...    in the order v2, v3, v1. Returns ``cid``, ``v1``, ``v2``, ``v3``.
    ${cid}=    New Correlation Id    scd-rider
    ${t0}=    Random Past Trip Start
    ${t1}=    Add Time To Date    ${t0}    1 day
    ${t2}=    Add Time To Date    ${t0}    2 days
    ${r1}=    Build Rider Profile Event    ${cid}    seed=${{ random.getrandbits(48) }}    start=${t0}
    ${r2}=    Build Rider Profile Event    ${cid}    rider_id=${r1}[rider_id]    event_type=rider.updated
    ...    seed=${{ random.getrandbits(48) }}    start=${t1}
    ${r3}=    Build Rider Profile Event    ${cid}    rider_id=${r1}[rider_id]    event_type=rider.updated
    ...    seed=${{ random.getrandbits(48) }}    start=${t2}
    VAR    @{arrival}    ${r2}    ${r3}    ${r1}
    Publish Events    rider-profiles    ${arrival}    correlation_id=${cid}
    VAR    &{scenario}    cid=${cid}    v1=${r1}    v2=${r2}    v3=${r3}
    RETURN    ${scenario}

Driver Keys By Event
    [Documentation]    ``{source_event_id: driver_key}`` of the driver's dim_drivers versions (3 expected).
    [Arguments]    ${driver_id}
    ${rows}=    Query    SELECT source_event_id, driver_key FROM gold.dim_drivers WHERE driver_id = ?    ${driver_id}
    ${keys}=    Evaluate    {r["source_event_id"]: r["driver_key"] for r in $rows}
    Should Be Equal As Integers    ${{ len($keys) }}    3    msg=dim_drivers must hold 3 versions of ${driver_id}
    RETURN    ${keys}
