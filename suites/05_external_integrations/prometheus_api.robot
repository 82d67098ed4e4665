*** Settings ***
Documentation    Prometheus' HTTP API (``/api/v1``) and Alertmanager's (``/api/v2``) as documented, through
...              raw HTTP (RequestsLibrary): the response shapes the MonitoringLibrary and any dashboard rely
...              on, and the documented error for a bad query.
...
...              Neither server has authentication: Prometheus has none built in (its docs point to a
...              reverse proxy), and the monitoring profile binds both to 127.0.0.1 only. There is no
...              "refused without credentials" test here because there is nothing to refuse.
...
...              Docs: https://prometheus.io/docs/prometheus/2.42/querying/api/
...              https://github.com/prometheus/alertmanager/blob/v0.25.0/api/v2/openapi.yaml

Library          Collections
Library          RequestsLibrary
Resource         ../../resources/platform.resource

Suite Setup      Platform Suite Setup
Test Teardown    Platform Test Teardown

Test Tags        profile:monitoring    area:monitoring


*** Variables ***
@{PIPELINE_ALERTS}    DlqRateHigh    IngestionLagNotDraining    StreamingQueryDown    ServiceMemoryAboveBudget
...                   FailedDagRun


*** Test Cases ***
Instant Query Returns A Vector Of Labelled Samples
    [Documentation]    ``GET /api/v1/query?query=up``: ``{"status": "success", "data": {"resultType": "vector",
    ...    "result": [{"metric": {labels}, "value": [<unix time>, "<number as string>"]}]}}``.
    [Tags]    smoke
    ${body}=    Prometheus Get    /api/v1/query    query=up{job="prometheus"}
    Should Be Equal    ${body}[data][resultType]    vector
    Length Should Be    ${body}[data][result]    1
    VAR    ${sample}    ${body}[data][result][0]
    Should Be Equal    ${sample}[metric][__name__]    up
    Should Be Equal    ${sample}[metric][job]    prometheus
    Length Should Be    ${sample}[value]    2
    Should Be True    isinstance($sample['value'][0], (int, float))    msg=time is not a number: ${sample}
    Should Be Equal    ${sample}[value][1]    1    msg=the value is sent as a string

Scalar Query Returns A Scalar Pair
    [Documentation]    ``query=1+1`` gives ``resultType`` ``scalar`` and ``result`` ``[<time>, "2"]``.
    ${body}=    Prometheus Get    /api/v1/query    query=1+1
    Should Be Equal    ${body}[data][resultType]    scalar
    Should Be Equal    ${body}[data][result][1]    2

Targets Lists Active Targets With Their Health
    [Documentation]    ``GET /api/v1/targets``: ``activeTargets`` with ``labels``, ``scrapePool``, ``scrapeUrl``,
    ...    ``health`` (up, down, unknown), ``lastError``, ``lastScrape`` and ``lastScrapeDuration``; every
    ...    scrape URL of the monitoring profile is on loopback.
    ${body}=    Prometheus Get    /api/v1/targets
    Dictionary Should Contain Key    ${body}[data]    droppedTargets
    VAR    @{pools}    @{EMPTY}
    FOR    ${target}    IN    @{body}[data][activeTargets]
        FOR    ${key}    IN    labels    scrapePool    scrapeUrl    health    lastError    lastScrape
        ...    lastScrapeDuration
            Dictionary Should Contain Key    ${target}    ${key}
        END
        Should Contain Any    ${target}[health]    up    down    unknown
        Should Start With    ${target}[scrapeUrl]    http://127.0.0.1:
        Append To List    ${pools}    ${target}[scrapePool]
    END
    List Should Contain Sub List    ${pools}
    ...    ${{ ["prometheus", "alertmanager", "statsd-exporter", "lakehouse-memory", "streaming", "kafka"] }}

