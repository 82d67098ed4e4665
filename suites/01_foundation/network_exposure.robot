*** Settings ***
Documentation    Every service binds 127.0.0.1 only. The sockets each service's processes really listen on are
...              read from the host (``/proc``), not assumed from configuration: a service bound to
...              ``0.0.0.0`` or ``::`` (a flag dropped, a default kept), or one that opens a port beyond its
...              contract endpoint on another interface (a gossip port, a management port), fails here. Each
...              service with a contract endpoint must also be seen serving that endpoint on loopback, so an
...              inspection that sees nothing cannot pass. One test per profile, tagged with that profile only.
...              Needs the embedded backend: other backends run services in other network namespaces.

Library          Collections
Resource         ../../resources/platform.resource

Suite Setup      Platform Suite Setup
Test Teardown    Platform Test Teardown

Test Tags        area:platform    backend:embedded


*** Test Cases ***
Core Services Listen On Loopback Only
    [Documentation]    Kafka (broker and controller), the schema registry (API and management port) and S3
    ...    (every SeaweedFS server) listen on loopback only; Kafka serves ``kafka_bootstrap``, the
    ...    registry ``schema_registry_url`` and S3 ``s3_endpoint``.
    [Tags]    profile:core
    Profile Services Should Listen On Loopback Only    core

Bronze Streaming Listens On Loopback Only
    [Documentation]    The streaming job binds loopback only: its ``streaming_metrics_url`` and the Spark
    ...    driver's internal ports (Py4J gateway, block manager, RPC; ephemeral, hence no exact list).
    [Tags]    profile:data-platform
    Profile Services Should Listen On Loopback Only    data-platform

Orchestration Services Listen On Loopback Only
    [Documentation]    Postgres, the Airflow API server, scheduler and DAG processor listen on loopback only;
    ...    the API server serves exactly ``airflow_url`` and nothing else.
    [Tags]    profile:quality-orchestration
    Profile Services Should Listen On Loopback Only    quality-orchestration
    Service Should Listen Only On Its Endpoint    airflow-api-server

Monitoring Services Listen On Loopback Only
    [Documentation]    Prometheus, Alertmanager (no gossip cluster port), the StatsD exporter (its UDP
    ...    intake and no TCP intake) and the memory exporter listen on loopback only. Prometheus and
    ...    Alertmanager serve exactly their contract endpoint and nothing else.
    [Tags]    profile:monitoring
    Profile Services Should Listen On Loopback Only    monitoring
    Service Should Listen Only On Its Endpoint    prometheus
    Service Should Listen Only On Its Endpoint    alertmanager

Superset Listens On Its Endpoint Only
    [Documentation]    Superset (gunicorn) listens on loopback only and serves exactly ``superset_url``.
    [Tags]    profile:bi
    Profile Services Should Listen On Loopback Only    bi
    Service Should Listen Only On Its Endpoint    superset


*** Keywords ***
Service Should Listen Only On Its Endpoint
    [Documentation]    The service's listening sockets are exactly one: TCP on loopback, on the port of its
    ...    contract endpoint (``alertmanager_url`` …); an extra socket, even on loopback, fails.
    [Arguments]    ${service}
    ${port}=    Get Contract Endpoint Port    ${service}
    Should Not Be Equal    ${port}    ${None}    msg=The contract names no endpoint for ${service}
    ${sockets}=    Get Listening Sockets    ${service}
    ${seen}=    Evaluate    sorted({f"{s['protocol']} {s['address']}:{s['port']}" for s in $sockets})
    VAR    @{expected}    tcp 127.0.0.1:${port}
    Lists Should Be Equal    ${seen}    ${expected}
    ...    msg=${service} must listen on exactly its endpoint tcp 127.0.0.1:${port}; it listens on ${seen}
