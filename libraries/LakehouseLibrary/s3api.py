"""S3 API keywords beyond put/get: multipart uploads, presigned URLs, listing page by page, refused credentials.

These exist for the API compatibility suite (``suites/05_external_integrations/s3_api.robot``):
each keyword exposes one S3 feature as the S3 API documents it, so the suite can check the
object store behaves like S3, not only that the lakehouse's own reads and writes work.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from robot.api import logger
from robot.api.deco import keyword

from lhcommon import masking as secrets
from lhkit import htmllog
from lhkit.polling import to_seconds
from lhkit.target import Target

from .context import LakehouseComponent
from .objects import s3_error

MIN_PART_SIZE = 5 * 1024 * 1024  # S3: every part but the last is at least 5 MiB


def part_bytes(key: str, number: int, size: int) -> bytes:
    """Deterministic content of part ``number`` (1-based) of ``key``: a repeated 32-byte digest."""
    block = hashlib.sha256(f"{key}#{number}".encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def multipart_etag(part_md5s: list[bytes]) -> str:
    """S3's ETag of a multipart object: MD5 of the concatenated binary part MD5s, then ``-<parts>``."""
    return f"{hashlib.md5(b''.join(part_md5s)).hexdigest()}-{len(part_md5s)}"


def _client(target: Target, signature_v4: bool = True, **overrides: Any) -> Any:
    import boto3
    from botocore.config import Config

    from contract.storage import boto3_client_kwargs

    secrets.quiet_client_loggers()
    return boto3.client(
        "s3",
        **{**boto3_client_kwargs(target), **overrides},
        config=Config(
            signature_version="s3v4" if signature_v4 else None,
            connect_timeout=3,
            read_timeout=15,
            retries={"max_attempts": 1, "mode": "standard"},
            s3={"addressing_style": "path"},
        ),
    )


