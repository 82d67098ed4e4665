*** Settings ***
Documentation    Memory pressure on the Compose backend: a container that goes over its ``mem_limit`` is
...              reported as OOM-killed, with the container, its limit and its peak named and its log tail
...              attached, and the service itself keeps running. The fault is injected with
...              `Exceed Service Memory Limit` (a process inside the container allocates until the kernel's
...              OOM killer ends it), so these tests need the Compose backend (``backend:compose``): the
...              embedded run leaves them out by that tag.

Resource         ../../resources/platform.resource

Suite Setup      Platform Suite Setup
Test Teardown    Platform Test Teardown

Test Tags        profile:core    serial    backend:compose    area:platform


*** Variables ***
${VICTIM}             schema-registry
${VICTIM_LIMIT_MB}    512


*** Test Cases ***
The Container Runs Under Its Budget As A Memory Limit
    [Documentation]    Compose enforces the catalogue's budget as the container's ``mem_limit``.
    ${limit}=    Get Service Memory Limit    ${VICTIM}
    Should Be Equal As Integers    ${limit}    ${VICTIM_LIMIT_MB}
    ...    msg=${VICTIM} runs under a ${limit} MB limit, not its ${VICTIM_LIMIT_MB} MB budget

A Container Over Its Memory Limit Is Reported OOM-Killed
    [Documentation]    Before the fault the OOM check passes; after a process in the container went over
    ...    the limit, it fails naming the container, the limit and the peak (which reached the limit).
    ...    The kernel killed only the hog: the registry is still the same healthy process.
    ${mark}=    Mark Service State    ${VICTIM}
    Service Should Not Have Been OOM Killed    ${VICTIM}    since=${mark}
    ${code}=    Exceed Service Memory Limit    ${VICTIM}
    Should Be Equal As Integers    ${code}    137    msg=The memory hog was not SIGKILLed by the OOM killer
    ${error}=    Run Keyword And Expect Error    *was OOM-killed since the mark*
    ...    Service Should Not Have Been OOM Killed    ${VICTIM}    since=${mark}
    Should Match Regexp    ${error}    Container '\\S+${VICTIM}\\S*' \\(service '${VICTIM}'\\)
    Should Contain    ${error}    memory limit ${VICTIM_LIMIT_MB}.0 MiB
    Should Match Regexp    ${error}    peak ${VICTIM_LIMIT_MB}\\.\\d MiB|peak 51\\d\\.\\d MiB
    ${after}=    Get Service Status    ${VICTIM}
    Should Be Equal    ${after}[pid]    ${mark}[pid]    msg=The OOM killer ended ${VICTIM} itself, not only the hog
    Should Be Equal    ${after}[restarts]    ${mark}[restarts]    msg=${VICTIM} restarted after the memory fault
    Services Should Be Healthy    core
