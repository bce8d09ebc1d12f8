"""The error hierarchy every service raises, and its mapping to gRPC (DESIGN §8).

An error names the rule it enforces (a seed article or a design rule), carries an
English and a Chinese reason, and optionally the request field at fault. The error
interceptor turns it into a gRPC status with a google.rpc.Status detail (ErrorInfo).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LiuhenError(Exception):
    """Base class: `reason` is a stable UPPER_SNAKE code, `article` the rule applied."""

    reason: str
    message: str
    message_zh: str = ""
    article: str = ""
    field: str = ""

    code = "UNKNOWN"  # the gRPC status name; the interceptor maps it (no grpc import here)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        text = self.message
        if self.message_zh:
            text = f"{text} / {self.message_zh}"
        if self.article:
            text = f"{text} ({self.article})"
        return text


class InvalidArgument(LiuhenError):
    code = "INVALID_ARGUMENT"


class NotFound(LiuhenError):
    """Also the answer for another tenant's ids: never reveal that they exist."""

    code = "NOT_FOUND"


class FailedPrecondition(LiuhenError):
    code = "FAILED_PRECONDITION"


class PermissionDenied(LiuhenError):
    code = "PERMISSION_DENIED"


class Unauthenticated(LiuhenError):
    code = "UNAUTHENTICATED"


class AlreadyExists(LiuhenError):
    code = "ALREADY_EXISTS"


class Unavailable(LiuhenError):
    code = "UNAVAILABLE"


class Cancelled(LiuhenError):
    """The call ended while the servicer still read its request stream."""

    code = "CANCELLED"


class ResourceExhausted(LiuhenError):
    """A limit that keeps one caller from starving the others (the field names it)."""

    code = "RESOURCE_EXHAUSTED"


class DeadlineExceeded(LiuhenError):
    code = "DEADLINE_EXCEEDED"


class Aborted(LiuhenError):
    """The resource changed under a sequence of calls (a page token of a version that is
    gone): the caller starts again from the first call."""

    code = "ABORTED"


def require(value: object, field: str, what: str = "", article: str = "") -> None:
    """Refuse an empty required field with INVALID_ARGUMENT naming it."""
    if value in (None, "", 0) or (isinstance(value, list | tuple) and not value):
        raise InvalidArgument(
            "MISSING_FIELD",
            f"{field} is required{': ' + what if what else ''}",
            f"缺少必填项 {field}",
            article=article,
            field=field,
        )


def not_found(kind: str, name: str) -> NotFound:
    return NotFound("NOT_FOUND", f"{kind} {name} not found", f"未找到{kind} {name}", field="name")
