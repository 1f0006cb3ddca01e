# syntax=docker/dockerfile:1
#
# ec-telemetry: one static binary in a distroless, non-root runtime image.
#
#   docker build -t ec-telemetry:local --build-arg VERSION=$(git describe --always) .
#
# Every container of docker-compose.yml runs this image with a subcommand
# (discover, worker, simulate). Ping: the worker sends ICMP echo through
# datagram ICMP sockets, which need no capability once the compose file sets
# net.ipv4.ping_group_range for the container; the binary carries no file
# capabilities, so the image also runs with every capability dropped (see
# docs/deployment.md, "Ping and capabilities").

ARG GO_VERSION=1.26.8

# ---- build ------------------------------------------------------------------
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src

# Modules first, so that source edits reuse the download layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY . .
ARG TARGETOS=linux
ARG TARGETARCH
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/usr/local/bin/ectelemetry ./cmd/ectelemetry \
 && mkdir -p /out/app /out/logging

# ---- runtime ----------------------------------------------------------------
# distroless/static: CA certificates, tzdata, /etc/passwd with the "nonroot"
# user (65532), no shell and no package manager.
FROM gcr.io/distroless/static-debian12:nonroot

ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=https://github.com/ec-telemetry/ec-telemetry
LABEL org.opencontainers.image.title="ec-telemetry" \
      org.opencontainers.image.description="HPE Aruba EdgeConnect SD-WAN telemetry collector (discovery, workers, simulator) writing to InfluxDB" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.url="${SOURCE}" \
      org.opencontainers.image.documentation="${SOURCE}/blob/main/docs/deployment.md" \
      org.opencontainers.image.base.name="gcr.io/distroless/static-debian12:nonroot"

COPY --from=build /out/usr/local/bin/ectelemetry /usr/local/bin/ectelemetry
# /app receives the bind-mounted limit_appliances.json; /logging the optional
# human log files (LOG_FILE). Both belong to the image user so that named
# volumes mounted there are writable.
COPY --from=build --chown=65532:65532 /out/app /app
COPY --from=build --chown=65532:65532 /out/logging /logging

WORKDIR /app
ENV LIMIT_FILE=/app/limit_appliances.json
USER 65532:65532
# Prometheus /metrics and /healthz of discover and worker (METRICS_ADDR).
EXPOSE 9090

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/ectelemetry", "health", "--quiet"]

ENTRYPOINT ["/usr/local/bin/ectelemetry"]
CMD ["help"]
