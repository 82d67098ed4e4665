*** Settings ***
Documentation    The object store (SeaweedFS here) against the Amazon S3 API as documented: multipart
...              upload, presigned GET through plain HTTP, ListObjectsV2 pagination and refused
...              credentials. Every test writes under its own prefix of the target's Bronze bucket
...              (``_api/<correlation id>/``) and deletes it afterwards.
...
...              Docs: https://docs.aws.amazon.com/AmazonS3/latest/API/Welcome.html

Library          Collections
Library          RequestsLibrary
Library          EventLibrary
Library          LakehouseLibrary
Resource         ../../resources/platform.resource

Suite Setup      Platform Suite Setup
Test Teardown    Delete Test Prefix

Test Tags        profile:core    area:s3


*** Variables ***
${TEST_PREFIX}    ${EMPTY}


*** Test Cases ***
Multipart Upload Assembles The Parts In Order
    [Documentation]    CreateMultipartUpload, three UploadPart calls (5 MiB, 5 MiB, 1000 bytes) and
    ...    CompleteMultipartUpload give one object with the parts' bytes in order. Its ETag is S3's
    ...    multipart ETag: the MD5 of the part MD5s with the suffix ``-3`` (the number of parts), not the
    ...    MD5 of the content.
    ...    https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
    ...    https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
    ${bucket}    ${prefix}=    New Test Prefix
    ${upload}=    Upload Object In Parts    ${bucket}    ${prefix}big.bin    parts=3
    Should End With    ${upload}[etag]    -3
    Should Be Equal    ${upload}[etag]    ${upload}[expected_etag]
    ${stored}=    Get Object Digest    ${bucket}    ${prefix}big.bin
    Should Be Equal As Integers    ${stored}[size]    ${upload}[size]
    Should Be Equal    ${stored}[md5]    ${upload}[md5]
    Should Be Equal    ${stored}[etag]    ${upload}[etag]

Presigned GET Serves The Object Without Credentials
    [Documentation]    A SigV4 presigned URL lets a client with no credentials read the object with a plain
    ...    HTTP GET; the same URL without its signature is refused (403).
    ...    https://docs.aws.amazon.com/AmazonS3/latest/userguide/ShareObjectPreSignedURL.html
    [Tags]    smoke
    ${bucket}    ${prefix}=    New Test Prefix
    Put Object    ${bucket}    ${prefix}hello.txt    presigned hello ${prefix}
    ${url}=    Create Presigned Url    ${bucket}    ${prefix}hello.txt    expires=1 min
    ${response}=    GET    ${url}    expected_status=200
    Should Be Equal    ${response.text}    presigned hello ${prefix}
    ${unsigned}=    Evaluate    $url.split('?')[0]
    S3 Should Refuse    ${unsigned}    AccessDenied

Tampered Or Expired Presigned URL Is Refused
    [Documentation]    Changing one hex digit of ``X-Amz-Signature`` gives 403 ``SignatureDoesNotMatch``; a URL
    ...    used after ``X-Amz-Expires`` gives 403 ``AccessDenied`` ("Request has expired").
    ...    https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
    ${bucket}    ${prefix}=    New Test Prefix
    Put Object    ${bucket}    ${prefix}secret.txt    not for everyone
    ${url}=    Create Presigned Url    ${bucket}    ${prefix}secret.txt    expires=1 min
    ${tampered}=    Change Last Signature Digit    ${url}
    Should Not Be Equal    ${tampered}    ${url}
    S3 Should Refuse    ${tampered}    SignatureDoesNotMatch
    ${short}=    Create Presigned Url    ${bucket}    ${prefix}secret.txt    expires=1 s
    Sleep    2 s    reason=let the 1-second URL expire
    S3 Should Refuse    ${short}    AccessDenied

Listing Pages Return Every Key Exactly Once
    [Documentation]    ListObjectsV2 with ``MaxKeys=3`` over 7 keys: pages of 3, 3 and 1 keys, each truncated
    ...    page carrying a ``NextContinuationToken``; together they hold every key exactly once, in
    ...    UTF-8 binary order.
    ...    https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
    ${bucket}    ${prefix}=    New Test Prefix
    VAR    @{written}    @{EMPTY}
    FOR    ${i}    IN RANGE    7
        Put Object    ${bucket}    ${prefix}key-${i}.txt    ${i}
        Append To List    ${written}    ${prefix}key-${i}.txt
    END
    ${pages}=    List Object Pages    ${bucket}    ${prefix}    page_size=3
    ${sizes}=    Evaluate    [len(page) for page in $pages]
    Should Be Equal    ${sizes}    ${{ [3, 3, 1] }}
    ${listed}=    Evaluate    [key for page in $pages for key in page]
    Should Be Equal    ${listed}    ${written}
    List Should Not Contain Duplicates    ${listed}

Wrong Credentials Are Refused
    [Documentation]    A request signed with the right access key and a wrong secret gives 403
    ...    ``SignatureDoesNotMatch``; an unknown access key gives 403 ``InvalidAccessKeyId``. Neither value is
    ...    the target's secret.
    ...    https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
    VAR    ${bucket}    ${LH_TARGET}[buckets][bronze]
    ${error}=    Get S3 Error With Credentials    ${bucket}    ${LH_TARGET}[s3_access_key]    wrong-secret-for-test
    Should Be Equal As Integers    ${error}[status]    403
    Should Be Equal    ${error}[code]    SignatureDoesNotMatch
    ${error}=    Get S3 Error With Credentials    ${bucket}    NOSUCHACCESSKEY    wrong-secret-for-test
    Should Be Equal As Integers    ${error}[status]    403
    Should Be Equal    ${error}[code]    InvalidAccessKeyId


*** Keywords ***
New Test Prefix
    [Documentation]    The Bronze bucket of the target and a prefix unique to this test (deleted by the teardown).
    ${cid}=    New Correlation Id    ext-s3
    VAR    ${TEST_PREFIX}    _api/${cid}/    scope=TEST    # robocop: off=VAR06    (the teardown deletes it)
    RETURN    ${LH_TARGET}[buckets][bronze]    ${TEST_PREFIX}

S3 Should Refuse
    [Documentation]    A plain HTTP GET of ``url`` (no credentials) answers 403 with the S3 error ``code``.
    [Arguments]    ${url}    ${code}
    ${response}=    GET    ${url}    expected_status=403
    Should Contain    ${response.text}    <Code>${code}</Code>
    ...    msg=Expected S3 error ${code} for the URL, got: ${response.text}

Change Last Signature Digit
    [Documentation]    ``url`` with the last hex digit of ``X-Amz-Signature`` changed (0 becomes 1, others 0).
    [Arguments]    ${url}
    Should Match Regexp    ${url}    X-Amz-Signature=[0-9a-f]+$    msg=Not a SigV4 presigned URL: ${url}
    IF    $url.endswith('0')    RETURN    ${url}[:-1]1
    RETURN    ${url}[:-1]0

Delete Test Prefix
    [Documentation]    Test teardown: the platform's failure hook, then every object under the test's prefix.
    Platform Test Teardown
    IF    $TEST_PREFIX
        Delete Objects With Prefix    ${LH_TARGET}[buckets][bronze]    ${TEST_PREFIX}
    END
