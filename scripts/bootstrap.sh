#!/usr/bin/env bash
# Installs what Aduan needs on a fresh machine: system packages (RabbitMQ, docker-compose for the
# compose file check, Prometheus and promtool for the deploy checks, chromium and npm for the web
# console's end-to-end test), playwright-core from npm, a virtualenv with the pinned
# Python packages, and the open-file limit of the rabbitmq user. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  local missing=() lean=()
  command -v rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  # Only the binaries are used (by the tests): no recommended node exporter and its service.
  # The web console's end-to-end test drives Debian's chromium with playwright-core from npm.
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
  { command -v prometheus && command -v promtool; } >/dev/null 2>&1 || lean+=(prometheus)
  if [ ${#missing[@]} -gt 0 ] || [ ${#lean[@]} -gt 0 ]; then
    echo "installing ${missing[*]} ${lean[*]} with apt"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    if [ ${#missing[@]} -gt 0 ]; then
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    if [ ${#lean[@]} -gt 0 ]; then
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "${lean[@]}" >/dev/null
    fi
  fi
}

# `su rabbitmq` (how Debian's rabbitmq-server starts the node as root) takes its open-file limit
# from pam_limits, which without a rule gives init's soft limit (1,024 here): the node then stops
# taking connections at 832 sockets, its port still accepts TCP and every handshake times out.
# The rule sets soft and hard to this shell's hard limit (capped at 65,536): pam_limits applies
# nothing at all when asked to raise the hard limit beyond what the machine lets it.
broker_limits() {
  local rule=/etc/security/limits.d/rabbitmq.conf hard
  [ -d /etc/security/limits.d ] || return 0
  hard="$(ulimit -Hn)"
  { [ "$hard" = unlimited ] || [ "$hard" -gt 65536 ]; } && hard=65536
  grep -qsx "rabbitmq - nofile $hard" "$rule" && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "rabbitmq - nofile $hard" | $sudo tee "$rule" >/dev/null
}

python_env() {
  local python="${PYTHON:-python3}"
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  local stamp=.venv/.aduan-installed
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
    .venv/bin/python -m pip install -q -e '.[dev]' 2>&1 | grep -v '^WARNING: Location' || true
    .venv/bin/python -c 'import aduan, flask, pika, pymongo, minio, PIL, piexif, aiosmtpd, pywebpush' 
    touch "$stamp"
  fi
}

e2e_env() {
  local stamp=tests/e2e/node_modules/.aduan-installed
  if [ ! -f "$stamp" ] || [ tests/e2e/package-lock.json -nt "$stamp" ]; then
    (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    touch "$stamp"
  fi
}

apt_install
broker_limits
python_env
e2e_env
