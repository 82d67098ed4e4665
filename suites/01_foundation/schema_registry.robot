*** Settings ***
Documentation    The schema registry answers the Confluent REST API, every domain subject is registered
...              with the contract from contract/schemas, and the global compatibility is BACKWARD.

Library          SchemaRegistryLibrary
Resource         ../../resources/platform.resource

Suite Setup      Platform Suite Setup
Test Teardown    Platform Test Teardown

Test Tags        profile:core    area:schema-registry


*** Test Cases ***
Global Compatibility Is Backward
    [Documentation]    Confluent's default; consumers must be able to read data written with older schemas.
    [Tags]    smoke
    Get Compatibility    assertion_operator===    assertion_expected=BACKWARD

Domain Subjects Are Registered With Their Contracts
    [Documentation]    Each topic's JSON Schema is registered as <topic>-value (with the target's topic prefix).
    [Template]    Subject Should Carry Its Contract
    trips
    gps-pings
    driver-status
    surge-updates
    ratings
    payments
    driver-profiles
    rider-profiles


*** Keywords ***
Subject Should Carry Its Contract
    [Documentation]    The topic's subject exists and its latest schema equals the topic's contract file.
    [Arguments]    ${topic}
    ${subject}=    Get Topic Subject    ${topic}
    Subject Should Exist    ${subject}
    Registered Schema Should Match Contract    ${topic}
