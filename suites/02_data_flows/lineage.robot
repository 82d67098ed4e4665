*** Settings ***
Documentation    Lineage metadata checked against a source the pipeline does not control. The Kafka
...              columns of a Bronze row must be what the broker acknowledged when the test published
...              the record (its delivery report), and the lineage trail in the log (the streaming
...              job's own commit records) must name the Delta version that the table's
...              ``_delta_log`` says wrote the row. Every test finds its own rows by correlation id.

Resource         ../../resources/platform.resource
Resource         ../../resources/streaming.resource
Resource         ../../resources/edges.resource

Suite Setup      Platform Suite Setup
Test Teardown    Platform Test Teardown

Test Tags        profile:core    profile:data-platform    area:bronze    area:lineage


*** Test Cases ***
Bronze Kafka Metadata Is What The Broker Acknowledged
    [Documentation]    Each of a trip's six events is published alone and the broker's delivery report
    ...    kept. Its Bronze row must carry exactly that topic, partition, offset and record timestamp.
    ...    Replays, resets and Silver's dedup order rely on these columns naming the real record.
    ${cid}=    New Correlation Id    acked
    ${events}=    Build Trip Lifecycle    ${cid}
    ${reports}=    Publish Events One By One    trips    ${events}    ${cid}
    Wait For Bronze Rows    trips    ${cid}    count=6
    Bronze Rows Should Match Delivery Reports    trips    ${cid}    ${reports}

The Lineage Trail Names The Delta Version That Wrote Each Row
    [Documentation]    Pings of two drivers published in two bursts land in (at least) two Bronze
    ...    commits. For every row, the Delta version in the job's lineage trail (what log.html
    ...    shows next to each Kafka offset) must be the version whose ``add`` action in
    ...    ``_delta_log`` wrote the row's Parquet file.
    ${cid}=    New Correlation Id    trail
    ${pings}=    Build Gps Pings    ${cid}    drivers=2    pings=6
    Publish Events    gps-pings    ${pings}[:6]    correlation_id=${cid}
    Wait For Bronze Rows    gps-pings    ${cid}    count=6
    Publish Events    gps-pings    ${pings}[6:]    correlation_id=${cid}
    Wait For Bronze Rows    gps-pings    ${cid}    count=12
    Reported Lineage Should Match The Delta Log    gps_pings    ${cid}
