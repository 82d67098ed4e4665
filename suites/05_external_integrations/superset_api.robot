*** Settings ***
Documentation    Superset's REST API (``/api/v1``) as documented, through raw HTTP (RequestsLibrary): authentication
...              (JWT from ``/api/v1/security/login``, refresh), refusal without credentials, the CSRF protection of
...              mutating calls, and the response shapes of ``/api/v1/dashboard/``, ``/api/v1/chart/`` and
...              ``/api/v1/chart/data`` that BiLibrary and any client rely on.
...
...              Calls that carry the password or a token run with Robot's logging off (``Quietly``): RequestsLibrary
...              logs request bodies and headers. Their status and the shape of their answer are logged instead.
...              ``/api/v1/chart/data`` queries the Bronze DLQ dataset, so the suite needs ``data-platform``
...              (its ``bronze-init`` creates the table); the figures themselves are the dashboard suite's.
...
...              Docs: https://superset.apache.org/docs/api (OpenAPI at ``/swagger/v1`` of a running server)

Library          Collections
Library          RequestsLibrary
Resource         ../../resources/platform.resource

Suite Setup      Superset API Suite Setup
Test Teardown    Platform Test Teardown

Test Tags        profile:core    profile:data-platform    profile:bi    area:bi


*** Variables ***
@{LIST_KEYS}          count    ids    result    list_columns    order_columns    label_columns    description_columns
...                   list_title
@{DASHBOARD_KEYS}     id    dashboard_title    slug    url    published    uuid    changed_on_utc    owners
@{CHART_KEYS}         id    slice_name    viz_type    datasource_id    datasource_type    params    url    uuid
@{CHART_DATA_KEYS}    data    colnames    coltypes    rowcount    query    status    error    is_cached


*** Test Cases ***
Requests Without Credentials Are Refused With 401
    [Documentation]    Every ``/api/v1`` resource needs a JWT: without ``Authorization`` Superset answers 401
    ...    ``{"msg": "Missing Authorization Header"}`` (flask-jwt-extended), for reads and for chart data alike.
    [Template]    Unauthenticated Call Should Be Refused
    GET    /api/v1/dashboard/
    GET    /api/v1/chart/
    GET    /api/v1/dataset/
    GET    /api/v1/database/
    POST    /api/v1/chart/data

A Wrong Password Is Refused With 401
    [Documentation]    ``POST /api/v1/security/login`` with a wrong password answers 401 ``{"message": "Not authorized"}``
    ...    and no token.
    VAR    &{body}    username=${LH_TARGET}[superset_user]    password=not-the-password    provider=db
    ${resp}=    POST On Session    superset    /api/v1/security/login    json=${body}    expected_status=401
    Should Be Equal    ${resp.json()}[message]    Not authorized
    Dictionary Should Not Contain Key    ${resp.json()}    access_token

Login Gives An Access Token And A Refresh Token That Renews It
    [Documentation]    The login answers 200 with ``access_token`` and (``refresh: true``) ``refresh_token``, both JWTs;
    ...    ``POST /api/v1/security/refresh`` with the refresh token gives a new access token that works.
    ${seen}=    Log In And Refresh Quietly
    Should Be Equal As Integers    ${seen}[login]    200
    Should Be Equal    ${seen}[keys]    ${{ ["access_token", "refresh_token"] }}
    Should Be True    ${seen}[access_is_jwt] and ${seen}[refresh_is_jwt]    msg=Tokens are not JWTs: ${seen}
    Should Be Equal As Integers    ${seen}[refresh]    200
    Should Be Equal As Integers    ${seen}[renewed_call]    200

A Mutating Call Without A CSRF Token Is Refused With 400
    [Documentation]    A valid JWT is not enough to change anything: POST/PUT/DELETE also need ``X-CSRFToken`` (from
    ...    ``GET /api/v1/security/csrf_token/``), the session cookie that call sets and a ``Referer``. Without them
    ...    Superset answers 400 "The CSRF token is missing." and creates nothing; with them the same call succeeds
    ...    (a scratch dashboard, deleted again the same way).
    VAR    ${title}    csrf-check-${{ __import__('uuid').uuid4().hex[:8] }}
    VAR    &{body}    dashboard_title=${title}
    ${resp}=    Call As User    POST    /api/v1/dashboard/    json=${body}
    Should Be Equal As Integers    ${resp.status_code}    400
    Should Contain    ${resp.json()}[errors][0][message]    The CSRF token is missing
    Dashboard Titles Should Not Contain    ${title}
    ${created}=    Call As User    POST    /api/v1/dashboard/    csrf=${True}    json=${body}
    Should Be Equal As Integers    ${created.status_code}    201    msg=${created.text}
    ${deleted}=    Call As User    DELETE    /api/v1/dashboard/${created.json()}[id]    csrf=${True}
    Should Be Equal As Integers    ${deleted.status_code}    200    msg=${deleted.text}

