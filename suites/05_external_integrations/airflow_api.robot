*** Settings ***
Documentation    Airflow's REST API as documented, on both generations the toolkit supports: the stable
...              API v1 of Airflow 2.11 (basic auth; profile ``airflow2-compat``) and the public API v2
...              of Airflow 3.3 (JWT from ``POST /auth/token``). Each test runs once per API version.
...              Unauthenticated calls go through RequestsLibrary (raw HTTP is the point there and no
...              secret is involved); authenticated ones through AirflowLibrary, which keeps the
...              password and tokens out of log.html.
...
...              Airflow 2's URL is not in the target contract (only the compatibility tests need it):
...              it comes from the target's service catalogue, the readiness probe of
...              ``airflow2-webserver``. Both servers use the target's ``airflow_user`` / ``airflow_password``.
...
...              Docs: https://airflow.apache.org/docs/apache-airflow/2.11.0/stable-rest-api-ref.html
...              https://airflow.apache.org/docs/apache-airflow/stable/stable-rest-api-ref.html

Library          Collections
Library          RequestsLibrary
Library          EventLibrary
Resource         ../../resources/platform.resource
# One AirflowLibrary per API generation, imported statically (the dry run resolves their keywords).
Library          AirflowLibrary    api=v2    AS    Airflow_v2
Library          AirflowLibrary    url=${AIRFLOW2_URL}    api=v1    AS    Airflow_v1

Suite Setup      Platform Suite Setup
Test Teardown    Platform Test Teardown

Test Tags        profile:quality-orchestration    profile:airflow2-compat    area:airflow


*** Variables ***
# The repository's DAG files (lakehouse/airflow/dags) each server loads: Airflow 3 its 'lakehouse'
# bundle, Airflow 2 (no Task SDK) only the DAGs written for both, i.e. lh_smoke.
&{REPOSITORY_DAG_FILES}    v1=${{ ["lh_smoke.py"] }}    v2=${{ ["lh_smoke.py", "dbt_dags.py", "dlq_monitoring.py"] }}
&{REPOSITORY_DAGS}         v1=${{ ["lh_smoke"] }}    v2=${{ ["lh_smoke", "dbt_silver", "dbt_gold", "dlq_monitoring"] }}
${RUN_TIMEOUT}             2 min
# Airflow 2's base URL: the readiness probe of the target's airflow2-webserver service ('' if none:
# `Airflow Url` then fails naming what is missing).
${AIRFLOW2_URL}            ${{ next((s['probe']['target'].split('/api/')[0] for s in $LH_TARGET['services'] if s['name'] == 'airflow2-webserver'), '') }}


*** Test Cases ***
Requests Without Credentials Are Refused With 401
    [Documentation]    Both APIs document HTTP 401 (Unauthenticated: "Request not authenticated due to missing,
    ...    invalid, authentication info") for a call without credentials.
    ...    v1: https://airflow.apache.org/docs/apache-airflow/2.11.0/stable-rest-api-ref.html#section/Errors/Unauthenticated
    ...    v2: https://airflow.apache.org/docs/apache-airflow/stable/stable-rest-api-ref.html#operation/get_dags
    ...    Finding (v1): Airflow 2.11 with Flask-AppBuilder's default ``AUTH_ROLE_PUBLIC = "Public"`` treats a
    ...    call without (or with wrong) credentials as the public role and answers 403 PermissionDenied;
    ...    the platform's ``webserver_config.py`` must set ``AUTH_ROLE_PUBLIC = None`` for the documented 401.
    [Tags]    finding:airflow2-403
    [Template]    Unauthenticated Call Should Be Refused
    v1
    v2

A Wrong Password Is Refused With 401
    [Documentation]    v1 (basic auth): a wrong password on a call is HTTP 401 (Unauthenticated). v2: ``POST
    ...    /auth/token`` with a wrong password is HTTP 401 and issues no token.
    ...    v1: https://airflow.apache.org/docs/apache-airflow/2.11.0/stable-rest-api-ref.html#section/Authentication
    ...    v2: https://airflow.apache.org/docs/apache-airflow/stable/security/api.html
    [Tags]    finding:airflow2-403
    [Template]    Wrong Password Should Be Refused
    v1
    v2

The Target's Credentials Are Accepted
    [Documentation]    With the target's user and password, v1 answers basic-auth calls and v2 issues a JWT
    ...    from ``POST /auth/token`` that the API accepts: listing DAGs answers 200 and shows the
    ...    repository's DAGs. The API version is detected from the unauthenticated ``/version``.
    ...    https://airflow.apache.org/docs/apache-airflow/stable/security/api.html
    [Tags]    smoke
    [Template]    Credentials Should Be Accepted
    v1
    v2

Triggering With Conf Passes The Conf To The Run
    [Documentation]    ``POST /dags/lh_smoke/dagRuns`` with ``conf`` (and, on v2, the required ``logical_date``,
    ...    here null) creates a run whose ``conf`` is returned unchanged by ``GET dagRuns/{id}``; ``conf``
    ...    overrides the DAG's params, so the task returns it through XCom (v1 sends the XCom value as a
    ...    Python repr, v2 as JSON; AirflowLibrary reads both).
    ...    v1: https://airflow.apache.org/docs/apache-airflow/2.11.0/stable-rest-api-ref.html#operation/post_dag_run
    ...    v2: https://airflow.apache.org/docs/apache-airflow/stable/stable-rest-api-ref.html#operation/trigger_dag_run
    [Template]    Trigger With Conf Should Echo It
    v1
    v2

