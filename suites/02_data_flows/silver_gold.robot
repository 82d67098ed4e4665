*** Settings ***
Documentation    Bronze → Silver → Gold through the real pipeline: events are published to Kafka,
...              ingested into Bronze by the Spark streaming job, then transformed by the dbt
...              project (``lakehouse/dbt``) into Delta tables on S3. Every figure checked here is
...              computed from the events the test itself published, found by correlation id.
...              Tagged ``serial``: it rebuilds and tests the platform-wide Silver and Gold tables, so it
...              runs alone, never interleaved with the dbt DAG runs of the cross-phase suite.

Resource         ../../resources/dbt.resource

Test Tags        profile:core    profile:data-platform    profile:quality-orchestration    serial


*** Test Cases ***
Silver Deduplicates Redelivered Trip Events
    [Documentation]    A producer retry delivers the same event twice; Silver must keep one row per
    ...    event_id (upstream FJ-003 / DF-002 failed on this), with its correlation id.
    ${cid}=    New Correlation Id    dedup
    ${events}=    Build Trip Lifecycle    ${cid}
    Publish Events With Correlation Id    trips    ${events}    ${cid}
    Publish Event    trips    ${events}[0]    correlation_id=${cid}
    Wait For Bronze Rows    trips    correlation_id=${cid}    count=7
    Build Silver Layer
    Silver Row Count Should Be    stg_trips    ${cid}    6
    ${rows}=    Query    SELECT count(DISTINCT event_id) AS n FROM silver.stg_trips WHERE correlation_id = ?    ${cid}
    Should Be Equal As Integers    ${rows}[0][n]    6

Silver Drops GPS Pings Outside Sao Paulo Into The Outlier Table
    [Documentation]    Pings outside the São Paulo bounding box (lat −23.8..−23.3, lon −46.9..−46.3) are
    ...    filtered from stg_gps_pings and recorded in anomalies_gps_outliers.
    ${cid}=    New Correlation Id    gps
    ${inside}=    Build Event    gps-pings    ${cid}
    ${outside}=    Build Event    gps-pings    ${cid}
    VAR    @{in_sp}    ${-23.55}    ${-46.63}
    VAR    @{in_rio}    ${-22.90}    ${-43.20}
    Set To Dictionary    ${inside}    location=${in_sp}
    Set To Dictionary    ${outside}    location=${in_rio}
    VAR    @{pings}    ${inside}    ${outside}
    Publish Events With Correlation Id    gps-pings    ${pings}    ${cid}
    Wait For Bronze Rows    gps_pings    correlation_id=${cid}    count=2
    Build Silver Layer
    Silver Row Count Should Be    stg_gps_pings    ${cid}    1
    Silver Row Count Should Be    anomalies_gps_outliers    ${cid}    1

Gold Facts And Revenue Match The Published Trip Exactly
    [Documentation]    One completed trip with its payment and two ratings becomes exactly one fact_trips
    ...    row, one fact_payments row whose fee and payout add up to the fare, and the day's revenue.
    ${cid}=    New Correlation Id    gold
    ${start}=    Random Past Trip Start
    ${date_key}=    Date Key Of    ${start}
    ${trip}=    Build Completed Trip    ${cid}    start=${start}
    VAR    ${payment}    ${trip}[payments][0]
    Daily Revenue Should Be Empty    ${date_key}
    Publish Events With Correlation Id    trips    ${trip}[trips]    ${cid}
    Publish Events With Correlation Id    payments    ${trip}[payments]    ${cid}
    Publish Events With Correlation Id    ratings    ${trip}[ratings]    ${cid}
    Wait For Bronze Rows    trips    correlation_id=${cid}    count=6
    Wait For Bronze Rows    payments    correlation_id=${cid}    count=1
    Wait For Bronze Rows    ratings    correlation_id=${cid}    count=2
    Build Silver Layer
    Build Gold Layer
    Gold Row Count Should Be    fact_trips    ${cid}    1
    Gold Row Count Should Be    fact_payments    ${cid}    1
    Gold Row Count Should Be    fact_ratings    ${cid}    2
    ${fact}=    Query    SELECT fare, date_key FROM gold.fact_trips WHERE correlation_id = ?    ${cid}
    Should Be Equal As Numbers    ${fact}[0][fare]    ${trip}[trips][-1][fare]
    Should Be Equal As Integers    ${fact}[0][date_key]    ${date_key}
    ${day}=    Query
    ...    SELECT completed_trips, payments, gross_revenue, platform_fees, driver_payouts FROM gold.agg_daily_platform_revenue WHERE date_key = ?
    ...    ${date_key}
    Should Be Equal As Integers    ${day}[0][completed_trips]    1
    Should Be Equal As Integers    ${day}[0][payments]    1
    Should Be Equal As Numbers    ${day}[0][gross_revenue]    ${payment}[fare_amount]
    Should Be Equal As Numbers    ${day}[0][platform_fees]    ${payment}[platform_fee_amount]
    Should Be Equal As Numbers    ${day}[0][driver_payouts]    ${payment}[driver_payout_amount]
    ${demand}=    Query
    ...    SELECT sum(requested_trips) AS requested, sum(completed_trips) AS completed, max(completion_rate) AS rate FROM gold.agg_hourly_zone_demand WHERE date_key = ?
    ...    ${date_key}
    Should Be Equal As Integers    ${demand}[0][requested]    1
    Should Be Equal As Integers    ${demand}[0][completed]    1
    Should Be Equal As Numbers    ${demand}[0][rate]    1
    Dbt Test Should Pass    tag:gold
