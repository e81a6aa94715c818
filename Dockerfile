# tasks-manager: Optimum's TasksManager as a gRPC service.
#
#   podman build --build-arg TASKS_VERSION=$(cat VERSION) -t tasks-manager .
#        (or docker build; add --format docker to podman to keep the HEALTHCHECK, which OCI
#        images lack)
#   podman run -p 50051:50051 -e HF_TOKEN tasks-manager
#   podman run ... tasks-manager --help        (arguments go to tasks-server)
#
# BASE_IMAGE, a Debian 12 image, is both stages' base, so the runtime libraries are the very ones
# the binaries were built and tested against; the runtime stage installs only those (no compiler,
# no headers: a slim image). Pin it by digest for reproducible builds:
#   --build-arg BASE_IMAGE=debian:bookworm-slim@sha256:<digest>
# (the digest from `podman pull debian:bookworm-slim && podman inspect --format '{{.Digest}}'
# debian:bookworm-slim`, or `skopeo inspect docker://debian:bookworm-slim`). Offline, on a locally
# imported image: --build-arg BASE_IMAGE=localhost/debian:bookworm --pull=never
# (../shared/tools/container-env.sh on our machines).
# The labels (org.opencontainers.image.*) carry the version and the source commit, which a
# Dockerfile cannot read from the sources, hence build arguments (the build checks the version
# against the VERSION file, the release's one definition, and stops at once if they differ):
#   --build-arg TASKS_VERSION=$(cat VERSION) --build-arg TASKS_COMMIT=$(git rev-parse --short=12 HEAD)
#
# Configuration (every flag is also TASKS_<FLAG>; see `tasks-server --help`):
#   TASKS_LISTEN_ADDRESS   0.0.0.0:50051 here; unix:/path/sock for a sidecar sharing a volume
#                          (then set TASKS_SERVER=unix:/path/sock for the health check)
#   HF_ENDPOINT            the Hub or a mirror (default https://huggingface.co)
#   HF_TOKEN               the server's Hub token; or TASKS_TOKEN_FILE, a mounted secret file,
#                          re-read when it changes. Callers send their own as `authorization`
#                          metadata; TASKS_ANONYMOUS_USES_SERVER_TOKEN=1 lends it to the others.
#   HF_HUB_OFFLINE=1       never call the Hub; answer from the Hugging Face cache folder
#   HF_HUB_CACHE           that cache folder (default $HF_HOME/hub); mount it read-only
#   TASKS_MODEL_ROOT       folders (comma-separated) whose local models callers may name
#   TASKS_CACHE_MAX_BYTES  bound of the in-memory Hub cache (default 256 MiB)
#   TASKS_LOG_FORMAT       json here (one object a line, for log collectors); or text
#   TASKS_TLS_CERT, TASKS_TLS_KEY (TASKS_TLS_CLIENT_CA: mutual TLS)   TLS files, re-read every
#                          TASKS_TLS_REFRESH_INTERVAL s (60): rotation needs no restart
#   TASKS_HEALTH_LISTEN_ADDRESS   plaintext grpc.health.v1-only listener (e.g. 127.0.0.1:8081)
#                          for checks that speak no TLS; the HEALTHCHECK below uses it when set
#   TASKS_LOG_LEVEL, TASKS_SHUTDOWN_GRACE_PERIOD (s), TASKS_KEEPALIVE_TIME,
#   TASKS_MAX_CONNECTION_AGE, TASKS_MAX_RECEIVE_MESSAGE_BYTES, ...
# The root filesystem may be read-only: the server writes nothing but its socket (if unix:) and,
# with TLS, its checked copy of the certificate files under TMPDIR (/tmp: mount a tmpfs there).
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS build
# The dependency layer first, so source edits do not reinstall the toolchain. --build: the
# compiler, libraries and test tools of the binaries only; not the sanitizer and fuzzing
# toolchain (CI's extra stages), nor what the tests left out below need (promtool, PyYAML,
# Python packaging and mypy).
COPY scripts/deps.sh /src/scripts/deps.sh
RUN bash /src/scripts/deps.sh --build && rm -rf /var/lib/apt/lists/*
COPY . /src
WORKDIR /src
ARG TASKS_VERSION=""
RUN test "${TASKS_VERSION}" = "$(cat VERSION)" \
 || { echo "pass --build-arg TASKS_VERSION=$(cat VERSION) (the VERSION file), not '${TASKS_VERSION}'" >&2; \
      exit 1; }
# The commit the binaries report (--version, tasks_build_info): the build context has no .git,
# so it is passed in: --build-arg TASKS_COMMIT=$(git rev-parse --short=12 HEAD).
ARG TASKS_COMMIT=""
# The tests run here so that an image whose code fails them is never produced. Left out: the
# labels deploy (the Kubernetes manifests) and python_client (the Python package), which check
# files the image does not ship; CI runs them (scripts/test.sh).
RUN cmake --preset release -DTASKS_COMMIT="${TASKS_COMMIT}" \
 && cmake --build --preset release \
 && ctest --preset release -j2 -LE '^(deploy|python_client)$' \
 && cmake --install build/release --prefix /out --strip

FROM ${BASE_IMAGE}
ARG BASE_IMAGE
ARG TASKS_COMMIT=""
# Checked against VERSION in the build stage.
ARG TASKS_VERSION
LABEL org.opencontainers.image.title="tasks-manager" \
      org.opencontainers.image.description="Hugging Face Optimum's TasksManager as a gRPC service" \
      org.opencontainers.image.version="${TASKS_VERSION}" \
      org.opencontainers.image.revision="${TASKS_COMMIT}" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"
# Runtime libraries only (what `ldd` of the two binaries asks for; libgrpc++1.51 brings gRPC,
# Abseil, RE2, c-ares and OpenSSL; libspdlog1.10 brings fmt; libcpp-httplib0.11 serves
# /metrics; libhiredis0.14 speaks to the fleet cache's Redis); ca-certificates for the Hub's TLS.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libgrpc++1.51 libprotobuf32 libcurl4 libspdlog1.10 libcpp-httplib0.11 libhiredis0.14 \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log
# A fixed numeric uid, so Kubernetes' runAsNonRoot can verify it without a passwd lookup.
RUN groupadd --system --gid 10001 tasks \
 && useradd --system --uid 10001 --gid tasks --home-dir /home/tasks --create-home \
      --shell /usr/sbin/nologin tasks
# The registry data is compiled into the binaries: nothing else to copy.
COPY --from=build /out/bin/tasks-server /out/bin/tasks-cli /usr/local/bin/
ENV TASKS_LISTEN_ADDRESS=0.0.0.0:50051 \
    TASKS_LOG_FORMAT=json \
    TASKS_SERVER=127.0.0.1:50051 \
    HF_HOME=/home/tasks/.cache/huggingface
USER 10001:10001
WORKDIR /home/tasks
EXPOSE 50051
# tasks-cli exits nonzero for any answer but SERVING (health turns NOT_SERVING while draining).
# It asks the plaintext health-only listener when there is one (TASKS_HEALTH_LISTEN_ADDRESS, as
# TLS needs: the check speaks none), else TASKS_SERVER, so a changed listen address needs only
# that variable. (A 0.0.0.0 listener is reached through it on Linux.)
HEALTHCHECK --interval=15s --timeout=5s --start-period=5s --retries=3 \
  CMD ["/bin/sh", "-c", \
       "exec /usr/local/bin/tasks-cli --server \"${TASKS_HEALTH_LISTEN_ADDRESS:-$TASKS_SERVER}\" --deadline 3 health"]
# The server is PID 1 (exec form, no shell): it takes SIGTERM itself, turns health NOT_SERVING,
# drains in-flight calls for TASKS_SHUTDOWN_GRACE_PERIOD seconds (default 10, below the usual
# 30 s stop timeout), and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/tasks-server"]
