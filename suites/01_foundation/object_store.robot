*** Settings ***
Documentation    The medallion buckets exist and an S3 round trip (put, list, get, delete) works
...              with the configured credentials.

Library          EventLibrary
Library          LakehouseLibrary
Resource         ../../resources/platform.resource

Suite Setup      Platform Suite Setup
Test Teardown    Platform Test Teardown

Test Tags        profile:core    area:s3


*** Test Cases ***
Medallion Buckets Exist
    [Documentation]    s3-init creates bronze, silver and gold.
    ${buckets}=    List Buckets
    Should Contain    ${buckets}    bronze
    Should Contain    ${buckets}    silver
    Should Contain    ${buckets}    gold

S3 Round Trip Works
    [Documentation]    Write, list, read and delete an object under a prefix unique to this test.
    [Tags]    smoke
    ${cid}=    New Correlation Id    prefix=s3rt
    VAR    ${key}    _foundation/${cid}/hello.json
    Put Object    bronze    ${key}    {"correlation_id": "${cid}"}
    Object Should Exist    bronze    ${key}
    ${body}=    Get Object    bronze    ${key}
    Should Be Equal    ${body}    {"correlation_id": "${cid}"}
    ${deleted}=    Delete Objects With Prefix    bronze    _foundation/${cid}/
    Should Be Equal As Integers    ${deleted}    1
    Object Should Not Exist    bronze    ${key}
