"""The exceptions a call raises: the class Optimum would have raised, named by the server.

The server puts the Python exception class in the `reason` of a google.rpc.ErrorInfo carried by
the `grpc-status-details-bin` trailer. Builtin names (KeyError, ValueError, FileNotFoundError,
EnvironmentError, ConnectionError, ...) map to the builtins, so `except KeyError:` written
against Optimum keeps working. huggingface_hub's classes are mirrored here with its hierarchy
(huggingface_hub 0.2x), without importing it: `HfHubHTTPError` derives from requests'
`HTTPError`, an `OSError`, so it is an `OSError` here, and `GatedRepoError` is a
`RepositoryNotFoundError`. `except OSError:` catches every Hub error, as it does with Optimum;
`except huggingface_hub.errors.RepositoryNotFoundError:` does not (different class objects).

Every raised exception carries `grpc_code` (grpc.StatusCode), `reason` (str, "" when the server
sent none) and `error_metadata` (ErrorInfo.metadata: `argument`, `valid_choices`,
`did_you_mean`, `repo_id`, ...). A reason this module does not know, and failures with no
reason at all (server unreachable, deadline exceeded, ...), raise `TasksManagerError`.
"""

from __future__ import annotations

import builtins
from typing import Mapping, Optional

import grpc

from ._proto.google.rpc import error_details_pb2, status_pb2

_STATUS_DETAILS_KEY = "grpc-status-details-bin"
# The server packs google.rpc.ErrorInfo; the package compiles it under a private protobuf
# package (see setup.py), so it is recognised by this name rather than by its descriptor.
_ERROR_INFO_TYPE = "google.rpc.ErrorInfo"


class TasksManagerError(RuntimeError):
    """A failure with no Optimum exception to stand for it; `code` is the gRPC status code."""

    def __init__(self, message: str, code: grpc.StatusCode) -> None:
        super().__init__(message)
        self.code = code


class HfHubHTTPError(OSError):
    """huggingface_hub's base of Hub HTTP errors (a requests.HTTPError, hence an OSError)."""


class RepositoryNotFoundError(HfHubHTTPError):
    """The repo does not exist, or is private or gated and the token cannot see it."""


class GatedRepoError(RepositoryNotFoundError):
    """The repo is gated and the token has not been granted access."""


class DisabledRepoError(HfHubHTTPError):
    """The repo has been disabled on the Hub."""


class RevisionNotFoundError(HfHubHTTPError):
    """The branch, tag or commit does not exist in the repo."""


class EntryNotFoundError(HfHubHTTPError):
    """The file does not exist at that revision."""


class LocalEntryNotFoundError(EntryNotFoundError, FileNotFoundError, ValueError):
    """Offline, and the Hugging Face cache folder lacks the file."""


class HFValidationError(ValueError):
    """The repo id or revision is malformed."""


class Timeout(TimeoutError):
    """requests' Timeout: the Hub did not answer the server in time."""


class InvalidHeader(OSError, ValueError):
    """requests' InvalidHeader: the token cannot be sent as an HTTP header."""


class JSONDecodeError(OSError, ValueError):
    """requests' JSONDecodeError: the Hub's answer was not the JSON expected."""


class TooManyRedirects(OSError):
    """requests' TooManyRedirects."""


_HUB_CLASSES: dict[str, type[Exception]] = {
    cls.__name__: cls
    for cls in (
        HfHubHTTPError,
        RepositoryNotFoundError,
        GatedRepoError,
        DisabledRepoError,
        RevisionNotFoundError,
        EntryNotFoundError,
        LocalEntryNotFoundError,
        HFValidationError,
        Timeout,
        InvalidHeader,
        JSONDecodeError,
        TooManyRedirects,
    )
}


def exception_class(reason: str) -> Optional[type[Exception]]:
    """The class a reason names: one of ours, an `Exception` builtin, or None."""
    if reason in _HUB_CLASSES:
        return _HUB_CLASSES[reason]
    candidate = getattr(builtins, reason, None)
    if isinstance(candidate, type) and issubclass(candidate, Exception):
        return candidate
    return None


_CODES = {code.value[0]: code for code in grpc.StatusCode}


def _first_error_info(status: status_pb2.Status) -> Optional[error_details_pb2.ErrorInfo]:
    for detail in status.details:
        if detail.type_url.rpartition("/")[2] == _ERROR_INFO_TYPE:
            info: error_details_pb2.ErrorInfo = error_details_pb2.ErrorInfo.FromString(detail.value)
            return info
    return None


def _error_info(trailers: Optional[Mapping[str, bytes]]) -> Optional[error_details_pb2.ErrorInfo]:
    raw = (trailers or {}).get(_STATUS_DETAILS_KEY)
    if not raw:
        return None
    status = status_pb2.Status()
    try:
        status.ParseFromString(raw)
    except Exception:  # a malformed trailer must not hide the call's own error
        return None
    return _first_error_info(status)


def error_info_of(error: grpc.RpcError) -> Optional[error_details_pb2.ErrorInfo]:
    """The ErrorInfo the server attached to a failed call, if any."""
    trailing = getattr(error, "trailing_metadata", None)
    if not callable(trailing):
        return None
    # Key-value pairs: a tuple of them (grpc) or a grpc.aio.Metadata, which dict() misreads.
    return _error_info({key: value for key, value in trailing() or ()})


def _exception(
    code: grpc.StatusCode, message: str, info: Optional[error_details_pb2.ErrorInfo]
) -> Exception:
    reason = info.reason if info else ""
    cls = exception_class(reason) if reason else None
    exception: Exception = cls(message) if cls else TasksManagerError(
        f"{code.name}: {message}" + (f" (reason {reason})" if reason else ""), code
    )
    exception.grpc_code = code  # type: ignore[attr-defined]
    exception.reason = reason  # type: ignore[attr-defined]
    exception.error_metadata = dict(info.metadata) if info else {}  # type: ignore[attr-defined]
    return exception


def from_rpc_error(error: grpc.RpcError) -> Exception:
    """The exception to raise for a failed call, carrying the server's message."""
    code: grpc.StatusCode = error.code()
    return _exception(code, error.details() or code.name, error_info_of(error))


def from_status(status: status_pb2.Status) -> Exception:
    """The exception for an error sent inside a message (one item of a batch stream)."""
    code = _CODES.get(status.code, grpc.StatusCode.UNKNOWN)
    return _exception(code, status.message or code.name, _first_error_info(status))
