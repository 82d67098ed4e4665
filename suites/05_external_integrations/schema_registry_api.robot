*** Settings ***
Documentation    The schema registry (Apicurio 3.3, ``/apis/ccompat/v7``) against Confluent's documented
...              REST API: compatibility levels per subject, soft and permanent deletes, and the errors
...              clients rely on. The project's schemas are JSON Schema with a closed content model
...              (``additionalProperties: false``); the expected verdicts are Confluent's JSON Schema
...              rules for that model. Every test works on its own subjects (a correlation id in the
...              name, so pabot workers never collide) and deletes it, permanently, afterwards.
...
...              Docs: https://docs.confluent.io/platform/current/schema-registry/develop/api.html
...              https://docs.confluent.io/platform/current/schema-registry/fundamentals/schema-evolution.html
...              https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/serdes-json.html

Library          Collections
Library          RequestsLibrary
Library          EventLibrary
Library          SchemaRegistryLibrary
Resource         ../../resources/platform.resource

Suite Setup      Platform Suite Setup
Test Teardown    Delete Test Subject

Test Tags        profile:core    area:schema-registry


*** Variables ***
${CONTRACT_SCHEMA}    ${CURDIR}/../../contract/schemas/rating_event.json
${TEST_SUBJECT}       ${EMPTY}


*** Test Cases ***
Backward Accepts A New Optional Field
    [Documentation]    BACKWARD: consumers on the new schema read data written with the last one, so a new
    ...    optional field (with a default) is compatible and registers as version 2.
    ...    https://docs.confluent.io/platform/current/schema-registry/fundamentals/schema-evolution.html
    [Tags]    smoke
    ${subject}=    New Subject With Contract Schema    BACKWARD
    ${next}=    Evolve Schema    ${CONTRACT_SCHEMA}    add optional field    ext_note
    Compatibility Verdict Should Be    ${subject}    ${next}    ${True}
    Register Schema    ${subject}    ${next}
    List Schema Versions    ${subject}    ==    ${{ [1, 2] }}

Backward Rejects A New Required Field
    [Documentation]    BACKWARD: data written with the last schema lacks a new required field, so the check
    ...    answers ``is_compatible: false`` and registering answers HTTP 409 (Confluent's
    ...    "Schema being registered is incompatible with an earlier schema"); the subject keeps one version.
    ...    https://docs.confluent.io/platform/current/schema-registry/develop/api.html#post--subjects-(string-%20subject)-versions
    ${subject}=    New Subject With Contract Schema    BACKWARD
    ${next}=    Evolve Schema    ${CONTRACT_SCHEMA}    add required field    ext_mandatory
    Compatibility Verdict Should Be    ${subject}    ${next}    ${False}
    VAR    &{body}    schemaType=JSON    schema=${{ json.dumps($next) }}
    ${response}=    Registry Request    POST    /subjects/${subject}/versions    409    json=${body}
    Should Be Equal As Integers    ${response.json()}[error_code]    409
    List Schema Versions    ${subject}    ==    ${{ [1] }}