Dashboard List Has The Documented Shape
    [Documentation]    ``GET /api/v1/dashboard/`` is a Flask-AppBuilder list: ``count``, ``ids``, ``result`` and the
    ...    column metadata; each item has the dashboard's id, title, slug, url, published flag and uuid. The
    ...    provisioned "Operations" dashboard (slug ``operations``) is one of them.
    ${resp}=    Call As User    GET    /api/v1/dashboard/
    VAR    ${body}    ${resp.json()}
    Should Have Keys    ${body}    ${LIST_KEYS}
    Should Be Equal As Integers    ${body}[count]    ${{ len($body['result']) }}
    ${operations}=    Item With    ${body}[result]    dashboard_title    Operations
    Should Have Keys    ${operations}    ${DASHBOARD_KEYS}
    Should Be Equal    ${operations}[slug]    operations
    Should Be True    ${operations}[published]
    Should Be Equal    ${operations}[url]    /superset/dashboard/operations/

Chart List Has The Documented Shape
    [Documentation]    ``GET /api/v1/chart/`` lists charts with their name, viz type, dataset and form data (``params``,
    ...    a JSON string); the four charts of the Operations dashboard are there.
    ${resp}=    Call As User    GET    /api/v1/chart/
    VAR    ${body}    ${resp.json()}
    Should Have Keys    ${body}    ${LIST_KEYS}
    ${names}=    Evaluate    [c['slice_name'] for c in $body['result']]
    List Should Contain Sub List    ${names}    ${{ ["Completed trips", "Revenue", "DLQ errors", "Trips by zone"] }}
    ${revenue}=    Item With    ${body}[result]    slice_name    Revenue
    Should Have Keys    ${revenue}    ${CHART_KEYS}
    Should Be Equal    ${revenue}[viz_type]    big_number_total
    ${params}=    Evaluate    json.loads($revenue['params'])    modules=json
    Should Be Equal    ${params}[metric][sqlExpression]    SUM(fare_amount)

Chart Data Has The Documented Shape
    [Documentation]    ``POST /api/v1/chart/data`` with a query context (dataset + one metric) answers 200 with one
    ...    ``result`` per query: ``data`` rows keyed by the metric label, ``colnames``, ``coltypes``, ``rowcount``,
    ...    the SQL it ran (``query``) and ``status: success``. It needs no CSRF token (a read).
    ${found}=    Call As User    GET    /api/v1/dataset/
    ...    params=q=(filters:!((col:table_name,opr:eq,value:bronze_dlq_errors)))
    VAR    ${dataset_id}    ${found.json()}[result][0][id]
    VAR    &{metric}    expressionType=SQL    sqlExpression=COUNT(*)    label=n
    VAR    &{query}    metrics=${{ [$metric] }}
    VAR    &{datasource}    id=${dataset_id}    type=table
    VAR    &{context}    datasource=${datasource}    queries=${{ [$query] }}    result_format=json    result_type=full
    ${resp}=    Call As User    POST    /api/v1/chart/data    json=${context}
    Should Be Equal As Integers    ${resp.status_code}    200    msg=${resp.text}
    VAR    ${result}    ${resp.json()}[result][0]
    Should Have Keys    ${result}    ${CHART_DATA_KEYS}
    Should Be Equal    ${result}[status]    success
    Should Be Equal    ${result}[colnames]    ${{ ["n"] }}
    Should Be Equal As Integers    ${result}[rowcount]    1
    Should Be True    isinstance($result['data'][0]['n'], int) and $result['data'][0]['n'] >= 0
    Should Contain    ${result}[query]    delta_scan


*** Keywords ***
Superset API Suite Setup
    [Documentation]    Starts the profiles, then one RequestsLibrary session on the target's Superset.
    Platform Suite Setup
    Create Session    superset    ${LH_TARGET}[superset_url]    timeout=30    max_retries=0

