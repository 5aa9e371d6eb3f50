#!/usr/bin/env bash
# Installs what Kehu needs to build, run and test, and only what is missing.
# Safe to run twice: it asks dpkg first and calls apt-get only for absent packages.
#   scripts/deps.sh          build + run + test dependencies
#   scripts/deps.sh bench    also the benchmark peers (wrk, nginx, python3 data tools)
set -euo pipefail
cd "$(dirname "$0")/.."

build_pkgs=(build-essential cmake pkg-config
  libmicrohttpd-dev libsqlite3-dev libxxhash-dev libjansson-dev libsodium-dev
  libcmocka-dev sqlite3 nodejs npm
  clang libclang-rt-14-dev
  libpq-dev postgresql postgresql-contrib pgbouncer haproxy
  libcsv-dev libxlsxwriter-dev libzip-dev libexpat1-dev libopencc-dev libicu-dev
  libcurl4-openssl-dev python3-aiosmtpd dovecot-imapd)
bench_pkgs=(wrk nginx-light curl python3-pandas python3-sklearn python3-scipy gnuplot-nox hyperfine)

# The browser tests drive Debian's Chromium (playwright-core cannot download one here).
# CJK fonts, or Chinese renders as boxes in its screenshots.
if [ -d tests/e2e ]; then build_pkgs+=(chromium fonts-noto-cjk); fi

want=("${build_pkgs[@]}")
if [ "${1:-}" = bench ]; then want+=("${bench_pkgs[@]}"); fi

missing=()
for p in "${want[@]}"; do
  # Node.js may come from outside Debian's packages (a newer build on PATH): accept it.
  if [ "$p" = nodejs ] && command -v node >/dev/null; then continue; fi
  if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# JavaScript packages: the test tools at the top (OpenAPI validator, playwright-core) and
# the web UI in web/. `npm ci` only when a lock file is newer than what is installed.
for dir in . web; do
  if [ -f "$dir/package-lock.json" ]; then
    if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
  fi
done
