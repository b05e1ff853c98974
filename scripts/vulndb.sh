#!/usr/bin/env bash
# Builds the Go vulnerability database govulncheck reads with -db file://… (make vulncheck),
# without the internet: the OSV reports of golang.org/x/vulndb, which the Go module proxy
# serves as a module (data/osv), indexed by that module's own cmd/indexdb.
#
#   scripts/vulndb.sh [DIR]        DIR defaults to .data/vulndb; prints DIR
#
# VULNDB_VERSION pins the snapshot (a pseudo-version of golang.org/x/vulndb); raise it to get
# newer reports: `go list -m -versions golang.org/x/vulndb` lists none, so take the newest
# pseudo-version `go list -m golang.org/x/vulndb@master` answers, or one from the registry.
# A DIR already built from the same version is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
VULNDB_VERSION="${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}"
out="${1:-.data/vulndb}"
stamp="$out/.egovpm-vulndb-version"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$VULNDB_VERSION" && -f "$out/index/db.json" ]]; then
  echo "$out"
  exit 0
fi
src="$(go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
if [[ -z "$src" || ! -d "$src/data/osv" ]]; then
  echo "vulndb: golang.org/x/vulndb@$VULNDB_VERSION has no data/osv (download failed?)" >&2
  exit 1
fi
mkdir -p "$(dirname "$out")"
tmp="$(mktemp -d "${out%/}.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# indexdb writes index/{db,modules,vulns}.json and ID/<id>.json: the v1 layout of vuln.go.dev.
go run "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" -vulns "$src/data/osv" -out "$tmp" >&2
echo "$VULNDB_VERSION" > "$tmp/.egovpm-vulndb-version"
rm -rf "$out"
mv "$tmp" "$out"
echo "$out"