Call As User
    [Documentation]    ``method path`` as the target's user: logs in, sends ``Authorization: Bearer``, and with ``csrf``
    ...    also the CSRF token, its session cookie and a ``Referer``. Robot's logging is off meanwhile (the request
    ...    log would show the token, the login body the password); method, path and status are logged instead.
    ...    Accepts any status: the test asserts it.
    [Arguments]    ${method}    ${path}    ${csrf}=${False}    &{kwargs}
    ${level}=    Set Log Level    NONE
    TRY
        ${headers}=    Bearer Headers
        IF    ${csrf}
            ${token}=    GET On Session    superset    /api/v1/security/csrf_token/    headers=${headers}
            Set To Dictionary
            ...    ${headers}
            ...    X-CSRFToken=${token.json()}[result]
            ...    Referer=${LH_TARGET}[superset_url]/
        END
        ${resp}=    Run Keyword    ${method} On Session    superset    ${path}    headers=${headers}
        ...    expected_status=anything    &{kwargs}
    FINALLY
        Set Log Level    ${level}
    END
    Log    ${method} ${path}${{ ' with CSRF token' if $csrf else '' }} → HTTP ${resp.status_code}
    RETURN    ${resp}

Bearer Headers
    [Documentation]    ``Authorization: Bearer <access token>`` of a fresh login. Call it with logging off.
    VAR    &{body}    username=${LH_TARGET}[superset_user]    password=${{ $LH_TARGET['superset_password'].value }}
    ...    provider=db    refresh=${True}
    ${resp}=    POST On Session    superset    /api/v1/security/login    json=${body}    expected_status=200
    VAR    &{headers}    Authorization=Bearer ${resp.json()}[access_token]
    RETURN    ${headers}

Log In And Refresh Quietly    # robocop: off=too-many-calls-in-keyword
    [Documentation]    Logs in, refreshes the access token and uses the new one, with logging off; returns only what
    ...    was seen (statuses, token keys, whether each token is a JWT), never a token.
    VAR    ${jwt}    ^[\\w-]+\\.[\\w-]+\\.[\\w-]+$
    ${level}=    Set Log Level    NONE
    TRY
        VAR    &{body}    username=${LH_TARGET}[superset_user]    password=${{ $LH_TARGET['superset_password'].value }}
        ...    provider=db    refresh=${True}
        ${login}=    POST On Session    superset    /api/v1/security/login    json=${body}    expected_status=anything
        VAR    ${tokens}    ${login.json()}
        VAR    &{with_refresh}    Authorization=Bearer ${tokens}[refresh_token]
        ${refresh}=    POST On Session    superset    /api/v1/security/refresh    headers=${with_refresh}
        ...    expected_status=anything
        VAR    &{renewed}    Authorization=Bearer ${refresh.json()}[access_token]
        ${call}=    GET On Session    superset    /api/v1/dashboard/    headers=${renewed}    expected_status=anything
        VAR    &{seen}    login=${login.status_code}    keys=${{ sorted($tokens) }}
        ...    access_is_jwt=${{ bool(re.match($jwt, $tokens['access_token'])) }}
        ...    refresh_is_jwt=${{ bool(re.match($jwt, $tokens['refresh_token'])) }}
        ...    refresh=${refresh.status_code}    renewed_call=${call.status_code}
    FINALLY
        Set Log Level    ${level}
    END
    Log    ${seen}
    RETURN    ${seen}

Unauthenticated Call Should Be Refused
    [Documentation]    ``method path`` without credentials must answer 401 with flask-jwt-extended's message.
    [Arguments]    ${method}    ${path}
    ${resp}=    Run Keyword    ${method} On Session    superset    ${path}    expected_status=401
    Should Be Equal    ${resp.json()}[msg]    Missing Authorization Header

Dashboard Titles Should Not Contain
    [Documentation]    No dashboard is titled ``title`` (the refused call created nothing).
    [Arguments]    ${title}
    ${resp}=    Call As User    GET    /api/v1/dashboard/
    ${titles}=    Evaluate    [d['dashboard_title'] for d in $resp.json()['result']]
    Should Not Contain    ${titles}    ${title}

Should Have Keys
    [Documentation]    Fails naming the keys of ``keys`` that ``dictionary`` lacks.
    [Arguments]    ${dictionary}    ${keys}
    ${missing}=    Evaluate    sorted(set($keys) - set($dictionary))
    Should Be Empty    ${missing}    msg=Missing keys ${missing}; present: ${{ sorted($dictionary) }}

Item With
    [Documentation]    The first item of ``items`` whose ``key`` equals ``value``; fails listing the values seen.
    [Arguments]    ${items}    ${key}    ${value}
    FOR    ${item}    IN    @{items}
        IF    $item.get($key) == $value    RETURN    ${item}
    END
    ${seen}=    Evaluate    [i.get($key) for i in $items]
    Fail    No item with ${key}=${value}; seen: ${seen}
