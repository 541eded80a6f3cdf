# streamkap-mock: docker run --rm -p 127.0.0.1:8080:8080 -v streamkap-mock-data:/data IMAGE
#
# The base image. For reproducible builds pin it by digest:
#   --build-arg PYTHON_IMAGE=python:3.11-slim@sha256:<digest>
# (docker buildx imagetools inspect python:3.11-slim prints the digest).
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS wheel
# The build backend in a layer of its own, so a source change does not fetch it again.
RUN python -m pip install --no-cache-dir "setuptools>=68"
WORKDIR /src
COPY pyproject.toml README.md ./
COPY mockserver ./mockserver
COPY fixtures ./fixtures
COPY contracts ./contracts
RUN python -m pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}
# Extras of the package to install, comma-separated: "contract" adds
# `streamkap-mock contract-test` (schemathesis) to the image.
ARG EXTRAS=""
ARG VERSION=0.2.0

LABEL org.opencontainers.image.title="streamkap-mock" \
      org.opencontainers.image.description="A local, stateful emulator of the Streamkap REST API" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/streamkap-com/streamkap-mock" \
      org.opencontainers.image.documentation="https://github.com/streamkap-com/streamkap-mock/blob/main/docs/docker.md"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# Dependencies in their own layer, at the versions constraints.txt pins: a
# source change rebuilds from the next layer on, without downloading them again.
COPY pyproject.toml constraints.txt /tmp/deps/
RUN python -c "import sys, tomllib; p = tomllib.load(open('/tmp/deps/pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + [r for e in sys.argv[1].split(',') if e for r in p['optional-dependencies'][e]]))" \
        "$EXTRAS" > /tmp/deps/requirements.txt \
    && python -m pip install --no-cache-dir -c /tmp/deps/constraints.txt -r /tmp/deps/requirements.txt \
    && rm -rf /tmp/deps

COPY --from=wheel /wheels /tmp/wheels
RUN python -m pip install --no-cache-dir --no-deps /tmp/wheels/*.whl && rm -rf /tmp/wheels

# A fixed non-root uid; /data belongs to group 0 and is group-writable, so the
# image also runs under any uid a platform assigns (which always has gid 0). The
# server runs with umask 002 (see ENTRYPOINT), so what it creates there is
# group-writable too and a volume outlives a change of uid.
RUN useradd --uid 10001 --gid 0 --home-dir /data --no-create-home --shell /usr/sbin/nologin streamkap \
    && mkdir -p /data && chown 10001:0 /data && chmod 0775 /data

# Every flag of `serve` reads an environment variable: `docker run -e` overrides any of these.
ENV STREAMKAP_MOCK_HOST=0.0.0.0 \
    STREAMKAP_MOCK_PORT=8080 \
    STREAMKAP_MOCK_DB=/data/streamkap-mock.json

USER 10001:0
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080

# Python, not curl: the slim image has no curl. The control plane's health endpoint,
# every second while the container starts (healthy about a second after start-up),
# every 10 s after that. Podman keeps a HEALTHCHECK only with `build --format docker`.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --start-interval=1s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/__mock/health' % os.environ.get('STREAMKAP_MOCK_PORT', '8080'), timeout=2)"]

# A shell only to set the umask; exec hands PID 1 to the server, which stops cleanly on SIGTERM.
ENTRYPOINT ["/bin/sh", "-c", "umask 002 && exec streamkap-mock \"$@\"", "streamkap-mock"]
CMD ["serve"]
