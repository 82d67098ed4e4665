*** Settings ***
Documentation     Boundaries of the Silver and Gold filters, and day boundaries in UTC. Every value
...               sits exactly on an edge (or one step past it) and every expected figure is exact:
...               the São Paulo box is inclusive on all four sides, a 50 m GPS jump is jitter but a
...               300 m hop in 2 s is not, 1 and 5 stars are both ratings, a zero fare is a payment,
...               an event's UTC offset is honoured, and days (dim_time, date keys) are UTC days.
...               Each test builds only the models it checks, from its own Bronze rows, into the suite's
...               scratch Silver/Gold bucket (``Use Scratch Silver And Gold``), so the tests run in
...               parallel and a defect under test never leaves bad rows in the platform's tables.

Resource          ../../resources/platform.resource
Resource          ../../resources/dbt.resource
Resource          ../../resources/edges.resource

Suite Setup       Edges Suite Setup
Suite Teardown    Remove Scratch Silver And Gold
Test Teardown     Platform Test Teardown

Test Tags    profile:core
...          profile:data-platform
...          profile:quality-orchestration
...          area:silver-gold
...          area:edges


*** Test Cases ***
Each Side Of The Sao Paulo Box Is Inclusive And One Step Past It Is An Outlier
    [Documentation]    The box is lat −23.8..−23.3, lon −46.9..−46.3, edges included. One ping on each
    ...    of the four edges stays in ``stg_gps_pings``; one ping 0.01° past each edge (the other axis
    ...    inside) is dropped from it and recorded in ``anomalies_gps_outliers``. Each axis and
    ...    each side is checked on its own, so a filter that forgets one of them fails.
    ${cid}=    New Correlation Id    box
    ${pings}=    Build Gps Pings    ${cid}    drivers=1    pings=8
    Place Gps Ping    ${pings}[0]    ${cid}-s    ${{[-23.8, -46.6]}}
    Place Gps Ping    ${pings}[1]    ${cid}-n    ${{[-23.3, -46.6]}}
    Place Gps Ping    ${pings}[2]    ${cid}-w    ${{[-23.55, -46.9]}}
    Place Gps Ping    ${pings}[3]    ${cid}-e    ${{[-23.55, -46.3]}}
    Place Gps Ping    ${pings}[4]    ${cid}-ps    ${{[-23.81, -46.6]}}
    Place Gps Ping    ${pings}[5]    ${cid}-pn    ${{[-23.29, -46.6]}}
    Place Gps Ping    ${pings}[6]    ${cid}-pw    ${{[-23.55, -46.91]}}
    Place Gps Ping    ${pings}[7]    ${cid}-pe    ${{[-23.55, -46.29]}}
    Publish Events    gps-pings    ${pings}    correlation_id=${cid}
    Wait For Bronze Rows    gps-pings    ${cid}    count=8
    Build Models For Test    stg_gps_pings anomalies_gps_outliers    ${cid}
    VAR    @{kept}
    ...    ${{ {"event_id": $pings[0]["event_id"], "lat": -23.8, "lon": -46.6} }}
    ...    ${{ {"event_id": $pings[1]["event_id"], "lat": -23.3, "lon": -46.6} }}
    ...    ${{ {"event_id": $pings[2]["event_id"], "lat": -23.55, "lon": -46.9} }}
    ...    ${{ {"event_id": $pings[3]["event_id"], "lat": -23.55, "lon": -46.3} }}
    VAR    @{outliers}
    ...    ${{ {"event_id": $pings[4]["event_id"], "lat": -23.81, "lon": -46.6} }}
    ...    ${{ {"event_id": $pings[5]["event_id"], "lat": -23.29, "lon": -46.6} }}
    ...    ${{ {"event_id": $pings[6]["event_id"], "lat": -23.55, "lon": -46.91} }}
    ...    ${{ {"event_id": $pings[7]["event_id"], "lat": -23.55, "lon": -46.29} }}
    Table Should Contain Rows    silver.stg_gps_pings    ${kept}    key_columns=${{["event_id"]}}
    ...    correlation_id=${cid}
    Table Should Contain Rows    silver.anomalies_gps_outliers    ${outliers}    key_columns=${{["event_id"]}}
    ...    correlation_id=${cid}