The Repository's DAGs Have No Import Errors
    [Documentation]    ``GET /importErrors`` lists no error for the repository's DAG files, and every
    ...    repository DAG is listed (a DAG missing with no import error would be a bundle problem).
    ...    v1 reports absolute file names, v2 names relative to the bundle with a ``bundle_name``;
    ...    both are compared by base name.
    ...    v1: https://airflow.apache.org/docs/apache-airflow/2.11.0/stable-rest-api-ref.html#operation/get_import_errors
    ...    v2: https://airflow.apache.org/docs/apache-airflow/stable/stable-rest-api-ref.html#operation/get_import_errors
    [Template]    Repository Dags Should Load Cleanly
    v1
    v2


*** Keywords ***
Airflow Url
    [Documentation]    The base URL of the Airflow serving ``api``: v2 is the target's ``airflow_url``; v1 is
    ...    read from the readiness probe of the target's ``airflow2-webserver`` service.
    [Arguments]    ${api}
    IF    '${api}' == 'v2'    RETURN    ${LH_TARGET}[airflow_url]
    FOR    ${service}    IN    @{LH_TARGET}[services]
        IF    '${service}[name]' == 'airflow2-webserver'
            RETURN    ${{ $service['probe']['target'].split('/api/')[0] }}
        END
    END
    Fail    Target '${LH_TARGET}[name]' declares no airflow2-webserver service: Airflow 2 (API v1) is unknown

Use Airflow
    [Documentation]    Makes ``Airflow_<api>`` (the AirflowLibrary of that API generation) the default.
    [Arguments]    ${api}
    ${url}=    Airflow Url    ${api}
    # Literal names (not Airflow_${api}): the dry run executes both branches and resolves keywords.
    IF    '${api}' == 'v1'
        Set Library Search Order    Airflow_v1
    ELSE
        Set Library Search Order    Airflow_v2
    END
    RETURN    ${url}

Unauthenticated Call Should Be Refused
    [Documentation]    ``GET /api/<api>/dags`` without credentials answers 401.
    [Arguments]    ${api}
    ${url}=    Airflow Url    ${api}
    ${response}=    GET    ${url}/api/${api}/dags    expected_status=any
    Should Be Equal As Integers
    ...    ${response.status_code}
    ...    401
    ...    msg=${api}: GET /api/${api}/dags without credentials answered HTTP ${response.status_code} (${response.text.strip()[:200]}), documented: 401 Unauthenticated

Wrong Password Should Be Refused
    [Documentation]    A wrong password answers 401: on a basic-auth call (v1) or on ``POST /auth/token`` (v2).
    [Arguments]    ${api}
    ${url}=    Airflow Url    ${api}
    VAR    ${user}    ${LH_TARGET}[airflow_user]
    IF    '${api}' == 'v1'
        ${response}=    GET    ${url}/api/v1/dags    auth=${{ ($user, 'not-the-password') }}    expected_status=any
    ELSE
        VAR    &{body}    username=${user}    password=not-the-password
        ${response}=    POST    ${url}/auth/token    json=${body}    expected_status=any
        Dictionary Should Not Contain Key    ${response.json()}    access_token
    END
    Should Be Equal As Integers
    ...    ${response.status_code}
    ...    401
    ...    msg=${api}: a wrong password answered HTTP ${response.status_code} (${response.text.strip()[:200]}), documented: 401 Unauthenticated

Credentials Should Be Accepted
    [Documentation]    AirflowLibrary on ``api``: the detected version matches and an authenticated DAG listing
    ...    contains the repository's DAGs.
    [Arguments]    ${api}
    Use Airflow    ${api}
    ${detected}=    Get Airflow Api Version
    Should Be Equal    ${detected}    ${api}
    Get Dag Ids    assertion_operator=contains    assertion_expected=${REPOSITORY_DAGS}[${api}]
    ...    retry_timeout=${RUN_TIMEOUT}

Trigger With Conf Should Echo It
    [Documentation]    Triggers ``lh_smoke`` with a unique ``echo`` in ``conf``; the run's ``conf`` and the task's
    ...    XCom ``return_value`` carry it back.
    [Arguments]    ${api}
    Use Airflow    ${api}
    ${cid}=    New Correlation Id    ext-af-${api}
    VAR    &{conf}    echo=${cid}
    Dag Should Exist    lh_smoke    timeout=${RUN_TIMEOUT}
    ${run_id}=    Trigger Dag    lh_smoke    conf=${conf}    run_id=ext_${cid}
    Wait For Dag Run    lh_smoke    ${run_id}    state=success    timeout=${RUN_TIMEOUT}
    ${run}=    Get Dag Run    lh_smoke    ${run_id}
    Dictionaries Should Be Equal    ${run}[conf]    ${conf}
    VAR    &{echoed}    answer=${42}    echo=${cid}
    Get XCom Value    lh_smoke    ${run_id}    say    return_value    ==    ${echoed}

Repository Dags Should Load Cleanly
    [Documentation]    No import error names a repository DAG file (on v2: in the ``lakehouse`` bundle; the
    ...    ``scratch`` bundle holds other tests' deliberately broken files), and the repository DAGs exist.
    [Arguments]    ${api}
    Use Airflow    ${api}
    Get Dag Ids    assertion_operator=contains    assertion_expected=${REPOSITORY_DAGS}[${api}]
    ...    retry_timeout=${RUN_TIMEOUT}
    ${errors}=    Get Import Errors
    VAR    @{ours}    @{EMPTY}
    FOR    ${error}    IN    @{errors}
        IF    $error['file_name'] in $REPOSITORY_DAG_FILES['${api}'] and $error.get('bundle_name') in (None, 'lakehouse')
            Append To List    ${ours}    ${error}[file_name]: ${error}[stack_trace]
        END
    END
    Should Be Empty    ${ours}    msg=${api}: import errors in the repository's DAG files: ${ours}
