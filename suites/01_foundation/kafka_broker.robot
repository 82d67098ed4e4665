*** Settings ***
Documentation    The broker answers and every domain topic exists with its configured partition count.
...              Expected partition counts are written out here on purpose: a test that read them
...              from the same file as kafka-init could not catch a wrong declaration.

# A healthy broker answers metadata in milliseconds: a down broker fails each test in 10 s, not 30.
Library          KafkaLibrary    timeout=10 s
Resource         ../../resources/platform.resource

Suite Setup      Platform Suite Setup
Test Teardown    Platform Test Teardown

Test Tags        profile:core    area:kafka


*** Test Cases ***
Broker Answers Metadata Requests
    [Documentation]    An AdminClient metadata request returns the cluster's topics.
    ${topics}=    List Topics
    Should Not Be Empty    ${topics}

Domain Topics Exist With Their Partition Counts
    [Documentation]    Partition counts bound the parallelism of ingestion and the ordering guarantees per key.
    [Tags]    smoke
    [Template]    Topic Should Have Partitions
    trips    4
    gps-pings    8
    driver-status    2
    surge-updates    2
    ratings    2
    payments    2
    driver-profiles    1
    rider-profiles    1

Unknown Topics Are Not Created Implicitly
    [Documentation]    Auto-creation is off, so a typo in a producer's topic fails instead of
    ...    silently creating a one-partition topic nobody consumes.
    Topic Should Not Exist    trip


*** Keywords ***
Topic Should Have Partitions
    [Documentation]    The topic exists and has exactly ${partitions} partitions.
    [Arguments]    ${topic}    ${partitions}
    Topic Should Exist    ${topic}
    Get Topic Partitions    ${topic}    ==    ${partitions}
