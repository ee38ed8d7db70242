# syntax=docker/dockerfile:1
#
# Both urlmon images from one file, one target each. Build from the repository root:
#   docker build --target api     -t urlmon-api .
#   docker build --target compute -t urlmon-compute .
#
# The two targets share the build stage (the tree is compiled once) and the runtime
# base (libraries and the non-root user); each adds only its own binary and settings.
#
# urlmon-compute's default command is one check run, then exit:
#   docker run urlmon-compute                    # one run
#   docker run urlmon-compute migrate            # apply schema migrations
#   docker run urlmon-compute --shard 0/4        # one shard of the URL list
#   docker run urlmon-compute --run-local --data-path data/urls.csv

# ---- build stage -----------------------------------------------------------
FROM debian:bookworm AS build

ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        build-essential \
        ca-certificates \
        cmake \
        curl \
        libcjson-dev \
        libcmocka-dev \
        libcurl4-openssl-dev \
        libevent-dev \
        libhiredis-dev \
        libjs-chart.js \
        libmariadb-dev \
        libpcre2-dev \
        libssl-dev \
        nodejs \
        npm \
        pkg-config \
        zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*

# The CA bundle that signs RDS server certificates: urlmon verifies RDS with it
# (DB_TLS=1, DB_TLS_CA, terraform/locals.tf). Fetched at build time over HTTPS from
# AWS's trust store, and refused unless it holds PEM certificates.
ARG RDS_CA_BUNDLE_URL=https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem
RUN curl -fsSL --proto '=https' --tlsv1.2 -o /rds-ca-bundle.pem "$RDS_CA_BUNDLE_URL" \
    && grep -q -- '-----BEGIN CERTIFICATE-----' /rds-ca-bundle.pem

WORKDIR /src
COPY . .
# urlmon-api embeds the dashboard's libraries at build time: Chart.js (libjs-chart.js
# above) and Swagger UI (swagger-ui-dist, pinned in tools/ui/package-lock.json).
RUN npm ci --prefix tools/ui --ignore-scripts --no-audit --no-fund
# Same CMake build as the README, with the unit tests switched off (they are
# run by CI, not shipped). Binaries are stripped to keep the runtime small.
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DURLMON_TESTS=OFF -DURLMON_MAN=OFF \
    && cmake --build build -j"$(nproc)" \
    && strip --strip-unneeded build/api/urlmon-api build/compute/urlmon-compute

# ---- runtime base: the shared libraries and the non-root user --------------
FROM debian:bookworm-slim AS runtime

ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates \
        libcjson1 \
        libcurl4 \
        libevent-2.1-7 \
        libevent-pthreads-2.1-7 \
        libhiredis0.14 \
        libmariadb3 \
        libpcre2-8-0 \
        libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 urlmon \
    && useradd --system --uid 10001 --gid urlmon --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin urlmon
COPY --from=build /rds-ca-bundle.pem /usr/share/urlmon/rds-ca-bundle.pem

# ---- target compute: the batch checker and schema migrator -----------------
FROM runtime AS compute

RUN install -d -o urlmon -g urlmon -m 0750 /var/lib/urlmon /var/lib/urlmon/spool \
    && install -d -o root -g root -m 0755 /app

COPY --from=build /src/build/compute/urlmon-compute /usr/local/bin/urlmon-compute

LABEL org.opencontainers.image.title="urlmon-compute" \
      org.opencontainers.image.description="urlmon batch checker and schema migrator"

# Non-secret defaults only. DB_PASSWORD comes from the orchestrator.
# /app is the working directory so that the relative --data-path data/urls.csv
# resolves to /app/data/urls.csv (docker-compose mounts ./data there).
ENV SPOOL_DIR=/var/lib/urlmon/spool \
    LOG_LEVEL=info \
    ALLOW_PRIVATE_TARGETS=0
WORKDIR /app

USER 10001:10001
STOPSIGNAL SIGTERM
# A batch job has no port to probe; liveness is its exit code.
HEALTHCHECK NONE

ENTRYPOINT ["/usr/local/bin/urlmon-compute"]
CMD []

# ---- target api: the HTTP API ----------------------------------------------
FROM runtime AS api

ARG DEBIAN_FRONTEND=noninteractive
# curl is only here for the HEALTHCHECK below; it reuses libcurl4, which the
# runtime base already contains, so it adds a few hundred kilobytes.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*

COPY --from=build /src/build/api/urlmon-api /usr/local/bin/urlmon-api

LABEL org.opencontainers.image.title="urlmon-api" \
      org.opencontainers.image.description="urlmon HTTP API (libevent evhttp)"

# Non-secret defaults only. DB_PASSWORD and API_TOKEN come from the
# orchestrator (ECS task definition secrets, or docker-compose locally).
ENV API_ADDRESS=0.0.0.0 \
    API_PORT=8000 \
    LOG_LEVEL=info \
    ALLOW_PRIVATE_TARGETS=0

EXPOSE 8000
USER 10001:10001
STOPSIGNAL SIGTERM
# /healthz is liveness: 200 while the process serves, whatever MySQL and Redis do
# (dependencies are /status's), so a database failover never gets a serving
# container restarted. curl -f turns any other status into a failure.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${API_PORT:-8000}/healthz" || exit 1

ENTRYPOINT ["/usr/local/bin/urlmon-api"]
