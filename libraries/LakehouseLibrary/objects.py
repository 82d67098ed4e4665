"""S3 bucket and object keywords."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator
from botocore.exceptions import BotoCoreError, ClientError
from robot.api import logger
from robot.api.deco import keyword

from lhcommon import masking as secrets
from lhkit import htmllog
from lhkit.assertions import get_and_verify, verify_list
from lhkit.target import require_test_environment

from .context import LakehouseComponent
from .engine import StorageUnavailable


def s3_error(action: str, error: Exception) -> Exception:
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "?")
        return AssertionError(secrets.mask(f"Could not {action}: {code}: {error}"))
    return StorageUnavailable(secrets.mask(f"Could not {action}: S3 endpoint not reachable: {error}"))


class ObjectKeywords(LakehouseComponent):
    @keyword(tags=("Lakehouse", "Getter"))
    def list_buckets(self) -> list[str]:
        """Returns the bucket names.

        | ${buckets}= | List Buckets |
        | Should Contain | ${buckets} | ${LH_TARGET}[buckets][bronze] |
        """
        try:
            names = sorted(b["Name"] for b in self.s3().list_buckets().get("Buckets", []))
        except (ClientError, BotoCoreError) as error:
            raise s3_error("list buckets", error) from None
        logger.info(f"Buckets: {', '.join(names) or 'none'}")
        return names

    @keyword(tags=("Lakehouse", "Setter"))
    def create_bucket(self, bucket: str, exist_ok: bool = True) -> None:
        """Creates ``bucket`` (no error if it exists and ``exist_ok``).

        | Create Bucket | scratch |
        """
        try:
            self.s3().create_bucket(Bucket=bucket)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if not (exist_ok and code in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists")):
                raise s3_error(f"create bucket '{bucket}'", error) from None
        except BotoCoreError as error:
            raise s3_error(f"create bucket '{bucket}'", error) from None

    @keyword(tags=("Lakehouse", "Getter"))
    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
        limit: int = 10_000,
    ) -> list[str]:
        """Returns the keys under ``prefix`` (at most ``limit``); optionally asserts the list.

        ``contains`` / ``not contains`` take one key or a list of keys. With ``retry_timeout`` the
        listing is read again until the assertion holds.

        | ${keys}= | List Objects | bronze | trips/_delta_log/ |
        | List Objects | bronze | trips/ | contains | trips/_delta_log/00000000000000000000.json |
        """

        def read() -> list[str]:
            keys = self._keys(bucket, prefix, limit)
            htmllog.log_table([{"key": k} for k in keys], caption=f"s3://{bucket}/{prefix}", level="DEBUG")
            logger.info(f"{len(keys)} object(s) under s3://{bucket}/{prefix}")
            return keys

        return get_and_verify(
            read, assertion_operator, assertion_expected, f"Objects under s3://{bucket}/{prefix}", message,
            retry_timeout, verify=verify_list,
        )

    @keyword(tags=("Lakehouse", "Setter"))
    def put_object(self, bucket: str, key: str, body: bytes | str, content_type: str | None = None) -> str:
        """Writes ``body`` (bytes, or text as UTF-8) to ``s3://bucket/key``; returns the ETag.

        | Put Object | bronze | fixtures/${cid}.json | {"a": 1} | content_type=application/json |
        """
        data = body.encode() if isinstance(body, str) else body
        extra = {"ContentType": content_type} if content_type else {}
        try:
            etag = self.s3().put_object(Bucket=bucket, Key=key, Body=data, **extra)["ETag"]
        except (ClientError, BotoCoreError) as error:
            raise s3_error(f"put s3://{bucket}/{key}", error) from None
        logger.info(f"Put {len(data)} bytes to s3://{bucket}/{key}")
        return str(etag)

    @keyword(tags=("Lakehouse", "Getter"))
    def get_object(self, bucket: str, key: str, as_text: bool = True) -> str | bytes:
        """Returns the content of ``s3://bucket/key`` (text, or bytes with ``as_text=False``).

        | ${text}= | Get Object | bronze | fixtures/${cid}.json |
        """
        try:
            data = self.s3().get_object(Bucket=bucket, Key=key)["Body"].read()
        except (ClientError, BotoCoreError) as error:
            raise s3_error(f"get s3://{bucket}/{key}", error) from None
        logger.info(f"Read {len(data)} bytes from s3://{bucket}/{key}")
        return data.decode("utf-8") if as_text else data

    @keyword(tags=("Lakehouse", "Assertion"))
    def object_should_exist(self, bucket: str, key: str, message: str | None = None) -> None:
        """Fails unless ``s3://bucket/key`` exists.

        | Object Should Exist | bronze | trips/_delta_log/00000000000000000000.json |
        """
        if not self._exists(bucket, key):
            raise AssertionError(message or f"Object s3://{bucket}/{key} should exist but does not")

    @keyword(tags=("Lakehouse", "Assertion"))
    def object_should_not_exist(self, bucket: str, key: str, message: str | None = None) -> None:
        """Fails if ``s3://bucket/key`` exists.

        | Object Should Not Exist | bronze | fixtures/${cid}.json |
        """
        if self._exists(bucket, key):
            raise AssertionError(message or f"Object s3://{bucket}/{key} should not exist but does")

    @keyword(tags=("Lakehouse", "Destructive"))
    def delete_objects_with_prefix(self, bucket: str, prefix: str) -> int:
        """Deletes every object under ``prefix``; returns how many. Destructive: test environments only.

        An empty prefix is refused (it would empty the bucket).

        | ${n}= | Delete Objects With Prefix | bronze | fixtures/${cid}/ |
        """
        if not prefix:
            raise ValueError("Refusing to delete with an empty prefix (that would empty the whole bucket)")
        require_test_environment(self.target, f"delete objects under s3://{bucket}/{prefix}")
        deleted = 0
        while True:
            keys = self._keys(bucket, prefix, 1000)
            if not keys:
                break
            try:
                self.s3().delete_objects(
                    Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True}
                )
            except (ClientError, BotoCoreError) as error:
                raise s3_error(f"delete objects under s3://{bucket}/{prefix}", error) from None
            deleted += len(keys)
        logger.info(f"Deleted {deleted} object(s) under s3://{bucket}/{prefix}")
        return deleted

    # --- helpers --------------------------------------------------------------------
    def _keys(self, bucket: str, prefix: str, limit: int) -> list[str]:
        keys: list[str] = []
        token: str | None = None
        try:
            while len(keys) < limit:
                args: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": min(1000, limit - len(keys))}
                if token:
                    args["ContinuationToken"] = token
                page = self.s3().list_objects_v2(**args)
                keys += [o["Key"] for o in page.get("Contents", [])]
                token = page.get("NextContinuationToken")
                if not page.get("IsTruncated") or not token:
                    break
        except (ClientError, BotoCoreError) as error:
            raise s3_error(f"list s3://{bucket}/{prefix}", error) from None
        return keys

    def _exists(self, bucket: str, key: str) -> bool:
        try:
            self.s3().head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise s3_error(f"check s3://{bucket}/{key}", error) from None
        except BotoCoreError as error:
            raise s3_error(f"check s3://{bucket}/{key}", error) from None
        return True
