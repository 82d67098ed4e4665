*** Settings ***
Documentation    Every service of the core profile is up, healthy, within its memory budget,
...              and its init steps finished successfully.

Resource         ../../resources/platform.resource

Suite Setup      Platform Suite Setup
Test Teardown    Platform Test Teardown

Test Tags        profile:core    area:platform


*** Test Cases ***
All Core Services Are Healthy
    [Documentation]    Readiness probes of the broker, the registry and S3 pass, and the
    ...    kafka-init, s3-init and schema-init one-shots exited with code 0.
    [Tags]    smoke
    Services Should Be Healthy    core

Core Services Stay Within Their Memory Budgets
    [Documentation]    Each long-running core service uses less memory than its declared budget
    ...    (the budget is also enforced as a cgroup limit when the runner is root).
    ...    Needs a managed backend: an external platform's processes are not observable.
    [Tags]    backend:managed
    [Template]    Service Memory Should Be Below
    kafka    768
    schema-registry    512
    s3    640

Core Services Are Not Crash Looping
    [Documentation]    A crash-looping service can pass a one-off health check. The process
    ...    must be the one seen at suite setup, RUNNING, never OOM-killed, and up for a while.
    ...    Needs a managed backend: an external platform's processes are not observable.
    [Tags]    backend:managed
    [Template]    Service Should Be Stable
    kafka
    schema-registry
    s3


*** Keywords ***
Service Memory Should Be Below
    [Documentation]    The service's process-tree RSS is below its budget.
    [Arguments]    ${service}    ${budget_mb}
    Get Service Memory Usage    ${service}    <    ${budget_mb}

Service Should Be Stable
    [Documentation]    Same process as at suite setup, running, up for at least a second.
    [Arguments]    ${service}
    Service Should Not Have Restarted    ${service}
    ${status}=    Get Service Status    ${service}
    Should Be True    ${status}[uptime_s] >= 1
    ...    msg=${service} has been up for only ${status}[uptime_s] s
