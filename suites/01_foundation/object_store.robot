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
    [Documentation]    The bucket of each layer exists under the target's name for it (s3-init creates them).
    ${buckets}=    List Buckets
    Should Contain    ${buckets}    ${LH_TARGET}[buckets][bronze]
    Should Contain    ${buckets}    ${LH_TARGET}[buckets][silver]
    Should Contain    ${buckets}    ${LH_TARGET}[buckets][gold]

S3 Round Trip Works
    [Documentation]    Write, list, read and delete an object under a prefix unique to this test.
    [Tags]    smoke
    ${cid}=    New Correlation Id    prefix=s3rt
    VAR    ${key}    _foundation/${cid}/hello.json
    VAR    ${bucket}    ${LH_TARGET}[buckets][bronze]
    Put Object    ${bucket}    ${key}    {"correlation_id": "${cid}"}
    Object Should Exist    ${bucket}    ${key}
    ${body}=    Get Object    ${bucket}    ${key}
    Should Be Equal    ${body}    {"correlation_id": "${cid}"}
    ${deleted}=    Delete Objects With Prefix    ${bucket}    _foundation/${cid}/
    Should Be Equal As Integers    ${deleted}    1
    Object Should Not Exist    ${bucket}    ${key}
