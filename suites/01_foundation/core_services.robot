*** Settings ***
Documentation       Every service of the core profile is up, healthy, within its memory budget,
...                 and its init steps finished successfully.

Resource            ../../resources/platform.resource

Suite Setup         Platform Suite Setup
Test Teardown       Platform Test Teardown
Test Tags           profile:core    foundation


*** Test Cases ***
All Core Services Are Healthy
    [Documentation]    Readiness probes of the broker, the registry and S3 pass, and the
    ...    kafka-init, s3-init and schema-init one-shots exited with code 0.
    Services Should Be Healthy    core

Core Services Stay Within Their Memory Budgets
    [Documentation]    Each long-running core service uses less memory than its declared budget
    ...    (the budget is also enforced as a cgroup limit when the runner is root).
    [Template]    Service Memory Should Be Below
    kafka              768
    schema-registry    512
    s3                 640

Core Services Have Not Restarted
    [Documentation]    A crash-looping service would pass a one-off health check;
    ...    the supervisor's restart counter catches it.
    [Template]    Service Should Not Have Restarted Since Start
    kafka
    schema-registry
    s3


*** Keywords ***
Service Memory Should Be Below
    [Arguments]    ${service}    ${budget_mb}
    Get Service Memory Usage    ${service}    <    ${budget_mb}

Service Should Not Have Restarted Since Start
    [Arguments]    ${service}
    ${status}=    Get Service Status    ${service}
    Should Be Equal    ${status}[state]    RUNNING    msg=${service} is ${status}[state], not RUNNING
    Should Be Equal As Integers    ${status}[restarts]    0
    ...    msg=${service} was restarted ${status}[restarts] time(s) by the supervisor