A 300 m Hop In Two Seconds Is An Impossible Speed But GPS Jitter Is Not
    [Documentation]    Consecutive pings of one driver: a 300 m hop in 2 s (540.4 km/h) and a 1.112 km
    ...    jump at the same instant are impossible; a 33 m jitter at the same instant (under the
    ...    50 m tolerance) and 2 km in 60 s (120.1 km/h, under 200 km/h) are not. Distances and
    ...    speeds are exact (haversine, km rounded to 3, km/h to 1).
    ${cid}=    New Correlation Id    speed
    ${pings}=    Build Gps Pings    ${cid}    drivers=1    pings=8
    Place Gps Ping    ${pings}[0]    ${cid}-hop    ${{[-23.55, -46.63]}}    2025-06-14T12:00:00.000Z
    Place Gps Ping    ${pings}[1]    ${cid}-hop    ${{[-23.5473, -46.63]}}    2025-06-14T12:00:02.000Z
    Place Gps Ping    ${pings}[2]    ${cid}-jump    ${{[-23.55, -46.63]}}    2025-06-14T12:00:00.000Z
    Place Gps Ping    ${pings}[3]    ${cid}-jump    ${{[-23.54, -46.63]}}    2025-06-14T12:00:00.000Z
    Place Gps Ping    ${pings}[4]    ${cid}-jit    ${{[-23.55, -46.63]}}    2025-06-14T12:00:00.000Z
    Place Gps Ping    ${pings}[5]    ${cid}-jit    ${{[-23.5497, -46.63]}}    2025-06-14T12:00:00.000Z
    Place Gps Ping    ${pings}[6]    ${cid}-fast    ${{[-23.55, -46.63]}}    2025-06-14T12:00:00.000Z
    Place Gps Ping    ${pings}[7]    ${cid}-fast    ${{[-23.532, -46.63]}}    2025-06-14T12:01:00.000Z
    Publish Events    gps-pings    ${pings}    correlation_id=${cid}
    Wait For Bronze Rows    gps-pings    ${cid}    count=8
    Build Models For Test    stg_gps_pings anomalies_impossible_speeds    ${cid}
    VAR    @{expected}
    ...    ${{ {"entity_id": $cid + "-hop", "distance_km": 0.3, "elapsed_s": 2, "speed_kmh": 540.4} }}
    ...    ${{ {"entity_id": $cid + "-jump", "distance_km": 1.112, "elapsed_s": 0, "speed_kmh": None} }}
    Table Should Contain Rows    silver.anomalies_impossible_speeds    ${expected}
    ...    key_columns=${{["entity_id"]}}    correlation_id=${cid}

One-Star And Five-Star Ratings Both Reach Silver
    [Documentation]    Ratings are 1..5 inclusive: a one-star and a five-star rating of one trip are both
    ...    kept in ``stg_ratings`` with their stars (a filter that treats either end as exclusive
    ...    silently drops the most telling ratings).
    ${cid}=    New Correlation Id    stars
    ${ratings}=    Build Rating Events    ${cid}
    Set To Dictionary    ${ratings}[0]    rating=${1}
    Set To Dictionary    ${ratings}[1]    rating=${5}
    Publish Events    ratings    ${ratings}    correlation_id=${cid}
    Wait For Bronze Rows    ratings    ${cid}    count=2
    Build Models For Test    stg_ratings    ${cid}
    ${one}=    Expected Row    ${ratings}[0]    rating=1
    ${five}=    Expected Row    ${ratings}[1]    rating=5
    Table Should Contain Rows    silver.stg_ratings    ${{[$one, $five]}}    key_columns=${{["event_id"]}}
    ...    correlation_id=${cid}

A Fully Discounted Ride Paying Zero Reaches Silver
    [Documentation]    Amounts are ≥ 0: a payment of 0.00 (fee 0.00, payout 0.00) is a real payment of a
    ...    fully discounted ride and stays in ``stg_payments``; only negative amounts are invalid.
    ${cid}=    New Correlation Id    zero
    ${payment}=    Build Payment Event    ${cid}    fare=0.00
    Publish Event    payments    ${payment}    correlation_id=${cid}
    Wait For Bronze Rows    payments    ${cid}    count=1
    Build Models For Test    stg_payments    ${cid}
    ${row}=    Expected Row    ${payment}    fare_amount=0    platform_fee_amount=0    driver_payout_amount=0
    Table Should Contain Rows    silver.stg_payments    ${{[$row]}}    key_columns=${{["event_id"]}}
    ...    correlation_id=${cid}

