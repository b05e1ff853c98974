# syntax=docker/dockerfile:1

# One image, three static binaries: /server (HTTP gateway), /worker (Temporal worker) and
# /egovpm (CLI: migrate, seed, audit-verify). docker-compose.yml picks one per service with
# `command`. The binaries embed the migrations and the tz database, so nothing else is copied.

# Build stage. The Go line follows go.mod (go 1.26).
FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0
# Dependencies first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
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
