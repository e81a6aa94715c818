"""What the blocking and asyncio clients share: settings from arguments and the environment,
TLS credentials, the service's method table, call metadata and the retry policy.

Environment (used when the argument is not given):
  TASKS_MANAGER_ADDRESS       host:port or unix:path (default 127.0.0.1:50051)
  HF_TOKEN                    the Hub token, sent as `authorization: Bearer` metadata
  TASKS_MANAGER_TLS_CA        PEM CA bundle that signed the server's certificate: use TLS
  TASKS_MANAGER_TLS_CERT      PEM client certificate, for a server requiring mutual TLS
  TASKS_MANAGER_TLS_KEY       PEM private key of the client certificate
  TASKS_MANAGER_TLS_SERVER_NAME  the name the server's certificate must carry, when the
                              address does not name it (an IP address)

The Optimum generation that answers is chosen by the `optimum-version` metadata of each call:
by default the version of the `optimum` distribution installed next to the client, so a worker
gets the answers of the Optimum it runs (see `installed_optimum_version`).
"""

from __future__ import annotations

import importlib.metadata
import os
import random
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

import grpc

from ._calls import Token
from ._proto.optimum.tasks.v1 import tasks_manager_pb2 as pb
from .errors import error_info_of

DEFAULT_ADDRESS = "127.0.0.1:50051"
OPTIMUM_VERSION_KEY = "optimum-version"
_SERVICE = pb.DESCRIPTOR.services_by_name["TasksManager"]


@dataclass(frozen=True)
class RetryPolicy:
    """Only UNAVAILABLE from the transport is retried, with exponential backoff and full jitter,
    within the call's deadline. UNAVAILABLE carrying the server's ErrorInfo (the Hub unreachable)
    is not: the server has already retried the Hub within its own budget."""

    max_attempts: int
    initial_backoff: float
    max_backoff: float

    def delay(self, error: grpc.RpcError, attempt: int, deadline_at: float) -> Optional[float]:
        """Seconds to wait before attempt `attempt + 1`, or None: the call fails with `error`."""
        backoff = random.uniform(0, min(self.max_backoff, self.initial_backoff * 2 ** (attempt - 1)))
        retry = (
            error.code() == grpc.StatusCode.UNAVAILABLE
            and error_info_of(error) is None
            and attempt < self.max_attempts
            and time.monotonic() + backoff < deadline_at
        )
        return backoff if retry else None


def _read(path: Optional[str]) -> Optional[bytes]:
    if path is None:
        return None
    with open(path, "rb") as pem:
        return pem.read()


def tls_settings(
    tls_ca: Optional[str],
    tls_cert: Optional[str],
    tls_key: Optional[str],
    tls_server_name: Optional[str],
) -> tuple[Optional[grpc.ChannelCredentials], list[tuple[str, Any]]]:
    """TLS credentials (None: plaintext) and the channel options TLS needs. Arguments default to
    TASKS_MANAGER_TLS_*, and are checked as tasks-cli checks its --tls_* flags."""
    tls_ca = tls_ca or os.environ.get("TASKS_MANAGER_TLS_CA") or None
    tls_cert = tls_cert or os.environ.get("TASKS_MANAGER_TLS_CERT") or None
    tls_key = tls_key or os.environ.get("TASKS_MANAGER_TLS_KEY") or None
    tls_server_name = tls_server_name or os.environ.get("TASKS_MANAGER_TLS_SERVER_NAME") or None
    if (tls_cert is None) != (tls_key is None):
        raise ValueError("tls_cert and tls_key go together: a client certificate and its key")
    if tls_ca is None:
        if tls_cert is not None or tls_server_name is not None:
            raise ValueError("tls_cert and tls_server_name need tls_ca, the CA of the server")
        return None, []
    options = [("grpc.ssl_target_name_override", tls_server_name)] if tls_server_name else []
    credentials = grpc.ssl_channel_credentials(
        root_certificates=_read(tls_ca), private_key=_read(tls_key),
        certificate_chain=_read(tls_cert),
    )
    return credentials, options