class S3ApiKeywords(LakehouseComponent):
    def _v4(self) -> Any:
        # Presigned URLs must be SigV4 (boto3 presigns SigV2 for a client without a signature version).
        return self.ctx.resource("s3v4", lambda: _client(self.target))

    @keyword(tags=("Lakehouse", "Setter"))
    def upload_object_in_parts(
        self, bucket: str, key: str, parts: int = 3, part_size: int = MIN_PART_SIZE, last_part_size: int = 1000
    ) -> dict[str, Any]:
        """Uploads ``s3://bucket/key`` as a multipart upload (create, upload ``parts`` parts, complete).

        Every part but the last has ``part_size`` bytes (S3's minimum is 5 MiB); the last has
        ``last_part_size``. The content is deterministic. Returns ``etag`` (the server's, quotes
        removed), ``expected_etag`` (S3's rule: MD5 of the part MD5s, ``-<parts>``), ``parts``,
        ``size`` and ``md5`` (of the whole content). An upload that fails is aborted.

        | ${upload}= | Upload Object In Parts | bronze | _api/${cid}/big.bin | parts=3 |
        | Should Be Equal | ${upload}[etag] | ${upload}[expected_etag] |
        """
        if parts < 1:
            raise ValueError(f"parts must be at least 1, got {parts}")
        s3 = self._v4()
        try:
            upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        except (ClientError, BotoCoreError) as error:
            raise s3_error(f"start a multipart upload of s3://{bucket}/{key}", error) from None
        done: list[dict[str, Any]] = []
        md5s: list[bytes] = []
        whole = hashlib.md5()
        size = 0
        try:
            for number in range(1, parts + 1):
                body = part_bytes(key, number, part_size if number < parts else last_part_size)
                answer = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body)
                done.append({"ETag": answer["ETag"], "PartNumber": number})
                md5s.append(hashlib.md5(body).digest())
                whole.update(body)
                size += len(body)
            result = s3.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": done}
            )
        except (ClientError, BotoCoreError) as error:
            try:
                s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
            except (ClientError, BotoCoreError):
                pass
            raise s3_error(f"upload s3://{bucket}/{key} in {parts} parts", error) from None
        info = {
            "etag": str(result.get("ETag", "")).strip('"'),
            "expected_etag": multipart_etag(md5s),
            "parts": parts,
            "size": size,
            "md5": whole.hexdigest(),
        }
        htmllog.log_table([{"part": p["PartNumber"], "etag": p["ETag"]} for p in done], caption=f"Parts of {key}")
        logger.info(f"Uploaded s3://{bucket}/{key} in {parts} parts, {size} bytes, ETag {info['etag']}")
        return info

    @keyword(tags=("Lakehouse", "Getter"))
    def get_object_digest(self, bucket: str, key: str) -> dict[str, Any]:
        """Returns ``size``, ``md5`` (of the content, read in chunks) and ``etag`` (quotes removed) of an object.

        | ${digest}= | Get Object Digest | bronze | _api/${cid}/big.bin |
        | Should Be Equal | ${digest}[md5] | ${upload}[md5] |
        """
        try:
            answer = self._v4().get_object(Bucket=bucket, Key=key)
            md5 = hashlib.md5()
            size = 0
            for chunk in answer["Body"].iter_chunks(1024 * 1024):
                md5.update(chunk)
                size += len(chunk)
        except (ClientError, BotoCoreError) as error:
            raise s3_error(f"read s3://{bucket}/{key}", error) from None
        info = {"size": size, "md5": md5.hexdigest(), "etag": str(answer.get("ETag", "")).strip('"')}
        logger.info(f"s3://{bucket}/{key}: {size} bytes, MD5 {info['md5']}, ETag {info['etag']}")
        return info

    @keyword(tags=("Lakehouse", "Getter"))
    def create_presigned_url(self, bucket: str, key: str, expires: timedelta = timedelta(seconds=60)) -> str:
        """Returns a SigV4 presigned GET URL of ``s3://bucket/key``, valid for ``expires`` (whole seconds).

        Anyone holding the URL can read the object until it expires: keep ``expires`` short. The
        URL carries the access key id and a signature, never the secret key.

        | ${url}= | Create Presigned Url | bronze | _api/${cid}/hello.txt | expires=1 min |
        | ${response}= | GET | ${url} | expected_status=200 |
        """
        seconds = max(1, int(to_seconds(expires, 60)))
        try:
            url = self._v4().generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=seconds
            )
        except (ClientError, BotoCoreError) as error:
            raise s3_error(f"presign s3://{bucket}/{key}", error) from None
        logger.info(f"Presigned GET of s3://{bucket}/{key}, valid {seconds} s")
        return str(url)

    @keyword(tags=("Lakehouse", "Getter"))
    def list_object_pages(self, bucket: str, prefix: str, page_size: int) -> list[list[str]]:
        """Lists ``prefix`` with ListObjectsV2 ``MaxKeys=page_size``, following ``NextContinuationToken``
        until ``IsTruncated`` is false; returns the keys page by page.

        Fails if a truncated page has no continuation token, or if the listing does not end
        within 1000 pages.

        | ${pages}= | List Object Pages | bronze | _api/${cid}/ | 3 |
        | Length Should Be | ${pages} | 3 |
        """
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        pages: list[list[str]] = []
        rows: list[dict[str, Any]] = []
        token: str | None = None
        try:
            for _ in range(1000):
                args: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": page_size}
                if token:
                    args["ContinuationToken"] = token
                page = self.s3().list_objects_v2(**args)
                keys = [o["Key"] for o in page.get("Contents", [])]
                pages.append(keys)
                rows.append({"page": len(pages), "keys": len(keys), "truncated": page.get("IsTruncated")})
                if not page.get("IsTruncated"):
                    break
                token = page.get("NextContinuationToken")
                if not token:
                    raise AssertionError(
                        f"Page {len(pages)} of s3://{bucket}/{prefix} is truncated but has no NextContinuationToken"
                    )
            else:
                raise AssertionError(f"Listing s3://{bucket}/{prefix} did not end within 1000 pages")
        except (ClientError, BotoCoreError) as error:
            raise s3_error(f"list s3://{bucket}/{prefix}", error) from None
        htmllog.log_table(rows, ["page", "keys", "truncated"], caption=f"s3://{bucket}/{prefix}, MaxKeys={page_size}")
        return pages

    @keyword(tags=("Lakehouse", "Getter"))
    def get_s3_error_with_credentials(
        self, bucket: str, access_key: str, secret_key: str, prefix: str = ""
    ) -> dict[str, Any]:
        """Lists ``bucket`` signed with the given credentials instead of the target's; returns the
        answer's ``status`` (HTTP) and error ``code`` and ``message`` (``code`` is empty on success).

        For checks that the store refuses bad credentials; never pass the target's real secret.

        | ${error}= | Get S3 Error With Credentials | bronze | ${access_key} | not-the-secret |
        | Should Be Equal | ${error}[code] | SignatureDoesNotMatch |
        """
        secrets.register(secret_key)
        s3 = _client(self.target, aws_access_key_id=access_key, aws_secret_access_key=secret_key)
        try:
            answer = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
        except ClientError as error:
            detail = error.response.get("Error", {})
            result = {
                "status": int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)),
                "code": str(detail.get("Code", "")),
                "message": secrets.mask(detail.get("Message", "")),
            }
        except BotoCoreError as error:
            raise s3_error(f"list s3://{bucket}", error) from None
        else:
            result = {"status": int(answer["ResponseMetadata"]["HTTPStatusCode"]), "code": "", "message": ""}
        logger.info(f"ListObjectsV2 on '{bucket}' as '{access_key}': HTTP {result['status']} {result['code']}")
        return result
