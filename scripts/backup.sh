#!/usr/bin/env bash
# Backs up egovpm's state together: Temporal's two databases, the read model and DATA_DIR.
#
#   scripts/backup.sh DEST        writes DEST/<UTC time>/ and prints its path
#
# PostgreSQL is reached with the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD); the
# databases are EGOVPM_DB (egovpm), TEMPORAL_DB (temporal), TEMPORAL_VISIBILITY_DB
# (temporal_visibility); DATA_DIR (.data) holds the documents. In the compose deployment:
# `docker compose run --rm backup` (docs/DEPLOY.md).
#
# Order matters while the platform runs: Temporal first, then the read model, then DATA_DIR.
# A read model taken after Temporal may be ahead of it (a transition applied whose workflow
# task Temporal had not yet recorded): after a restore the workflow runs that step again and
# Apply, idempotent by transition id, changes nothing. The reverse would lose rows for good.
# Documents are written before the rows that name them, so DATA_DIR last holds every file the
# read model names. For an exact snapshot stop worker and server first.
set -euo pipefail
dest="${1:?usage: backup.sh DEST}"
data="${DATA_DIR:-.data}"
out="$dest/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
for db in "${TEMPORAL_DB:-temporal}" "${TEMPORAL_VISIBILITY_DB:-temporal_visibility}" "${EGOVPM_DB:-egovpm}"; do
  pg_dump --format=custom --no-owner --file="$out/$db.dump" "$db"
done
tar --create --gzip --file="$out/data.tar.gz" --directory="$data" .
{
  echo "temporal ${TEMPORAL_DB:-temporal}"
  echo "temporal_visibility ${TEMPORAL_VISIBILITY_DB:-temporal_visibility}"
  echo "egovpm ${EGOVPM_DB:-egovpm}"
} > "$out/databases"
(cd "$out" && sha256sum ./*.dump data.tar.gz databases > SHA256SUMS)
echo "$out"
