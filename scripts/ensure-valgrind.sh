#!/usr/bin/env bash
# make bench-overhead counts instructions under valgrind's callgrind. Install valgrind when
# missing (as scripts/ensure-browser.sh installs the browser tests' packages); fail, never
# skip, when that is not possible.
set -euo pipefail
command -v valgrind >/dev/null 2>&1 && exit 0
echo "bench-overhead needs valgrind — installing with apt-get" >&2
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "cannot install valgrind: run as root on Debian (apt-get install -y valgrind)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends valgrind
command -v valgrind >/dev/null 2>&1 || { echo "valgrind is still missing after apt-get" >&2; exit 1; }
