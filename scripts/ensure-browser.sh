#!/usr/bin/env bash
# The browser tests (make test) need Debian's chromium and CJK fonts (screenshots must show
# Chinese, not boxes). Install them when missing; fail, never skip, when that is not possible.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
# grep without -q reads all of fc-list's output: with pipefail, -q would fail the pipe (SIGPIPE).
fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || need+=(fonts-noto-cjk)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "browser tests need: ${need[*]} — installing with apt-get" >&2
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "cannot install ${need[*]}: run as root on Debian (apt-get install -y ${need[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${need[@]}" fontconfig
command -v chromium >/dev/null 2>&1 || { echo "chromium is still missing after apt-get" >&2; exit 1; }
fc-list | grep -i "Noto Sans CJK" >/dev/null || { echo "fonts-noto-cjk is still missing after apt-get" >&2; exit 1; }
