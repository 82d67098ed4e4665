*** Settings ***
Documentation    Kafka → Bronze → Silver/Gold (dbt) → the Superset "Operations" dashboard. A test publishes its
...              own trip, payment and one broken record, builds Silver and Gold, and checks that every chart
...              shows the figure computed from those events: through Superset's chart-data API (the chart's
...              own query over the Gold Delta tables) and in a real browser, as a user sees it.
...              Every dataset carries ``correlation_id``, so the figures are the test's own whatever else
...              Gold holds, and the trip starts on a random past day, so the day's aggregates are its own:
...              the suite runs in parallel with others. Its dbt build of the platform-wide Silver and Gold
...              tables takes the platform's dbt lock, like the Airflow DAGs' builds, so none of them
...              writes a table while another does.

Resource         ../../resources/platform.resource
Resource         ../../resources/bi.resource

Suite Setup      Platform Suite Setup
Test Teardown    Platform Test Teardown

Test Tags        profile:core    profile:data-platform    profile:bi    area:bi


*** Test Cases ***
Operations Dashboard Shows The Gold Figures Of The Published Trip
    [Documentation]    One completed trip with its payment and one invalid record: the charts must show
    ...    1 completed trip, the payment's fare as revenue, 1 DLQ error and 1 trip in the pickup zone,
    ...    through the API and in the browser (the upstream project's Superset test queried columns
    ...    that did not exist; this one reads the figures the dashboard really renders).
    ${cid}=    New Correlation Id    dash
    ${trip}=    Publish Completed Trip With A DLQ Error    ${cid}
    Build Silver And Gold Layers
    ${figures}=    Expected Dashboard Figures    ${trip}
    Gold Row Count Should Be    fact_trips    ${cid}    1
    Charts Should Show Figures Through The API    ${cid}    ${figures}
    Dashboard Should Show Figures In The Browser    ${cid}    ${figures}

Operations Dashboard Has Its Four Charts
    [Documentation]    The dashboard provisioned as code holds exactly the four charts the tests address by name.
    Dashboard Should Exist    Operations
    Get Dashboard Chart Count    Operations    ==    ${4}
    VAR    @{charts}    Completed trips    Revenue    DLQ errors    Trips by zone
    FOR    ${chart}    IN    @{charts}
        Chart Should Exist    ${chart}    dashboard=Operations
    END
