*** Settings ***
Documentation    A failure inside a DAG must fail the DAG run, and the run must name the task that failed.
...              Trigger rules that run a join "whatever happened", an exception turned into an empty result,
...              a branch that skips instead of failing: each turns a broken run into a green one, which is
...              worse than no monitoring at all. Each test breaks one input of a run on purpose (a DLQ
...              table that does not exist, an alert destination that cannot be written), expects the run
...              ``failed``, and checks the state of every task of the run exactly. Runs are narrowed to the
...              test's correlation id and have their own run ids, so tests stay independent under pabot.

Resource         ../../resources/platform.resource
Resource         ../../resources/airflow.resource

Suite Setup      Platform Suite Setup
Test Teardown    Platform Test Teardown

Test Tags        profile:core    profile:data-platform    profile:quality-orchestration    area:airflow


*** Test Cases ***
DLQ Monitoring Fails When The DLQ Table Does Not Exist
    [Documentation]    "No table" is not "no errors": pointed at a DLQ table that does not exist, the monitor's
    ...    ``count_dlq_rows`` fails, nothing downstream runs, and the run fails. A monitor that reads a
    ...    missing table as zero errors branches to ``no_alert`` and reports success forever.
    ${cid}=    New Correlation Id    of-nodlq
    VAR    ${missing}    s3://${LH_TARGET}[buckets][bronze]/no_such_dlq_${cid}
    VAR    &{conf}    correlation_id=${cid}    threshold=${10}    window_minutes=${30}    dlq_uri=${missing}
    ${run_id}=    Trigger Dag    dlq_monitoring    conf=${conf}    run_id=nodlq_${cid}
    Wait For Dag Run    dlq_monitoring    ${run_id}    state=failed    timeout=${DAG_TIMEOUT}
    VAR    &{expected}    count_dlq_rows=failed    check_threshold=upstream_failed
    ...    send_alert=upstream_failed    no_alert=upstream_failed
    Get Task States    dlq_monitoring    ${run_id}    ==    ${expected}
    ${log}=    Get Task Log    dlq_monitoring    ${run_id}    count_dlq_rows
    Should Contain    ${log}    no_such_dlq_${cid} does not exist

DLQ Monitoring Fails When Its Alert Cannot Be Written
    [Documentation]    One malformed event against threshold 0 must alert; the alert destination is a bucket
    ...    that does not exist, so ``send_alert`` fails, and the run must fail with it: an alert that
    ...    was decided but never delivered is an outage, not a success. A join task with trigger rule
    ...    ``all_done`` after the branch would end the run green. The destination's bucket name is one S3
    ...    refuses (uppercase, underscores): a missing but valid name would be created by SeaweedFS on write.
    ${cid}=    New Correlation Id    of-noalert
    Publish Malformed Events    trips    ${cid}    1
    Wait For Dlq Rows    ${cid}    count=1    timeout=2 min
    VAR    ${unwritable}    s3://No_Such_Bucket/alerts_${cid}
    VAR    &{conf}    correlation_id=${cid}    threshold=${0}    window_minutes=${30}    alert_root=${unwritable}
    ${run_id}=    Trigger Dag    dlq_monitoring    conf=${conf}    run_id=noalert_${cid}
    Wait For Dag Run    dlq_monitoring    ${run_id}    state=failed    timeout=${DAG_TIMEOUT}
    VAR    &{expected}    count_dlq_rows=success    check_threshold=success    send_alert=failed    no_alert=skipped
    Get Task States    dlq_monitoring    ${run_id}    ==    ${expected}
    VAR    &{counts}    trips=${1}
    DLQ Counts Should Be    ${run_id}    ${counts}
