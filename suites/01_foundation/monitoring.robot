*** Settings ***
Documentation    The monitoring profile watches the whole pipeline: Prometheus scrapes Kafka (JMX exporter
...              agent), the Bronze streaming job, Airflow (StatsD through statsd_exporter), per-service
...              memory, Alertmanager and itself. Every configured target must be up: a down target is a
...              failure, never a skip. Memory is compared with the catalogue's budgets through PromQL.

Resource         ../../resources/platform.resource
Resource         ../../resources/monitoring.resource

Suite Setup      Platform Suite Setup
Test Teardown    Platform Test Teardown

Test Tags    profile:monitoring
...          profile:core
...          profile:data-platform
...          profile:quality-orchestration
...          area:monitoring


*** Test Cases ***
Monitoring Services Are Healthy
    [Documentation]    Prometheus, Alertmanager, statsd_exporter and the memory exporter pass their
    ...    readiness probes; the status table lists them with their budgets.
    [Tags]    smoke
    Services Should Be Healthy    monitoring

Every Scrape Target Is Up
    [Documentation]    Each configured target answers its scrape: one that is down fails the test with
    ...    its last scrape error (upstream's monitoring test skipped when its targets did not exist).
    [Tags]    smoke
    All Targets Should Be Up    timeout=30 s

Each Pipeline Component Reports Its Own Metrics
    [Documentation]    Not only are the endpoints up: each carries the component's own metrics. The
    ...    broker reports its partitions, the streaming query is active, Airflow's scheduler heartbeats
    ...    arrive through StatsD, and the memory exporter sees Kafka.
    [Template]    Get Metric Value
    kafka_server_replicamanager_partitioncount    >    0    retry_timeout=30 s
    kafka_controller_kafkacontroller_activecontrollercount    ==    1    retry_timeout=30 s
    lakehouse_bronze_query_active    ==    1    retry_timeout=30 s
    sum(rate(airflow_scheduler_heartbeat[30s]))    >    0    retry_timeout=30 s
    lakehouse_service_memory_bytes{service="kafka"}    >    0    retry_timeout=30 s

Memory Budgets In Prometheus Are The Catalogue's
    [Documentation]    The budget series are generated from the service catalogue, so a budget is
    ...    declared once; they must equal each service's ``memory_mb``.
    Prometheus Budgets Should Match The Catalogue

Running Services Stay Within Their Memory Budgets
    [Documentation]    RSS over budget per running service, as PromQL computes it for the
    ...    ServiceMemoryAboveBudget alert, is below 1 for every service of the profiles this suite runs.
    ${use}=    Running Services Should Stay Within Their Budgets
    ...    core    data-platform    quality-orchestration    monitoring
    Dictionary Should Contain Key    ${use}    prometheus
    Log Metric Plot    lakehouse_service_memory_bytes / lakehouse_service_memory_budget_bytes    window=5 min
    ...    threshold=0.9

Every Alert Rule Is Loaded And Healthy
    [Documentation]    The five pipeline alerts are loaded from ``lakehouse/monitoring/rules`` and evaluate
    ...    without error.
    [Template]    Alert Rule Should Be Healthy
    DlqRateHigh
    IngestionLagNotDraining
    StreamingQueryDown
    ServiceMemoryAboveBudget
    FailedDagRun


*** Keywords ***
Alert Rule Should Be Healthy
    [Documentation]    Prometheus evaluates the rule and its last evaluation had no error.
    [Arguments]    ${name}
    ${rule}=    Get Alert Rule    ${name}
    Should Be Equal    ${rule}[health]    ok    msg=${name} does not evaluate cleanly: ${rule}
