# syntax=docker/dockerfile:1

# One image, three static binaries: /server (HTTP gateway), /worker (Temporal worker) and
# /egovpm (CLI: migrate, seed, audit-verify). docker-compose.yml picks one per service with
# `command`. The binaries embed the migrations and the tz database, so nothing else is copied.

# Web UI stage: the Vue application (web/), built with the locked npm packages into
# web/dist/ui, which the gateway embeds (web/web.go). The client is generated from
# server/openapi.yaml, so the build type-checks the UI against the API it ships with.
FROM node:20-bookworm-slim AS ui
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
COPY web/ ./
COPY server/openapi.yaml /src/server/openapi.yaml
RUN npm run build

# Build stage. The Go line follows go.mod (go 1.26).
FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0
# Dependencies first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=ui /src/web/dist/ui ./web/dist/ui
RUN --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags "-s -w" -o /out/ ./server ./worker ./cmd/egovpm \
    && mkdir -p /out/data

# Final stage: no shell, no package manager, runs as nonroot (uid 65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/server /out/worker /out/egovpm /
# DATA_DIR (document files). A named volume mounted here starts with this owner.
COPY --from=build --chown=65532:65532 /out/data /data
ENV HTTP_ADDR=0.0.0.0:8080 \
    DATA_DIR=/data
USER 65532:65532
EXPOSE 8080
CMD ["/server"]