Backward Rejects Deleting A Field Of A Closed Schema
    [Documentation]    Confluent's JSON Schema rules: in a closed content model a removed property makes old
    ...    data invalid for the new schema, so deleting even an optional field is not BACKWARD compatible
    ...    (Avro would allow it; the project's schemas are closed JSON Schema).
    ...    https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/serdes-json.html
    ${subject}=    New Subject With Contract Schema    BACKWARD
    ${next}=    Evolve Schema    ${CONTRACT_SCHEMA}    delete optional field    comment
    Compatibility Verdict Should Be    ${subject}    ${next}    ${False}

Forward Accepts Deleting An Optional Field And Rejects Adding One
    [Documentation]    FORWARD: consumers on the last schema read data written with the new one. Deleting an
    ...    optional field is compatible; adding a field, optional or required, is not for a closed schema
    ...    (old readers refuse the unknown property).
    ...    https://docs.confluent.io/platform/current/schema-registry/fundamentals/schema-evolution.html
    ...    https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/serdes-json.html
    ${subject}=    New Subject With Contract Schema    FORWARD
    Get Compatibility    ${subject}    ==    FORWARD
    ${deleted}=    Evolve Schema    ${CONTRACT_SCHEMA}    delete optional field    comment
    ${optional}=    Evolve Schema    ${CONTRACT_SCHEMA}    add optional field    ext_note
    ${required}=    Evolve Schema    ${CONTRACT_SCHEMA}    add required field    ext_mandatory
    Compatibility Verdict Should Be    ${subject}    ${deleted}    ${True}
    Compatibility Verdict Should Be    ${subject}    ${optional}    ${False}
    Compatibility Verdict Should Be    ${subject}    ${required}    ${False}
    Register Schema    ${subject}    ${deleted}
    List Schema Versions    ${subject}    ==    ${{ [1, 2] }}

Full Accepts Only Changes Both Ways Compatible
    [Documentation]    FULL = BACKWARD and FORWARD. For a closed JSON schema neither adding nor deleting an
    ...    optional field qualifies (Confluent: use a partially open content model for that); a change
    ...    that leaves valid data unchanged, here the description, is compatible.
    ...    https://docs.confluent.io/platform/current/schema-registry/fundamentals/schema-evolution.html
    ...    https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/serdes-json.html
    ${subject}=    New Subject With Contract Schema    FULL
    Get Compatibility    ${subject}    ==    FULL
    ${documented}=    Evolve Schema    ${CONTRACT_SCHEMA}    change description    reviewed
    ${optional}=    Evolve Schema    ${CONTRACT_SCHEMA}    add optional field    ext_note
    ${deleted}=    Evolve Schema    ${CONTRACT_SCHEMA}    delete optional field    comment
    Compatibility Verdict Should Be    ${subject}    ${documented}    ${True}
    Compatibility Verdict Should Be    ${subject}    ${optional}    ${False}
    Compatibility Verdict Should Be    ${subject}    ${deleted}    ${False}

Soft Delete Hides A Subject That Deleted=true Still Lists
    [Documentation]    ``DELETE /subjects/{s}`` soft deletes: the answer lists the deleted versions, the
    ...    subject disappears from ``GET /subjects`` and its versions give 40401, while ``?deleted=true``
    ...    still lists both. Deleting it softly again gives 40404 (soft deleted already).
    ...    https://docs.confluent.io/platform/current/schema-registry/schema-deletion-guidelines.html
    ${subject}=    New Subject With Contract Schema    BACKWARD
    ${response}=    Registry Request    DELETE    /subjects/${subject}    200
    Should Be Equal    ${response.json()}    ${{ [1] }}
    ${listed}=    Registry Request    GET    /subjects    200
    Should Not Contain    ${listed.json()}    ${subject}
    ${listed}=    Registry Request    GET    /subjects    200    params=deleted=true
    Should Contain    ${listed.json()}    ${subject}
    Registry Error Should Be    GET    /subjects/${subject}/versions    404    40401
    ${versions}=    Registry Request    GET    /subjects/${subject}/versions    200    params=deleted=true
    Should Be Equal    ${versions.json()}    ${{ [1] }}
    Registry Error Should Be    DELETE    /subjects/${subject}    404    40404

Permanent Delete Only After A Soft Delete
    [Documentation]    ``?permanent=true`` on a live subject is refused with error code 40405 ("not deleted
    ...    first"); after a soft delete it removes the subject for good: ``?deleted=true`` no longer lists
    ...    it and any further delete gives 40401. Apicurio answers the 40405 refusal with HTTP 409 where
    ...    Confluent's server answers 404; the documented contract is the error code, which is asserted
    ...    (with any 4xx status).
    ...    https://docs.confluent.io/platform/current/schema-registry/schema-deletion-guidelines.html
    ${subject}=    New Subject With Contract Schema    BACKWARD
    Registry Error Should Be    DELETE    /subjects/${subject}    4xx    40405    params=permanent=true
    List Schema Versions    ${subject}    ==    ${{ [1] }}
    Registry Request    DELETE    /subjects/${subject}    200
    ${response}=    Registry Request    DELETE    /subjects/${subject}    200    params=permanent=true
    Should Be Equal    ${response.json()}    ${{ [1] }}
    ${listed}=    Registry Request    GET    /subjects    200    params=deleted=true
    Should Not Contain    ${listed.json()}    ${subject}
    Registry Error Should Be    DELETE    /subjects/${subject}    404    40401    params=permanent=true

Unknown Subject Gives A Clear Error
    [Documentation]    A subject that was never registered: its versions, its latest version and a delete
    ...    each answer HTTP 404 with ``error_code`` 40401 and a message naming the subject.
    ...    https://docs.confluent.io/platform/current/schema-registry/develop/api.html#subjects
    [Tags]    smoke
    ${cid}=    New Correlation Id    ext-none
    VAR    ${subject}    ${cid}-value
    ${body}=    Registry Error Should Be    GET    /subjects/${subject}/versions    404    40401
    Should Contain    ${body}[message]    ${subject}
    Registry Error Should Be    GET    /subjects/${subject}/versions/latest    404    40401
    Registry Error Should Be    DELETE    /subjects/${subject}    404    40401
    Subject Should Not Exist    ${subject}


*** Keywords ***
New Subject With Contract Schema
    [Documentation]    A fresh subject (removed by the test teardown) with its own compatibility level and
    ...    the contract's rating schema as version 1.
    [Arguments]    ${level}
    ${cid}=    New Correlation Id    ext-sr
    VAR    ${subject}    ${cid}-value
    VAR    ${TEST_SUBJECT}    ${subject}    scope=TEST    # robocop: off=VAR06    (the teardown deletes it)
    Set Compatibility    ${level}    ${subject}
    Register Schema    ${subject}    ${CONTRACT_SCHEMA}
    List Schema Versions    ${subject}    ==    ${{ [1] }}
    RETURN    ${subject}

Compatibility Verdict Should Be
    [Documentation]    ``POST /compatibility/subjects/{s}/versions/latest`` answers 200 with ``is_compatible``
    ...    equal to ``expected`` (nothing is registered).
    [Arguments]    ${subject}    ${schema}    ${expected}
    VAR    &{body}    schemaType=JSON    schema=${{ json.dumps($schema) }}
    ${response}=    Registry Request
    ...    POST
    ...    /compatibility/subjects/${subject}/versions/latest
    ...    200
    ...    json=${body}
    Should Be Equal    ${response.json()}[is_compatible]    ${expected}
    ...    msg=${subject}: expected is_compatible=${expected}, the registry answered ${response.json()}

Registry Error Should Be
    [Documentation]    ``method path`` answers HTTP ``status`` (a number, or ``4xx`` for any client error) with
    ...    the Confluent ``error_code``; returns the error body.
    [Arguments]    ${method}    ${path}    ${status}    ${error_code}    ${params}=${None}
    ${expected}=    Set Variable If    '${status}' == '4xx'    any    ${status}
    ${response}=    Registry Request    ${method}    ${path}    ${expected}    params=${params}
    IF    '${status}' == '4xx'
        Should Be True    400 <= ${response.status_code} < 500
        ...    msg=${method} ${path}: expected a 4xx client error, got HTTP ${response.status_code}
    END
    Should Be Equal As Integers    ${response.json()}[error_code]    ${error_code}
    ...    msg=${method} ${path}: expected error_code ${error_code}, got ${response.json()}
    RETURN    ${response.json()}

Registry Request
    [Documentation]    One raw HTTP call to the registry's Confluent API root (``schema_registry_url`` of the
    ...    target); fails unless the answer has ``expected_status`` (a number or ``any``).
    [Arguments]    ${method}    ${path}    ${expected_status}    ${json}=${None}    ${params}=${None}
    ${response}=    Run Keyword    ${method}    ${LH_TARGET}[schema_registry_url]${path}
    ...    json=${json}    params=${params}    expected_status=${expected_status}
    RETURN    ${response}

Delete Test Subject
    [Documentation]    Test teardown: the platform's failure hook, then a permanent delete of the test's subject
    ...    (soft first, as the API requires); a subject already gone is fine.
    Platform Test Teardown
    IF    not $TEST_SUBJECT    RETURN
    ${versions}=    Registry Request    GET    /subjects/${TEST_SUBJECT}/versions    any    params=deleted=true
    IF    ${versions.status_code} == 200
        Registry Request    DELETE    /subjects/${TEST_SUBJECT}    any
        Registry Request    DELETE    /subjects/${TEST_SUBJECT}    200    params=permanent=true
    END