def installed_optimum_version() -> str:
    """The version of the `optimum` distribution this interpreter would import, or "" when it
    has none (then the server's default generation answers)."""
    try:
        return importlib.metadata.version("optimum")
    except importlib.metadata.PackageNotFoundError:
        return ""


class ClientBase:
    """Settings and channel of a client; subclasses say how to open a channel and send."""

    # staticmethod(grpc.insecure_channel) and (grpc.secure_channel), or grpc.aio's.
    _insecure_channel: Callable[..., Any]
    _secure_channel: Callable[..., Any]

    def __init__(
        self,
        address: Optional[str] = None,
        *,
        token: Optional[str] = None,
        deadline: float = 30.0,
        max_attempts: int = 4,
        initial_backoff: float = 0.1,
        max_backoff: float = 2.0,
        tls_ca: Optional[str] = None,
        tls_cert: Optional[str] = None,
        tls_key: Optional[str] = None,
        tls_server_name: Optional[str] = None,
        credentials: Optional[grpc.ChannelCredentials] = None,
        channel_options: Sequence[tuple[str, Any]] = (),
        optimum_version: Optional[str] = None,
    ) -> None:
        """
        address: host:port or unix:path; default $TASKS_MANAGER_ADDRESS, then 127.0.0.1:50051.
        token: the Hub token sent as `authorization: Bearer` metadata; default $HF_TOKEN.
        deadline: seconds one method call may take, retries included.
        max_attempts: attempts per call; only UNAVAILABLE from the transport is retried, with
          exponential backoff and full jitter, within the deadline.
        tls_ca: PEM CA bundle that signed the server's certificate: use TLS (default
          $TASKS_MANAGER_TLS_CA; plaintext when neither is set, for a sidecar on localhost).
        tls_cert, tls_key: PEM client certificate and key, for mutual TLS.
        tls_server_name: the name the server's certificate must carry when the address does
          not name it (an IP address).
        credentials: other channel credentials (instead of tls_*).
        optimum_version: the Optimum generation that answers, sent as `optimum-version` metadata
          on every call: a generation ("2.1"), a full Optimum version ("2.1.0") or "latest".
          Default: the version of the installed `optimum` distribution, if any. "" sends none:
          the server's default generation answers.
        """
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.address = address or os.environ.get("TASKS_MANAGER_ADDRESS") or DEFAULT_ADDRESS
        self._token = token if token is not None else os.environ.get("HF_TOKEN")
        self._deadline = deadline
        self._retry = RetryPolicy(max_attempts, initial_backoff, max_backoff)
        self.optimum_version = (
            optimum_version if optimum_version is not None else installed_optimum_version()
        )
        tls_credentials, tls_options = tls_settings(tls_ca, tls_cert, tls_key, tls_server_name)
        if tls_credentials is not None:
            if credentials is not None:
                raise ValueError("pass either credentials or tls_* settings, not both")
            credentials = tls_credentials
        options = [*tls_options, *channel_options]
        self._channel = (
            self._secure_channel(self.address, credentials, options)
            if credentials is not None
            else self._insecure_channel(self.address, options)
        )
        # The service descriptor names each method and its messages: no generated stub needed.
        self._methods: dict[str, Any] = {
            method.name: (
                self._channel.stream_stream if method.client_streaming else self._channel.unary_unary
            )(
                f"/{_SERVICE.full_name}/{method.name}",
                request_serializer=lambda message: message.SerializeToString(),
                response_deserializer=getattr(pb, method.output_type.name).FromString,
            )
            for method in _SERVICE.methods
        }

    def _deadline_at(self) -> float:
        return time.monotonic() + self._deadline

    def _metadata(self, token: Token) -> tuple[tuple[str, str], ...]:
        """The generation, and Optimum's token argument: a str, True/None (the default token),
        False (anonymous)."""
        chosen = token if isinstance(token, str) else (None if token is False else self._token)
        generation = ((OPTIMUM_VERSION_KEY, self.optimum_version),) if self.optimum_version else ()
        return generation + ((("authorization", f"Bearer {chosen}"),) if chosen else ())


def remaining(deadline_at: float) -> float:
    """The timeout of an attempt: what is left of the call's deadline."""
    return max(deadline_at - time.monotonic(), 0.001)