Rules Lists The Pipeline Alerts
    [Documentation]    ``GET /api/v1/rules``: ``groups`` with ``rules``; an alerting rule has ``type``
    ...    ``alerting``, ``name``, ``query``, ``duration`` (seconds), ``labels``, ``annotations``, ``state``
    ...    and ``health``. The five pipeline alerts are there.
    ${body}=    Prometheus Get    /api/v1/rules    type=alert
    VAR    @{names}    @{EMPTY}
    FOR    ${group}    IN    @{body}[data][groups]
        FOR    ${rule}    IN    @{group}[rules]
            Should Be Equal    ${rule}[type]    alerting
            FOR    ${key}    IN    name    query    duration    labels    annotations    state    health
                Dictionary Should Contain Key    ${rule}    ${key}
            END
            Append To List    ${names}    ${rule}[name]
        END
    END
    List Should Contain Sub List    ${names}    ${PIPELINE_ALERTS}

A Query With A Syntax Error Is Refused With Bad Data
    [Documentation]    A PromQL parse error is HTTP 400 with ``{"status": "error", "errorType": "bad_data",
    ...    "error": "<parser message>"}``.
    VAR    ${url}    ${LH_TARGET}[prometheus_url]
    ${response}=    GET    ${url}/api/v1/query    params=query=sum(rate(up[1m])    expected_status=400
    Should Be Equal    ${response.json()}[status]    error
    Should Be Equal    ${response.json()}[errorType]    bad_data
    Should Contain    ${response.json()}[error]    parse error

Build Info Names The Debian Release
    [Documentation]    ``GET /api/v1/status/buildinfo``: the provisioned Prometheus is 2.42.
    ${body}=    Prometheus Get    /api/v1/status/buildinfo
    Should Start With    ${body}[data][version]    2.42.

Alertmanager Status Shows A Disabled Cluster And Its Config
    [Documentation]    ``GET /api/v2/status``: ``cluster`` (``status`` disabled: no gossip port is opened),
    ...    ``config.original`` (the YAML loaded), ``versionInfo`` (0.25) and ``uptime``.
    VAR    ${url}    ${LH_TARGET}[alertmanager_url]
    ${response}=    GET    ${url}/api/v2/status    expected_status=200
    VAR    ${status}    ${response.json()}
    Should Be Equal    ${status}[cluster][status]    disabled
    ...    msg=Alertmanager runs a gossip cluster (port 9094 on every interface): ${status}[cluster]
    Should Contain    ${status}[config][original]    receiver: "null"
    Should Start With    ${status}[versionInfo][version]    0.25.
    Dictionary Should Contain Key    ${status}    uptime

Alertmanager Alerts Is A List Of Labelled Alerts
    [Documentation]    ``GET /api/v2/alerts``: a JSON list; each alert has ``labels`` (with ``alertname``),
    ...    ``annotations``, ``startsAt``, ``endsAt``, ``fingerprint`` and ``status.state``.
    VAR    ${url}    ${LH_TARGET}[alertmanager_url]
    ${response}=    GET    ${url}/api/v2/alerts    expected_status=200
    VAR    ${alerts}    ${response.json()}
    Should Be True    isinstance($alerts, list)    msg=not a list: ${alerts}
    FOR    ${alert}    IN    @{alerts}
        FOR    ${key}    IN    labels    annotations    startsAt    endsAt    fingerprint    status
            Dictionary Should Contain Key    ${alert}    ${key}
        END
        Dictionary Should Contain Key    ${alert}[labels]    alertname
        Dictionary Should Contain Key    ${alert}[status]    state
    END


*** Keywords ***
Prometheus Get
    [Documentation]    ``GET <prometheus_url><path>`` with query parameters; checks HTTP 200 and
    ...    ``status: success`` and returns the JSON body.
    [Arguments]    ${path}    &{params}
    ${response}=    GET    ${LH_TARGET}[prometheus_url]${path}    params=${params}    expected_status=200
    Should Be Equal    ${response.json()}[status]    success
    RETURN    ${response.json()}