An Event Time With A UTC Offset Is Read As Its UTC Instant
    [Documentation]    Event timestamps are RFC 3339 with an explicit offset. A trip completed at
    ...    22:30 in São Paulo (−03:00) on 14 June happened at 01:30 UTC on 15 June; Silver's
    ...    ``event_ts`` must be that instant, not the local wall-clock time.
    ${cid}=    New Correlation Id    offset
    ${event}=    Build Trip Event    ${cid}    trip.completed    timestamp=2025-06-14T22:30:00.000-03:00
    Publish Event    trips    ${event}    correlation_id=${cid}
    Wait For Bronze Rows    trips    ${cid}    count=1
    Build Models For Test    stg_trips    ${cid}
    ${row}=    Expected Row    ${event}    event_ts=2025-06-15T01:30:00+00:00
    Table Should Contain Rows    silver.stg_trips    ${{[$row]}}    key_columns=${{["event_id"]}}
    ...    correlation_id=${cid}

A Trip Completed Just After Midnight UTC Counts On The Day It Completed
    [Documentation]    A trip requested at 23:50 UTC completes at 00:03:37 UTC the next day. Its payment
    ...    (at the request) counts on the first day, the completed trip and its fact row on the
    ...    second, and its request in the 23:00 hour of the first day's zone demand. Days are UTC
    ...    days, whatever the session time zone of the engine that builds Gold.
    ${cid}=    New Correlation Id    midnight
    ${day}=    Random Past Trip Start
    ${day}=    Convert Date    ${day}    result_format=%Y-%m-%d
    ${day_after}=    Add Time To Date    ${day}    1 day    result_format=%Y-%m-%d
    ${start}=    Convert Date    ${day} 23:50:00
    ${trip}=    Build Completed Trip    ${cid}    start=${start}
    ${requested_day}=    Utc Day Key Of    ${trip}[trips][0][timestamp]
    ${completed_day}=    Utc Day Key Of    ${trip}[trips][-1][timestamp]
    Should Be Equal    ${trip}[trips][-1][timestamp]    ${{ $day_after + "T00:03:37.000Z" }}
    ...    msg=Test data: the trip should complete at 00:03:37 the next day
    Gold Revenue For Day Should Be Empty    ${requested_day}
    Gold Revenue For Day Should Be Empty    ${completed_day}
    Publish Events    trips    ${trip}[trips]    correlation_id=${cid}
    Publish Events    payments    ${trip}[payments]    correlation_id=${cid}
    Wait For Bronze Rows    trips    ${cid}    count=6
    Wait For Bronze Rows    payments    ${cid}    count=1
    Build Silver Layer For Test    ${cid}
    Build Gold Layer For Test    ${cid}
    Fact Trip Should Be    ${cid}    date_key=${completed_day}
    Gold Revenue For Day Should Be    ${requested_day}    completed_trips=0    payments=1
    Gold Revenue For Day Should Be    ${completed_day}    completed_trips=1    payments=0
    Gold Zone Demand For Day Should Be    ${requested_day}    requested_trips=1    completed_trips=1

The Calendar Marks Saturdays And Sundays As The Weekend Across New Year
    [Documentation]    ``dim_time`` has one row per UTC calendar day. Around New Year 2026: Saturday
    ...    27 Dec and Sunday 28 Dec are the weekend, Monday 29 Dec is not, 31 Dec is in Q4 2025
    ...    and 1 Jan in Q1 2026. ISO weekdays run Monday = 1 … Sunday = 7.
    ${cid}=    New Correlation Id    calendar
    Build Models For Test    dim_time    ${cid}
    VAR    @{weekdays}
    ...    ${{ {"date_key": 20251227, "iso_day_of_week": 6, "day_name": "Saturday", "is_weekend": True} }}
    ...    ${{ {"date_key": 20251228, "iso_day_of_week": 7, "day_name": "Sunday", "is_weekend": True} }}
    ...    ${{ {"date_key": 20251229, "iso_day_of_week": 1, "day_name": "Monday", "is_weekend": False} }}
    Table Should Contain Rows    gold.dim_time    ${weekdays}    key_columns=${{["date_key"]}}
    ...    where=date_key between 20251227 and 20251229
    VAR    @{new_year}
    ...    ${{ {"date_key": 20251231, "date_day": "2025-12-31", "year": 2025, "quarter": 4, "month": 12, "day_of_month": 31} }}
    ...    ${{ {"date_key": 20260101, "date_day": "2026-01-01", "year": 2026, "quarter": 1, "month": 1, "day_of_month": 1} }}
    Table Should Contain Rows    gold.dim_time    ${new_year}    key_columns=${{["date_key"]}}
    ...    where=date_key between 20251231 and 20260101


*** Keywords ***
Edges Suite Setup
    [Documentation]    Start the profiles, then give the suite its own scratch Silver/Gold bucket.
    Platform Suite Setup
    Use Scratch Silver And Gold
