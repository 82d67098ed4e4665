*** Settings ***
Documentation    Boundaries of the Bronze routing rules: a record exactly at the size limit is still
...              a valid event and lands in Bronze; one byte more and it is dead-lettered as
...              ``OVERSIZE``. The limit is the platform's record size limit (64 KiB).

Resource         ../../resources/platform.resource
Resource         ../../resources/streaming.resource
Resource         ../../resources/edges.resource

Suite Setup      Platform Suite Setup
Test Teardown    Platform Test Teardown

Test Tags        profile:core    profile:data-platform    area:bronze


*** Variables ***
${RECORD_LIMIT}    ${65536}


*** Test Cases ***
A Record Of Exactly The Size Limit Lands In Bronze And One Byte More Is Oversize
    [Documentation]    Two valid ratings padded with whitespace to ${RECORD_LIMIT} and ${RECORD_LIMIT} + 1
    ...    bytes: the first is within the limit (Bronze), the second exceeds it (DLQ, ``OVERSIZE``).
    ${cid}=    New Correlation Id    size
    ${at}=    Build Event    ratings    ${cid}
    ${over}=    Build Event    ratings    ${cid}
    ${at_limit}=    Build Payload Of Size    ${at}    ${RECORD_LIMIT}
    ${above}=    Build Payload Of Size    ${over}    ${RECORD_LIMIT + 1}
    Publish Raw    ratings    ${at_limit}    key=${at}[trip_id]    correlation_id=${cid}
    Publish Raw    ratings    ${above}    key=${over}[trip_id]    correlation_id=${cid}
    ${rows}=    Wait For Bronze Rows    ratings    ${cid}    count=1
    Should Be Equal    ${rows}[0][event_id]    ${at}[event_id]
    ...    msg=The record of exactly ${RECORD_LIMIT} bytes should be the one in Bronze
    ${dlq}=    Wait For Dlq Rows    ${cid}    count=1    error_type=OVERSIZE    topic=ratings
    Should Contain    ${dlq}[0][error_message]    payload of ${RECORD_LIMIT + 1} bytes
