#!/usr/bin/env bash
# Runs the whole suite N times, each on a fresh clone of this checkout's HEAD (as CI does),
# and prints one summary line per run plus every test that failed. HOG=K keeps K busy
# processes beside the runs (a developer's machine that is doing something else).
#   scripts/test_repeat.sh 5          make test-repeat N=5
#   HOG=1 scripts/test_repeat.sh 2    make test-repeat N=2 HOG=1
set -uo pipefail
cd "$(dirname "$0")/.."

runs="${1:-5}"
hogs="${HOG:-0}"
slot="${ADUAN_TEST_SLOT:-7}"  # its own ports and queues: a `make test` beside it is left alone
logs="$(pwd)/.run/test-repeat"
mkdir -p "$logs"

hog_pids=()
stop_hogs() { [ ${#hog_pids[@]} -eq 0 ] || kill "${hog_pids[@]}" 2>/dev/null; hog_pids=(); }
trap stop_hogs EXIT
for _ in $(seq 1 "$hogs"); do
  (while :; do :; done) &
  hog_pids+=($!)
done

failed_runs=0
for run in $(seq 1 "$runs"); do
  clone="$(mktemp -d /tmp/aduan-repeat.XXXXXX)"
  # mktemp makes it private; the broker-restart test's RabbitMQ node runs as the rabbitmq user
  # and must reach its folder inside the clone, as it does in an ordinary checkout.
  chmod 755 "$clone"
  git clone -q . "$clone"
  head="$(git -C "$clone" rev-parse --short HEAD)"
  log="$logs/run-$run.log"
  started=$(date +%s)
  (cd "$clone" && CI=true ADUAN_TEST_SLOT="$slot" make test) >"$log" 2>&1
  status=$?
  summary="$(grep -E '^=+ .*(passed|failed|error).* in [0-9.]+s' "$log" | tail -1 | tr -d '=')"
  printf 'run %d/%d on %s, hog %s: exit %d,%s (%ds wall) log %s\n' "$run" "$runs" "$head" \
    "$hogs" "$status" "${summary:- no pytest summary}" "$(( $(date +%s) - started ))" "$log"
  grep -E '^(FAILED|ERROR) ' "$log" | sed 's/^/    /'
  [ "$status" -eq 0 ] || failed_runs=$((failed_runs + 1))
  rm -rf "$clone"
done
echo "$((runs - failed_runs)) of $runs runs passed"
[ "$failed_runs" -eq 0 ]
