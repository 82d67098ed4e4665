"""LakehouseLibrary's S3 API keywords (multipart, presign, pages, refused credentials) against the REAL store."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests

from LakehouseLibrary import LakehouseLibrary
from lhkit import target as lh_target

pytestmark = pytest.mark.profiles("core")


def kw(lib: LakehouseLibrary, name: str, *args: object, **kwargs: object) -> Any:
    return lib.run_keyword(name.lower().replace(" ", "_"), list(args), kwargs)


@pytest.fixture
def place() -> Iterator[tuple[LakehouseLibrary, str, str]]:
    """(library, bronze bucket, a prefix of this test), emptied afterwards."""
    lib = LakehouseLibrary()
    bucket = lh_target.current().bucket("bronze")
    prefix = f"_api_it/{uuid.uuid4().hex[:10]}/"
    yield lib, bucket, prefix
    kw(lib, "Delete Objects With Prefix", bucket, prefix)
    lib.close()


def test_multipart_upload_etag_and_content(place: tuple[LakehouseLibrary, str, str]) -> None:
    lib, bucket, prefix = place
    info = kw(lib, "Upload Object In Parts", bucket, f"{prefix}big.bin", parts=2)
    assert info["etag"] == info["expected_etag"] and info["etag"].endswith("-2")
    digest = kw(lib, "Get Object Digest", bucket, f"{prefix}big.bin")
    assert (digest["size"], digest["md5"], digest["etag"]) == (info["size"], info["md5"], info["etag"])


def test_presigned_url_reads_without_credentials_and_expires(place: tuple[LakehouseLibrary, str, str]) -> None:
    lib, bucket, prefix = place
    kw(lib, "Put Object", bucket, f"{prefix}a.txt", "hello")
    url = kw(lib, "Create Presigned Url", bucket, f"{prefix}a.txt", expires=timedelta(seconds=1))
    assert "X-Amz-Signature=" in url and lh_target.current().s3_secret_key not in url
    assert requests.get(url, timeout=5).text == "hello"
    time.sleep(2)
    assert requests.get(url, timeout=5).status_code == 403


def test_list_object_pages_follow_continuation_tokens(place: tuple[LakehouseLibrary, str, str]) -> None:
    lib, bucket, prefix = place
    keys = [f"{prefix}{i}" for i in range(5)]
    for key in keys:
        kw(lib, "Put Object", bucket, key, "x")
    pages = kw(lib, "List Object Pages", bucket, prefix, 2)
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [k for p in pages for k in p] == keys


def test_wrong_credentials_give_the_s3_error_codes() -> None:
    lib = LakehouseLibrary()
    t = lh_target.current()
    wrong_secret = kw(lib, "Get S3 Error With Credentials", t.bucket("bronze"), t.s3_access_key, "not-the-secret")
    unknown_key = kw(lib, "Get S3 Error With Credentials", t.bucket("bronze"), "NOSUCHKEY", "not-the-secret")
    assert (wrong_secret["status"], wrong_secret["code"]) == (403, "SignatureDoesNotMatch")
    assert (unknown_key["status"], unknown_key["code"]) == (403, "InvalidAccessKeyId")
    right = kw(lib, "Get S3 Error With Credentials", t.bucket("bronze"), t.s3_access_key, t.s3_secret_key)
    assert right == {"status": 200, "code": "", "message": ""}
