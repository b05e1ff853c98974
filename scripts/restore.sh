#!/usr/bin/env bash
# Restores a backup of scripts/backup.sh: Temporal's databases, the read model and DATA_DIR.
#
#   scripts/restore.sh BACKUP_DIR --yes
#
# Stop the worker, the server and Temporal first. Each database is dropped and created anew
# from its dump, under the names EGOVPM_DB, TEMPORAL_DB and TEMPORAL_VISIBILITY_DB (default:
# the names it was backed up from), and DATA_DIR is emptied and unpacked. The checksums are
# verified before anything is touched. PostgreSQL is reached with the libpq variables.
set -euo pipefail
src="${1:?usage: restore.sh BACKUP_DIR --yes}"
[[ "${2:-}" == "--yes" ]] || { echo "restore: this replaces the databases and DATA_DIR; add --yes" >&2; exit 2; }
(cd "$src" && sha256sum --check --quiet SHA256SUMS)
name_of() { awk -v k="$1" '$1 == k { print $2 }' "$src/databases"; }
restore_db() { # role, target name
  local from; from="$(name_of "$1")"
  dropdb --if-exists --force "$2"
  createdb "$2"
  pg_restore --no-owner --exit-on-error --dbname="$2" "$src/$from.dump"
}
restore_db temporal "${TEMPORAL_DB:-$(name_of temporal)}"
restore_db temporal_visibility "${TEMPORAL_VISIBILITY_DB:-$(name_of temporal_visibility)}"
restore_db egovpm "${EGOVPM_DB:-$(name_of egovpm)}"
data="${DATA_DIR:-.data}"
mkdir -p "$data"
find "$data" -mindepth 1 -delete
tar --extract --gzip --file="$src/data.tar.gz" --directory="$data"
echo "restored $src"
