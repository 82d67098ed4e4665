*** Settings ***
Documentation    Recovery of the Bronze streaming job: exactly-once per event id across a graceful
...              restart, a hard kill in the middle of a micro-batch and a lost checkpoint, and a
...              1000-event burst under the service's real memory limit (a cgroup when the runner
...              runs as root). These tests restart the shared streaming job, so they run alone.

Library          OperatingSystem
Library          PlatformLibrary
Resource         ../../resources/platform.resource
Resource         ../../resources/streaming.resource

Suite Setup      Platform Suite Setup
Test Teardown    Platform Test Teardown

Test Tags        profile:core    profile:data-platform    serial    area:recovery


*** Variables ***
${RECOVERY_TIMEOUT}       3 min
${STREAMING_BUDGET_MB}    1536


*** Test Cases ***
Events Land Exactly Once Across A Graceful Restart
    [Documentation]    Events published before, during and after a restart are each in Bronze once:
    ...    the checkpoint resumes the offsets and txnAppId/txnVersion skips a replayed batch.
    ${cid}=    New Correlation Id    restart
    ${before}=    Publish Gps Burst    ${cid}    5    20    seed=${1}
    Restart Service    bronze-streaming    timeout=${RECOVERY_TIMEOUT}
    ${after}=    Publish Gps Burst    ${cid}    5    20    seed=${2}
    ${ids}=    Combine Lists    ${before}    ${after}
    Bronze Should Contain Each Event Exactly Once    gps-pings    ${cid}    ${ids}    timeout=${RECOVERY_TIMEOUT}
    Streaming Query Should Be Active

Events Land Exactly Once After A Hard Kill Mid-Batch
    [Documentation]    SIGKILL while a micro-batch is being written: some of its tables committed,
    ...    others not, the batch not marked done in the checkpoint. The restarted job replays the
    ...    batch; tables that already hold it skip it (txnAppId/txnVersion), the others get it:
    ...    no loss, no duplicate, in any table.
    ${cid}=    New Correlation Id    kill
    # A micro-batch now commits its tables in a fraction of a second, less than a kill takes to land:
    # the job's fault-injection file holds this correlation id's batch after its first table commit.
    Hold Next Streaming Batch Half Written    ${cid}
    ${pings}=    Publish Gps Burst    ${cid}    10    20    seed=${1}
    ${trips}=    Build Trip Lifecycle    ${cid}
    Publish Events    trips    ${trips}    correlation_id=${cid}
    ${status}=    Build Driver Status Events    ${cid}
    Publish Events    driver-status    ${status}    correlation_id=${cid}
    VAR    @{tables}    gps-pings    trips    driver-status
    Wait For Streaming Batch In Progress    ${cid}    ${tables}    timeout=60 s
    Kill Service    bronze-streaming    wait_until_healthy=True    timeout=${RECOVERY_TIMEOUT}
    Bronze Should Contain Each Event Exactly Once    gps-pings    ${cid}    ${pings}    timeout=${RECOVERY_TIMEOUT}
    ${trip_ids}=    Event Ids Of    ${trips}
    Bronze Should Contain Each Event Exactly Once    trips    ${cid}    ${trip_ids}    timeout=60 s
    ${status_ids}=    Event Ids Of    ${status}
    Bronze Should Contain Each Event Exactly Once    driver-status    ${cid}    ${status_ids}    timeout=60 s
    [Teardown]    Remove Streaming Hold And Run Platform Teardown

Deleting The Checkpoint Neither Drops Nor Duplicates Events
    [Documentation]    Losing the checkpoint restarts batch ids at 0. With a fixed txnAppId every later
    ...    write would be skipped silently; the job derives the app id from a generation stored in
    ...    the checkpoint and resumes after the offsets already in Bronze.
    ${cid}=    New Correlation Id    chk
    ${before}=    Publish Gps Burst    ${cid}    2    10    seed=${1}
    Bronze Should Contain Each Event Exactly Once    gps-pings    ${cid}    ${before}    timeout=${RECOVERY_TIMEOUT}
    Stop Service    bronze-streaming
    Delete Streaming Checkpoint
    Start Service    bronze-streaming
    ${after}=    Publish Gps Burst    ${cid}    2    10    seed=${2}
    ${ids}=    Combine Lists    ${before}    ${after}
    Bronze Should Contain Each Event Exactly Once    gps-pings    ${cid}    ${ids}    timeout=${RECOVERY_TIMEOUT}
    [Teardown]    Start Streaming Job After Test

A Burst Of 1000 Events Stays Within The Memory Budget
    [Documentation]    1000 events at once must be ingested without the job restarting or being
    ...    OOM-killed. Where the runner can (root, cgroup v1) the budget is a real cgroup memory limit,
    ...    checked to be in force; everywhere, RSS (JVM + python) is sampled during the burst and its
    ...    peak must stay inside the budget.
    ${limit}=    Get Service Memory Limit    bronze-streaming
    IF    ${limit}
        Should Be Equal As Integers    ${limit}    ${STREAMING_BUDGET_MB}
        ...    msg=bronze-streaming runs under a ${limit} MB cgroup limit, not its ${STREAMING_BUDGET_MB} MB budget
    ELSE
        Log    No memory cgroup on this machine: the budget is checked on sampled RSS only.    WARN
    END
    ${state}=    Mark Service State    bronze-streaming
    ${sampler}=    Start Memory Sampling    bronze-streaming
    ${cid}=    New Correlation Id    burst
    ${ids}=    Publish Gps Burst    ${cid}    50    20
    Bronze Should Contain Each Event Exactly Once    gps-pings    ${cid}    ${ids}    timeout=${RECOVERY_TIMEOUT}
    ${memory}=    Stop Memory Sampling    ${sampler}
    Should Be True    ${memory}[peak_rss_mb] < ${STREAMING_BUDGET_MB}
    ...    msg=Peak RSS ${memory}[peak_rss_mb] MB during the burst exceeds the ${STREAMING_BUDGET_MB} MB budget
    Service Should Not Have Restarted    bronze-streaming    since=${state}
    Streaming Query Should Be Active


*** Keywords ***
Hold Next Streaming Batch Half Written
    [Documentation]    Arms the streaming job's fault injection (``hold-mid-batch`` in its checkpoint directory):
    ...    the next micro-batch holding ``cid`` in two or more tables commits one table, then waits
    ...    ${seconds} s before the others. Needs a target whose contract names its local checkpoint.
    [Arguments]    ${cid}    ${seconds}=90
    ${target}=    Evaluate    lhkit.target.current()    modules=lhkit.target
    Should Not Be Empty    ${target.streaming_checkpoint}
    ...    msg=Target ${target.name} names no streaming_checkpoint: the mid-batch hold cannot be armed
    Create File    ${target.streaming_checkpoint}/hold-mid-batch
    ...    {"correlation_id": "${cid}", "seconds": ${seconds}}

Remove Streaming Hold And Run Platform Teardown
    [Documentation]    A hold that was never consumed must not stall a later batch.
    ${target}=    Evaluate    lhkit.target.current()    modules=lhkit.target
    IF    $target.streaming_checkpoint
        Remove File    ${target.streaming_checkpoint}/hold-mid-batch
    END
    Platform Test Teardown
