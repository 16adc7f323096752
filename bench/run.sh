#!/usr/bin/env bash
# bench/run.sh — Hoard against nginx, dufs, miniserve and Apache mod_dav on this machine, in
# one run (issues 6 and 15, SPEC §10). See bench/README.md for what each scenario does and how to read it.
#
#   bench/run.sh            full run (~20–30 min on a quiet 2-core box)
#   bench/run.sh --quick    smaller file, fewer/shorter runs (~5 min); figures are indicative
#
# Builds Hoard (cargo build --profile profiling: the release code plus line tables), starts every server on loopback pinned to
# SERVER_CPU (default 1), drives them from CLIENT_CPU (default 0), prints one table and
# writes it with the machine's description to bench/RESULTS.md (RESULTS_FILE). Raw samples,
# wrk/curl logs, configs and data live in PERF_DIR (default /tmp/hoard-bench), never in the repo.
#
# Requirements (run as root: /proc/PID/clear_refs, nginx `user root`): bash, curl, wrk, jq,
# sqlite3, python3, taskset, nginx with the dav module (Debian nginx-light), and optionally
# dufs / miniserve in $PERF_DIR/bin and Apache (Debian apache2-bin: the apache2 binary with
# mod_dav and mod_dav_fs, without the system service; the harness writes its own config):
#   apt-get install -y nginx-light wrk jq sqlite3 curl apache2-bin
#   CARGO_TARGET_DIR=$PERF_DIR/cargo-target cargo install dufs miniserve --locked --root $PERF_DIR
# INSTALL=1 does both for whatever is missing.
#
# Knobs (environment):
#   PERF_DIR        scratch directory                                  (/tmp/hoard-bench)
#   PEERS           any of: nginx nginx-stock dufs dufs-auth miniserve apache (all but dufs-auth)
#   SCENARIOS       any of: download small range upload list cold dav  (all)
#   BUILD           0 = use HOARD_BIN as it is                         (1)
#   HOARD_BIN       the binary                                         ($CARGO_TARGET_DIR or target)/x86_64-unknown-linux-gnu/profiling/hoard
#   DL_RUNS UP_RUNS WRK_RUNS WRK_DURATION WRK_CONNS LAT_RUNS COLD_RUNS (5 7 3 10s 32 15 5)
#   BIG_MIB         the big file (download, range, upload, dav)        (1024)
#   DAV_CONNS       wrk connections for PROPFIND (dav)                 (4)
#   PROPFIND_BODY   allprop | empty | prop (a client's usual five)      (allprop)
#   COLD_ENTRIES    entries in the cold-start database                 (1000000)
#   QUIET_PCT QUIET_WAIT  idle gate before each run                    (15 % of all cores, 60 s)
#   SERVER_CPU CLIENT_CPU PORT_BASE                                     (1 0 18180)
#   RESULTS_FILE    where the report goes                              (bench/RESULTS.md)
#   PERF_RECORD     1 = `perf record -g` Hoard during each scenario into PERF_DIR/run/perf-*.data
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
QUICK=0
for arg in "$@"; do
  case $arg in
    --quick) QUICK=1 ;;
    -h | --help) sed -n '2,35p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done
if ((QUICK)); then
  : "${BIG_MIB:=256}" "${DL_RUNS:=3}" "${UP_RUNS:=3}" "${WRK_RUNS:=1}" "${WRK_DURATION:=4s}"
  : "${LAT_RUNS:=7}" "${COLD_RUNS:=3}" "${COLD_ENTRIES:=200000}" "${QUIET_WAIT:=20}"
fi
PERF_DIR=${PERF_DIR:-/tmp/hoard-bench}
BIN_DIR=${BIN_DIR:-$PERF_DIR/bin}
DATA_DIR=$PERF_DIR/data
RUN_DIR=$PERF_DIR/run
PEERS=${PEERS-"nginx nginx-stock dufs miniserve apache"}
SCENARIOS=${SCENARIOS-"download small range upload list cold dav"}
BUILD=${BUILD:-1}
DL_RUNS=${DL_RUNS:-5}
UP_RUNS=${UP_RUNS:-7}
WRK_RUNS=${WRK_RUNS:-3}
WRK_DURATION=${WRK_DURATION:-10s}
WRK_CONNS=${WRK_CONNS:-32}
DAV_CONNS=${DAV_CONNS:-4}
PROPFIND_BODY=${PROPFIND_BODY:-allprop}
LAT_RUNS=${LAT_RUNS:-15}
COLD_RUNS=${COLD_RUNS:-5}
BIG_MIB=${BIG_MIB:-1024}
COLD_ENTRIES=${COLD_ENTRIES:-1000000}
HUGE_ENTRIES=100000
MANY_FILES=10000
HUNDRED_FILES=100
THOUSAND_FILES=1000
QUIET_PCT=${QUIET_PCT:-15}
QUIET_WAIT=${QUIET_WAIT:-60}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
PORT_BASE=${PORT_BASE:-18180}
RESULTS_FILE=${RESULTS_FILE:-$BENCH_DIR/RESULTS.md}
PERF_RECORD=${PERF_RECORD:-0}
INSTALL=${INSTALL:-0}
HOARD_PASSWORD="correct horse battery staple"

BIG_BYTES=$((BIG_MIB * 1024 * 1024))
SLICE=65536
NCPU=$(nproc)
HZ=$(getconf CLK_TCK)
SERVER=(taskset -c "$SERVER_CPU")
CLIENT=(taskset -c "$CLIENT_CPU")

mkdir -p "$RUN_DIR"
SAMPLES=$RUN_DIR/samples.tsv
: > "$SAMPLES"

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
have() { command -v "$1" > /dev/null 2>&1; }
now_ns() { date +%s%N; }
calc() { awk "BEGIN { print $* }"; }

# ---------------------------------------------------------------- bookkeeping
declare -A INFO
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$SAMPLES"; }
# stats SERVER METRIC -> "median min max n"
stats() {
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
  if [[ -n ${INFO["$1|$2"]:-} ]]; then printf '%s' "${INFO["$1|$2"]}"; return; fi
  st=$(stats "$1" "$2")
  if [[ -z $st ]]; then printf '—'; return; fi
  read -r med lo hi n <<< "$st"
  if ((n == 1)); then fmt "$med"; else printf '%s (%s–%s)' "$(fmt "$med")" "$(fmt "$lo")" "$(fmt "$hi")"; fi
}

# ---------------------------------------------------------------- install (optional)
install_tools() {
  local pkgs=() tool
  have nginx || pkgs+=(nginx-light)
  have apache2 || pkgs+=(apache2-bin)   # mod_dav + mod_dav_fs; no service is started
  for tool in wrk curl jq sqlite3; do have "$tool" || pkgs+=("$tool"); done
  if ((${#pkgs[@]} > 0)); then
    log "installing ${pkgs[*]}"
    apt-get update -q > /dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" > /dev/null
  fi
  for tool in dufs miniserve; do
    [[ -x $BIN_DIR/$tool ]] && continue
    log "building $tool (cargo install, several minutes)"
    CARGO_TARGET_DIR=$PERF_DIR/cargo-target cargo install "$tool" --root "$PERF_DIR" --locked
  done
}

# ---------------------------------------------------------------- data set (for every server)
make_data() {
  mkdir -p "$DATA_DIR/many" "$DATA_DIR/hundred" "$DATA_DIR/thousand" "$DATA_DIR/upload"
  if [[ $(stat -c %s "$DATA_DIR/big.bin" 2> /dev/null) != "$BIG_BYTES" ]]; then
    log "creating $BIG_MIB MiB random file"
    head -c "$BIG_BYTES" /dev/urandom > "$DATA_DIR/big.bin"
  fi
  if [[ $(stat -c %s "$DATA_DIR/small64k.bin" 2> /dev/null) != 65536 ]]; then
    head -c 65536 /dev/urandom > "$DATA_DIR/small64k.bin"
  fi
  if [[ $(find "$DATA_DIR/many" -type f | wc -l) != "$MANY_FILES" ]]; then
    log "creating $MANY_FILES files of 1 KiB"
    rm -rf "$DATA_DIR/many" && mkdir -p "$DATA_DIR/many"
    # one 1 KiB content repeated, as Hoard's copy is one blob referenced 10,000 times
    head -c 1024 /dev/urandom > "$PERF_DIR/one-kib.bin"
    (cd "$DATA_DIR/many" && for i in $(seq 0 $((MANY_FILES - 1))); do printf 'f%05d.txt\n' "$i"; done |
      xargs -n 500 sh -c 'for f; do cp "$0" "$f"; done' "$PERF_DIR/one-kib.bin")
  fi
  if [[ $(find "$DATA_DIR/hundred" -type f | wc -l) != "$HUNDRED_FILES" ]]; then
    rm -rf "$DATA_DIR/hundred" && mkdir -p "$DATA_DIR/hundred"
    for i in $(seq 0 $((HUNDRED_FILES - 1))); do cp "$DATA_DIR/many/f00000.txt" "$(printf '%s/hundred/f%05d.txt' "$DATA_DIR" "$i")"; done
  fi
  if [[ $(find "$DATA_DIR/thousand" -type f | wc -l) != "$THOUSAND_FILES" ]]; then
    rm -rf "$DATA_DIR/thousand" && mkdir -p "$DATA_DIR/thousand"
    for i in $(seq 0 $((THOUSAND_FILES - 1))); do cp "$DATA_DIR/many/f00000.txt" "$(printf '%s/thousand/f%05d.txt' "$DATA_DIR" "$i")"; done
  fi
  rm -rf "${DATA_DIR:?}/upload/"*
  warm_cache
}
warm_cache() { cat "$DATA_DIR/big.bin" "$DATA_DIR/small64k.bin" > /dev/null; }

# ---------------------------------------------------------------- process / CPU helpers (from peers.sh)
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
  [[ -z $1 ]] && { echo 0; return; }
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
child_ticks() {
  times > "$RUN_DIR/.times"
  CHILD_TICKS=$(awk -v hz="$HZ" 'NR == 2 { t = 0
      for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] }
      printf "%d\n", t * hz }' "$RUN_DIR/.times")
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
    log "  box busy ($(fmt "$pct")% of all cores), waiting"
  done
}
# run_begin/run_end NAME METRIC UNITS: server CPU per unit (ms; per 1000 requests = µs per
# request) as METRIC_cpu, plus kernel-thread and foreign CPU during the run (noise gauge).
run_begin() {
  [[ ${1:-} == --no-wait ]] || wait_quiet
  read -r RB_BUSY RB_TOTAL <<< "$(busy_ticks)"
  RB_KT=$(kthread_ticks)
  RB_SRV=$(proc_ticks "$SRV_PID")
  child_ticks
  RB_CLI=$CHILD_TICKS
}
run_end() {
  local name=$1 metric=$2 units=$3 busy total srv cli kt span
  read -r busy total <<< "$(busy_ticks)"
  kt=$(($(kthread_ticks) - RB_KT))
  srv=$(($(proc_ticks "$SRV_PID") - RB_SRV))
  child_ticks
  cli=$((CHILD_TICKS - RB_CLI))
  span=$((total - RB_TOTAL))
  ((span > 0)) || span=1
  if awk -v u="$units" 'BEGIN { exit !(u > 0) }'; then
    record "$name" "${metric}_cpu" "$(calc "$srv * 1000 / $HZ / $units")"
  fi
  record "$name" kthread_pct "$(calc "$kt * 100 / $span")"
  record "$name" foreign_pct "$(awk -v o="$(((busy - RB_BUSY) - srv - cli - kt))" -v s="$span" \
    'BEGIN { o = o * 100 / s; print (o < 0 ? 0 : o) }')"
}
wait_http() {
  local i
  for i in $(seq 1 300); do
    curl -s -o /dev/null --max-time 1 "$1" && return 0
    sleep 0.1
  done
  return 1
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
cleanup() { local p; for p in "${STARTED_PIDS[@]}"; do stop_pid "$p"; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# perf record of the server during one scenario (PERF_RECORD=1, Hoard only)
PERF_PID=''
perf_start() {
  [[ $PERF_RECORD == 1 && $1 == hoard ]] && have perf || return 0
  perf record -g -F 999 -p "$SRV_PID" -o "$RUN_DIR/perf-$2.data" > "$RUN_DIR/perf-$2.log" 2>&1 &
  PERF_PID=$!
  sleep 0.3
}
perf_stop() {
  [[ -n $PERF_PID ]] || return 0
  kill -INT "$PERF_PID" 2> /dev/null; wait "$PERF_PID" 2> /dev/null; PERF_PID=''
}

# ---------------------------------------------------------------- wrk
parse_wrk() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return v / 1000
      if (v ~ /ms$/) return v + 0
      if (v ~ /m$/)  return v * 60000
      if (v ~ /s$/)  return v * 1000
      return v }
    function bytes(v) {
      if (v ~ /KB$/) return v * 1024
      if (v ~ /MB$/) return v * 1048576
      if (v ~ /GB$/) return v * 1073741824
      if (v ~ /TB$/) return v * 1099511627776
      return v + 0 }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    / requests in / { n = $1; secs = $4 + 0; b = bytes($5) }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { bad += $NF }
    /Socket errors:/ { gsub(",", ""); sock += $4 + $6 + $8 + $10 }
    END { printf "%s %s %s %d %d %d %s %s\n", rps, p50, p99, bad, sock, n, b, secs }' "$1"
}
# run_wrk NAME METRIC URL [wrk args]: WRK_RUNS runs -> METRIC_rps, _p50, _p99, _cpu (µs/req)
run_wrk() {
  local name=$1 metric=$2 url=$3 i out rps p50 p99 non2xx sockerr n b secs
  shift 3
  local hdr=()
  [[ -n $SRV_AUTH ]] && hdr=(-H "$SRV_AUTH")
  for i in $(seq 1 "$WRK_RUNS"); do
    out=$RUN_DIR/wrk-$name-$metric-$i.txt
    run_begin
    "${CLIENT[@]}" wrk -t1 -d"$WRK_DURATION" --latency --timeout 10s "${hdr[@]}" "$@" "$url" > "$out" 2>&1
    read -r rps p50 p99 non2xx sockerr n b secs <<< "$(parse_wrk "$out")"
    if [[ -z $rps ]]; then log "  $metric run $i: wrk failed (see $out)"; continue; fi
    if ((non2xx > 0)); then
      log "  $metric run $i: $non2xx non-2xx answers; not recorded (see $out)"
      INFO["$name|${metric}_rps"]="non-2xx answers"
      continue
    fi
    if [[ $metric == dl_wrk ]]; then
      run_end "$name" "$metric" "$(calc "$b / 1073741824")"   # -> ms per GiB
      record "$name" dl_wrk_mbps "$(calc "$b / $secs / 1e6")"
      log "  $metric run $i: $(fmt "$(calc "$b / $secs / 1e6")") MB/s"
      continue
    fi
    run_end "$name" "$metric" "$(calc "$n / 1000")"
    record "$name" "${metric}_rps" "$rps"
    record "$name" "${metric}_p50" "$p50"
    record "$name" "${metric}_p99" "$p99"
    log "  $metric run $i: $rps req/s, p50 $p50 ms, p99 $p99 ms, socket errors $sockerr"
  done
}
auth_args() { AUTH_ARGS=(); [[ -n $SRV_AUTH ]] && AUTH_ARGS=(-H "$SRV_AUTH"); }

# ---------------------------------------------------------------- scenarios
scenario_download() {
  local name=$1 i out speed size
  [[ -n $SRV_BIG ]] || return 0
  auth_args
  reset_hwm "$SRV_PID"
  perf_start "$name" download
  for i in $(seq 1 "$DL_RUNS"); do
    run_begin
    out=$("${CLIENT[@]}" curl -sS --fail -o /dev/null "${AUTH_ARGS[@]}" \
      -w '%{speed_download} %{size_download}' "$SRV_BIG")
    read -r speed size <<< "$out"
    if [[ $size != "$BIG_BYTES" ]]; then log "  download run $i: got ${size:-0} bytes, not recorded"; continue; fi
    run_end "$name" dl "$(calc "$BIG_BYTES / 1073741824")"
    record "$name" dl_mbps "$(calc "$speed / 1e6")"
    log "  download run $i (curl): $(fmt "$(calc "$speed / 1e6")") MB/s"
  done
  # wrk, one connection, the big file over and over (keep-alive)
  run_wrk "$name" dl_wrk "$SRV_BIG" -c1
  perf_stop
  record "$name" dl_rss "$(status_mib "$SRV_PID" VmHWM)"
}

scenario_small() {
  [[ -n $SRV_SMALL ]] || return 0
  reset_hwm "$SRV_PID"
  perf_start "$1" small
  run_wrk "$1" small "$SRV_SMALL" -c"$WRK_CONNS"
  perf_stop
  record "$1" small_rss "$(status_mib "$SRV_PID" VmHWM)"
}

scenario_range() {
  local name=$1 got
  [[ -n $SRV_BIG ]] || return 0
  auth_args
  got=$("${CLIENT[@]}" curl -sS -o /dev/null "${AUTH_ARGS[@]}" -H "Range: bytes=65537-131072" \
    -w '%{http_code} %{size_download}' "$SRV_BIG")
  if [[ $got != "206 65536" ]]; then
    log "  range check failed ($got)"; INFO["$name|range_rps"]="no Range ($got)"; return
  fi
  reset_hwm "$SRV_PID"
  perf_start "$name" range
  RANGE_FILE_SIZE=$BIG_BYTES RANGE_SLICE=$SLICE run_wrk "$name" range "$SRV_BIG" \
    -c"$WRK_CONNS" -s "$BENCH_DIR/range.lua"
  perf_stop
  record "$name" range_rss "$(status_mib "$SRV_PID" VmHWM)"
}

# recycle 1 GiB of page cache right before an upload (see BASELINE.md, "Noise")
prefault() {
  "${SERVER[@]}" dd if="$DATA_DIR/big.bin" of="$PERF_DIR/prefault.bin" bs=1M 2> /dev/null
  rm -f "$PERF_DIR/prefault.bin"
}

# MB/s of one upload of the big file: over the client's own transfer time (the
# "upload_seconds S" line it printed: curl's time_total, tus_upload.py's first request to
# last answer), else over the wall time of the command. Process start-up is not the
# server's: python3 alone takes ~0.17 s to start here, 10 % of a 1 GiB tus upload.
transfer_mbps() {   # LOG T0_NS T1_NS
  local secs
  secs=$(awk '$1 == "upload_seconds" && $2 > 0 { s = $2 } END { print s }' "$1")
  if [[ -n $secs ]]; then calc "$BIG_BYTES / $secs / 1e6"; else calc "$BIG_BYTES / (($3 - $2) / 1e9) / 1e6"; fi
}

# SRV_UPLOADS: "kind" words; SRV_UPLOAD_<kind> the command; SRV_UPLOAD_CLEANUP the cleanup
scenario_upload() {
  local name=$1 kind i t0 t1 ok mbps cmd metric
  for kind in $SRV_UPLOADS; do
    cmd=SRV_UPLOAD_$kind; cmd=${!cmd}
    metric=up_$kind
    reset_hwm "$SRV_PID"
    perf_start "$name" "upload-$kind"
    for i in $(seq 1 "$UP_RUNS"); do
      export FILE=$DATA_DIR/big.bin DEST="up-$name-$kind-$i-$$.bin" URL_BASE=$SRV_BASE \
        AUTH_HEADER=$SRV_AUTH DATA_DIR UP_FOLDER_ID=${UP_FOLDER_ID:-} BENCH_DIR
      sync
      wait_quiet
      prefault
      run_begin --no-wait
      t0=$(now_ns)
      "${CLIENT[@]}" bash -c "$cmd" > "$RUN_DIR/upload-$name-$kind-$i.log" 2>&1
      ok=$?
      t1=$(now_ns)
      if ((ok == 0)) && [[ $name != hoard ]] &&
        [[ $(stat -c %s "$DATA_DIR/upload/$DEST" 2> /dev/null) != "$BIG_BYTES" ]]; then ok=99; fi
      if ((ok == 0)) && [[ $name == hoard ]]; then
        [[ $(hoard_size_of "/up/$DEST") == "$BIG_BYTES" ]] || ok=98
      fi
      if ((ok != 0)); then
        log "  upload $kind run $i failed (rc $ok, see $RUN_DIR/upload-$name-$kind-$i.log)"
      else
        run_end "$name" "$metric" "$(calc "$BIG_BYTES / 1073741824")"
        mbps=$(transfer_mbps "$RUN_DIR/upload-$name-$kind-$i.log" "$t0" "$t1")
        record "$name" "${metric}_mbps" "$mbps"
        log "  upload $kind run $i: $(fmt "$mbps") MB/s"
      fi
      bash -c "$SRV_UPLOAD_CLEANUP" > /dev/null 2>&1
    done
    perf_stop
    record "$name" "${metric}_rss" "$(status_mib "$SRV_PID" VmHWM)"
  done
  sync
}

# listings: list100 (wrk, -c WRK_CONNS), list10k (LAT_RUNS sequential full listings, ms and
# server CPU each), page100k (first page of the 100,000-entry folder, wrk -c1: p50/p99)
scenario_list() {
  local name=$1 i t code bytes
  auth_args
  if [[ -n $SRV_LIST100 ]]; then
    reset_hwm "$SRV_PID"
    perf_start "$name" list100
    run_wrk "$name" list100 "$SRV_LIST100" -c"$WRK_CONNS"
    perf_stop
  fi
  if [[ -n $SRV_LIST10K ]]; then
    # check: every URL answers 200 and the bodies hold 10,000 entries in total
    local u urls=()
    for u in $SRV_LIST10K; do urls+=(-o /dev/null "$u"); done
    read -r code bytes <<< "$("${CLIENT[@]}" curl -sS "${AUTH_ARGS[@]}" -w '%{http_code} %{size_download}\n' "${urls[@]}" |
      awk '{ if ($1 != 200) bad = $1; b += $2 } END { print (bad ? bad : 200), b }')"
    if [[ $code != 200 ]]; then INFO["$name|list10k_ms"]="HTTP $code"; else
      INFO["$name|list10k_kib"]="$(fmt "$(calc "$bytes / 1024")") KiB $SRV_LIST_FMT"
      wait_quiet
      perf_start "$name" list10k
      run_begin --no-wait
      for i in $(seq 1 "$LAT_RUNS"); do
        # all pages on one keep-alive connection; sum of curl's time_total per page
        t=$("${CLIENT[@]}" curl -sS "${AUTH_ARGS[@]}" -w '%{time_total}\n' "${urls[@]}" |
          awk '{ s += $1 } END { print s * 1000 }')
        record "$name" list10k_ms "$t"
      done
      run_end "$name" list10k "$LAT_RUNS"   # -> ms of server CPU per full listing
      perf_stop
    fi
  fi
  if [[ -n $SRV_PAGE100K ]]; then
    perf_start "$name" page100k
    run_wrk "$name" page100k "$SRV_PAGE100K" -c1
    perf_stop
  fi
  record "$name" list_rss "$(status_mib "$SRV_PID" VmHWM)"
}

scenario_cold() { :; }   # Hoard only, see hoard_cold_start

# dav (issue 15): PROPFIND Depth 1 of thousand/ on every server that speaks WebDAV (Hoard,
# dufs, Apache mod_dav); for Hoard also 1 GiB WebDAV PUT and GET against its own API raw
# PUT and download, alternated run by run; peak RSS over the whole scenario.
PROPFIND_ALLPROP='<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>'
PROPFIND_PROP='<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getcontentlength/><D:getlastmodified/><D:getcontenttype/><D:getetag/></D:prop></D:propfind>'
scenario_dav() {
  local name=$1
  [[ -n $SRV_PROPFIND ]] || return 0
  reset_hwm "$SRV_PID"
  dav_propfind "$name"
  record "$name" dav_propfind_rss "$(status_mib "$SRV_PID" VmHWM)"
  [[ -n $SRV_DAV_BIG ]] && dav_transfers "$name"
  record "$name" dav_rss "$(status_mib "$SRV_PID" VmHWM)"
}

dav_propfind() {
  local name=$1 SRV_AUTH=$SRV_DAV_AUTH got code bytes n xml=$RUN_DIR/propfind-$1.xml
  case $PROPFIND_BODY in
    allprop) export PROPFIND_XML=$PROPFIND_ALLPROP ;;
    prop) export PROPFIND_XML=$PROPFIND_PROP ;;
    empty) export PROPFIND_XML='' ;;
    *) log "  PROPFIND_BODY must be allprop, prop or empty"; return ;;
  esac
  auth_args
  local body=()
  [[ -n $PROPFIND_XML ]] && body=(-H 'Content-Type: application/xml; charset=utf-8' --data-binary "$PROPFIND_XML")
  # the answer must be a 207 with one <response> for the folder and one per file
  got=$("${CLIENT[@]}" curl -sS -X PROPFIND -H 'Depth: 1' "${AUTH_ARGS[@]}" "${body[@]}" \
    -o "$xml" -w '%{http_code} %{size_download}' "$SRV_PROPFIND")
  read -r code bytes <<< "$got"
  n=$(grep -Eoi '<([a-z0-9]+:)?response[ >]' "$xml" | wc -l)
  if [[ $code != 207 || $n != $((THOUSAND_FILES + 1)) ]]; then
    log "  PROPFIND check failed: HTTP $code, $n responses (see $xml)"
    INFO["$name|dav_propfind_rps"]="HTTP $code, $n responses"
    return
  fi
  INFO["$name|dav_propfind_kib"]="$(fmt "$(calc "$bytes / 1024")") KiB, $n responses"
  perf_start "$name" dav-propfind
  run_wrk "$name" dav_propfind "$SRV_PROPFIND" -c"$DAV_CONNS" -s "$BENCH_DIR/propfind.lua"
  perf_stop
}

# Hoard only: UP_RUNS uploads and DL_RUNS downloads of the big file each way, the API and
# WebDAV alternating so that drift on the box hits both alike
dav_transfers() {
  local name=$1 i kind
  for i in $(seq 1 "$UP_RUNS"); do
    for kind in api_put put; do dav_upload_once "$name" "$kind" "$i"; done
  done
  sync
  for i in $(seq 1 "$DL_RUNS"); do
    for kind in api_get get; do dav_download_once "$name" "$kind" "$i"; done
  done
}

dav_upload_once() {   # NAME KIND RUN; KIND: api_put (raw PUT by-path) or put (WebDAV)
  local name=$1 kind=$2 i=$3 cmd t0 t1 ok mbps
  export FILE=$DATA_DIR/big.bin DEST="dav-$kind-$i-$$.bin" URL_BASE=$SRV_BASE \
    AUTH_HEADER=$SRV_AUTH DAV_AUTH=$SRV_DAV_AUTH
  # shellcheck disable=SC2016
  case $kind in
    api_put) cmd=$SRV_UPLOAD_put ;;
    put) cmd="$UPLOAD_CURL"' -H "$DAV_AUTH" -T "$FILE" "$URL_BASE/dav/up/$DEST"' ;;
  esac
  sync
  wait_quiet
  prefault
  perf_start "$name" "dav-$kind-$i"
  run_begin --no-wait
  t0=$(now_ns)
  "${CLIENT[@]}" bash -c "$cmd" > "$RUN_DIR/dav-$name-$kind-$i.log" 2>&1
  ok=$?
  t1=$(now_ns)
  if ((ok == 0)); then [[ $(hoard_size_of "/up/$DEST") == "$BIG_BYTES" ]] || ok=98; fi
  if ((ok != 0)); then
    log "  dav $kind run $i failed (rc $ok, see $RUN_DIR/dav-$name-$kind-$i.log)"
  else
    run_end "$name" "dav_$kind" "$(calc "$BIG_BYTES / 1073741824")"
    mbps=$(transfer_mbps "$RUN_DIR/dav-$name-$kind-$i.log" "$t0" "$t1")
    record "$name" "dav_${kind}_mbps" "$mbps"
    log "  dav $kind run $i: $(fmt "$mbps") MB/s"
  fi
  perf_stop
  bash -c "$SRV_UPLOAD_CLEANUP" > /dev/null 2>&1
}

dav_download_once() {   # NAME KIND RUN; KIND: api_get (/download) or get (WebDAV GET)
  local name=$1 kind=$2 i=$3 url hdr out speed size
  case $kind in
    api_get) url=$SRV_BIG hdr=$SRV_AUTH ;;
    get) url=$SRV_DAV_BIG hdr=$SRV_DAV_AUTH ;;
  esac
  perf_start "$name" "dav-$kind-$i"
  run_begin
  out=$("${CLIENT[@]}" curl -sS --fail -o /dev/null -H "$hdr" -w '%{speed_download} %{size_download}' "$url")
  read -r speed size <<< "$out"
  if [[ $size != "$BIG_BYTES" ]]; then
    log "  dav $kind run $i: got ${size:-0} bytes, not recorded"
  else
    run_end "$name" "dav_$kind" "$(calc "$BIG_BYTES / 1073741824")"
    record "$name" "dav_${kind}_mbps" "$(calc "$speed / 1e6")"
    log "  dav $kind run $i: $(fmt "$(calc "$speed / 1e6")") MB/s"
  fi
  perf_stop
}

# ---------------------------------------------------------------- physical limits
measure_limits() {
  local i f=$PERF_DIR/ddtest.bin
  log "physical limits: dd conv=fsync, sha256"
  for i in 1 2 3; do
    wait_quiet
    sync
    record limits dd_fsync_mbps "$(dd if="$DATA_DIR/big.bin" of="$f" bs=1M conv=fsync 2>&1 |
      awk '/copied/ { for (i = 1; i <= NF; i++) if ($i ~ /^s,?$/) sec = $(i - 1); print $1 / sec / 1e6 }')"
    rm -f "$f"; sync
  done
  if have openssl; then
    record limits sha256_mbps "$("${SERVER[@]}" openssl speed -evp sha256 -bytes 16384 -seconds 2 2> /dev/null |
      awk '/^sha256/ { sub(/k$/, "", $2); print $2 * 1000 / 1e6 }')"
  fi
}

# ---------------------------------------------------------------- peers
# Every upload is curl reporting its own transfer time (see transfer_mbps)
UPLOAD_CURL='curl -sS --fail -o /dev/null -w "upload_seconds %{time_total}\n"'
UPLOAD_PUT="$UPLOAD_CURL"' ${AUTH_HEADER:+-H "$AUTH_HEADER"} -T "$FILE" "$URL_BASE/upload/$DEST"'
UPLOAD_MULTIPART="$UPLOAD_CURL"' -F "path=@$FILE;filename=$DEST" "$URL_BASE/upload?path=/upload"'
UPLOAD_RM='rm -f "$DATA_DIR/upload/$DEST"'

reset_srv() {
  SRV_PID='' SRV_BASE='' SRV_BIG='' SRV_SMALL='' SRV_AUTH='' SRV_UPLOADS='' SRV_UPLOAD_CLEANUP=''
  SRV_PROPFIND='' SRV_DAV_AUTH='' SRV_DAV_BIG=''
  SRV_LIST100='' SRV_LIST10K='' SRV_PAGE100K='' SRV_LIST_FMT='' SRV_HEALTH=''
}

start_nginx() {   # NAME PORT HTTP_DIRECTIVES UPLOAD_DIRECTIVES
  local name=$1 port=$2 dir=$RUN_DIR/$1
  mkdir -p "$dir/body"
  cat > "$dir/nginx.conf" << EOF
worker_processes 1;
user root;
pid $dir/nginx.pid;
events { worker_connections 1024; }
http {
  default_type application/octet-stream;
  access_log off;
  tcp_nodelay on;
  client_body_temp_path $dir/body;
  $3
  server {
    listen 127.0.0.1:$port;
    root $DATA_DIR;
    location /many/ { autoindex on; autoindex_format json; }
    location /hundred/ { autoindex on; autoindex_format json; }
    location /upload/ {
      dav_methods PUT;
      create_full_put_path on;
      client_max_body_size 0;
      $4
    }
  }
}
EOF
  "${SERVER[@]}" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -g 'daemon off;' \
    > "$dir/stdout.log" 2>&1 &
  SRV_PID=$!
  SRV_BASE=http://127.0.0.1:$port
  SRV_BIG=$SRV_BASE/big.bin SRV_SMALL=$SRV_BASE/small64k.bin
  SRV_LIST100=$SRV_BASE/hundred/ SRV_LIST10K=$SRV_BASE/many/ SRV_LIST_FMT=json
  SRV_UPLOADS=put SRV_UPLOAD_put=$UPLOAD_PUT SRV_UPLOAD_CLEANUP=$UPLOAD_RM
}

start_peer() {
  case $1 in
    nginx)   # tuned as in BASELINE.md
      start_nginx nginx $((PORT_BASE + 1)) \
        'sendfile on; tcp_nopush off; keepalive_requests 1000000;' 'client_body_buffer_size 256k;' ;;
    nginx-stock)   # Debian's defaults; measured for uploads only (see README)
      start_nginx nginx-stock $((PORT_BASE + 5)) 'sendfile on; tcp_nopush on;' '' ;;
    dufs | dufs-auth)
      local port=$((PORT_BASE + 2)) auth=()
      [[ $1 == dufs-auth ]] && { port=$((PORT_BASE + 4)); auth=(-a 'bench:bench@/:rw'); }
      "${SERVER[@]}" "$BIN_DIR/dufs" "$DATA_DIR" -b 127.0.0.1 -p "$port" --allow-upload \
        "${auth[@]}" --log-format '' > "$RUN_DIR/$1.log" 2>&1 &
      SRV_PID=$!
      SRV_BASE=http://127.0.0.1:$port
      [[ $1 == dufs-auth ]] && SRV_AUTH="Authorization: Basic $(printf 'bench:bench' | base64)"
      SRV_BIG=$SRV_BASE/big.bin SRV_SMALL=$SRV_BASE/small64k.bin
      SRV_LIST100="$SRV_BASE/hundred/?json" SRV_LIST10K="$SRV_BASE/many/?json" SRV_LIST_FMT=json
      # dufs answers PROPFIND with --allow-upload exactly as with --allow-all (same bytes)
      SRV_PROPFIND=$SRV_BASE/thousand/ SRV_DAV_AUTH=$SRV_AUTH
      SRV_UPLOADS=put SRV_UPLOAD_put=$UPLOAD_PUT SRV_UPLOAD_CLEANUP=$UPLOAD_RM ;;
    miniserve)
      local port=$((PORT_BASE + 3))
      mkdir -p "$RUN_DIR/miniserve-tmp"
      "${SERVER[@]}" "$BIN_DIR/miniserve" -i 127.0.0.1 -p "$port" --workers 1 -q \
        --upload-files /upload --temp-directory "$RUN_DIR/miniserve-tmp" "$DATA_DIR" \
        > "$RUN_DIR/miniserve.log" 2>&1 &
      SRV_PID=$!
      SRV_BASE=http://127.0.0.1:$port
      SRV_BIG=$SRV_BASE/big.bin SRV_SMALL=$SRV_BASE/small64k.bin
      SRV_LIST10K=$SRV_BASE/many/ SRV_LIST_FMT=html
      SRV_UPLOADS=mp SRV_UPLOAD_mp=$UPLOAD_MULTIPART SRV_UPLOAD_CLEANUP=$UPLOAD_RM ;;
    apache) start_apache ;;
  esac
}

# Apache httpd with mod_dav + mod_dav_fs over the data dir: what `a2enmod dav dav_fs` and
# `Dav On` give (DavLockDB as Debian's dav_fs.conf sets it, mod_mime for getcontenttype),
# in a private config. One child process (event MPM, ServerLimit 1) with a thread per
# connection, pinned like every server; the root parent only supervises and its CPU is
# counted with the child's. Unauthenticated, like the other peers.
start_apache() {
  local port=$((PORT_BASE + 6)) dir=$RUN_DIR/apache mods=/usr/lib/apache2/modules
  rm -rf "$dir" && mkdir -p "$dir/lock" && chown www-data:www-data "$dir/lock"
  cat > "$dir/apache2.conf" << EOF
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile $dir/apache2.pid
DefaultRuntimeDir $dir
Mutex file:$dir default
ErrorLog $dir/error.log
LogLevel warn
User www-data
Group www-data
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule mime_module $mods/mod_mime.so
LoadModule dav_module $mods/mod_dav.so
LoadModule dav_fs_module $mods/mod_dav_fs.so
TypesConfig /etc/mime.types
ServerLimit 1
StartServers 1
ThreadLimit 64
ThreadsPerChild 64
MaxRequestWorkers 64
MinSpareThreads 1
MaxSpareThreads 64
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 60
DavLockDB $dir/lock/DAVLock
DocumentRoot "$DATA_DIR"
<Directory "$DATA_DIR">
  Dav On
  Options None
  AllowOverride None
  Require all granted
</Directory>
EOF
  "${SERVER[@]}" apache2 -f "$dir/apache2.conf" -DFOREGROUND > "$dir/stdout.log" 2>&1 &
  SRV_PID=$!
  SRV_BASE=http://127.0.0.1:$port
  SRV_PROPFIND=$SRV_BASE/thousand/
}

# peer_scenarios NAME: the scenarios a peer takes part in (Hoard: all)
peer_scenarios() {
  case $1 in
    nginx | miniserve) echo "download small range upload list" ;;
    nginx-stock) echo "upload" ;;   # Debian's defaults; measured for uploads only (see README)
    dufs | dufs-auth) echo "download small range upload list dav" ;;
    apache) echo "dav" ;;
    *) echo "$SCENARIOS" ;;
  esac
}

COLUMNS_RUN=()
bench_server() {
  local name=$1 s
  reset_srv
  SRV_ONLY=''
  for s in $SCENARIOS; do [[ " $(peer_scenarios "$name") " == *" $s "* ]] && SRV_ONLY+="$s "; done
  [[ -n $SRV_ONLY ]] || { log "$name takes no part in: $SCENARIOS; skipped"; return; }
  case $name in
    nginx | nginx-stock) have nginx || { log "nginx not installed; $name skipped"; return; } ;;
    apache) have apache2 || { log "apache2 not installed (apache2-bin); $name skipped"; return; } ;;
    dufs | dufs-auth | miniserve)
      [[ -x $BIN_DIR/${name%-auth} ]] || { log "${name%-auth} not in $BIN_DIR; $name skipped"; return; } ;;
  esac
  if [[ $name == hoard ]]; then hoard_start "$PORT_BASE" || return; else start_peer "$name"; fi
  STARTED_PIDS+=("$SRV_PID")
  log "== $name ($SRV_BASE, pid $SRV_PID, server CPU $SERVER_CPU, client CPU $CLIENT_CPU)"
  if ! wait_http "$SRV_BASE/${SRV_HEALTH}"; then
    log "$name did not answer; skipped"; stop_pid "$SRV_PID"; return
  fi
  [[ $name == hoard ]] && hoard_session
  COLUMNS_RUN+=("$name")
  record "$name" idle_rss "$(status_mib "$SRV_PID" VmRSS)"
  for s in $SCENARIOS; do
    [[ " $SRV_ONLY " == *" $s "* ]] || continue
    log " scenario $s"
    warm_cache
    "scenario_$s" "$name"
  done
  stop_pid "$SRV_PID"
  log " done with $name"
}

# ---------------------------------------------------------------- Hoard
HOARD_DIR=$PERF_DIR/hoard
hoard_bin() {
  local target=${CARGO_TARGET_DIR:-$REPO_DIR/target}
  HOARD_BIN=${HOARD_BIN:-$target/x86_64-unknown-linux-gnu/profiling/hoard}
  if [[ $BUILD == 1 ]]; then
    log "building Hoard (cargo build --profile profiling)"
    (cd "$REPO_DIR" && cargo build --profile profiling --bin hoard 2>&1 | tail -2) >&2 || return 1
  fi
  [[ -x $HOARD_BIN ]] || { log "no Hoard binary at $HOARD_BIN"; return 1; }
}

# hoard_api METHOD PATH [curl args]: JSON from the setup server (unpinned, HOARD_URL)
hoard_api() {
  local m=$1 p=$2; shift 2
  curl -sS --fail -X "$m" -H "Authorization: Bearer $HOARD_TOKEN" "$@" "$HOARD_URL$p"
}
hoard_size_of() {
  curl -sS -H "$SRV_AUTH" "$SRV_BASE/api/v1/files/by-path?path=$1" | jq -r '.size // empty'
}

# hoard_prepare: a fresh data dir with the same data set as the peers. The big and small
# files, and one file of each listing folder, go through the real API; the other entries
# of the listing folders (99, 9,999, 99,999) are rows copied from that file in SQLite
# (same blob, so the drive stays consistent: refs and storage_used are adjusted).
hoard_prepare() {
  local pid port=$((PORT_BASE + 12)) r
  log "preparing Hoard's data dir ($HOARD_DIR)"
  rm -rf "$HOARD_DIR" && mkdir -p "$HOARD_DIR"
  "$HOARD_BIN" --data-dir "$HOARD_DIR/data" --bind "127.0.0.1:$port" > "$HOARD_DIR/setup.log" 2>&1 &
  pid=$!
  STARTED_PIDS+=("$pid")
  HOARD_URL=http://127.0.0.1:$port
  wait_http "$HOARD_URL/health" || { log "Hoard did not start (see $HOARD_DIR/setup.log)"; return 1; }
  r=$(curl -sS --fail -X POST "$HOARD_URL/api/v1/auth/register" -H 'content-type: application/json' \
    -d "{\"username\":\"bench\",\"email\":\"bench@example.com\",\"password\":\"$HOARD_PASSWORD\"}") || return 1
  HOARD_TOKEN=$(jq -r .tokens.access_token <<< "$r")
  hoard_api PUT "/api/v1/files/by-path?path=/big.bin" -T "$DATA_DIR/big.bin" -o /dev/null || return 1
  hoard_api PUT "/api/v1/files/by-path?path=/small64k.bin" -T "$DATA_DIR/small64k.bin" -o /dev/null || return 1
  hoard_api PUT "/api/v1/files/by-path?path=/hundred/f00000.txt" -T "$DATA_DIR/many/f00000.txt" -o /dev/null || return 1
  hoard_api PUT "/api/v1/files/by-path?path=/many/f00000.txt" -T "$DATA_DIR/many/f00000.txt" -o /dev/null || return 1
  hoard_api PUT "/api/v1/files/by-path?path=/huge/f000000.txt" -T "$DATA_DIR/many/f00000.txt" -o /dev/null || return 1
  if [[ " $SCENARIOS " == *" dav "* ]]; then
    hoard_api PUT "/api/v1/files/by-path?path=/thousand/f00000.txt" -T "$DATA_DIR/many/f00000.txt" -o /dev/null || return 1
  fi
  hoard_api POST /api/v1/folders -H 'content-type: application/json' -d '{"name":"up","parent_id":null}' -o /dev/null || return 1
  stop_pid "$pid"
  log "  adding listing rows in SQLite"
  sqlite3 "$HOARD_DIR/data/hoard.db" << EOF || return 1
PRAGMA foreign_keys = ON;
BEGIN;
$(hoard_clone_sql /hundred/f00000.txt hundred "$HUNDRED_FILES" 'f%05d.txt')
$(hoard_clone_sql /many/f00000.txt many "$MANY_FILES" 'f%05d.txt')
$(hoard_clone_sql /huge/f000000.txt huge "$HUGE_ENTRIES" 'f%06d.txt')
$([[ " $SCENARIOS " == *" dav "* ]] && hoard_clone_sql /thousand/f00000.txt thousand "$THOUSAND_FILES" 'f%05d.txt')
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
EOF
}
# hoard_clone_sql SEED_PATH FOLDER COUNT NAME_FMT: SQL for COUNT-1 copies of the seed file
# row (named NAME_FMT % 1..COUNT-1) in the folder FOLDER at the root
hoard_clone_sql() {
  local folder=$2 count=$3 fmt=$4 seed="(SELECT e.id FROM entries e JOIN entries f ON e.parent_id = f.id WHERE f.name = '$2' AND f.parent_id IS NULL AND e.name = printf('$4', 0))"
  cat << EOF
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < $((count - 1)))
INSERT INTO entries (owner_id, parent_id, name, kind, size, sha256, mime_type, created_at, updated_at)
  SELECT s.owner_id, s.parent_id, printf('$fmt', n.x), s.kind, s.size, s.sha256, s.mime_type, s.created_at, s.updated_at
  FROM n, entries s WHERE s.id = $seed;
UPDATE blobs SET refs = refs + $((count - 1)) WHERE sha256 = (SELECT sha256 FROM entries WHERE id = $seed);
UPDATE users SET storage_used = storage_used + $((count - 1)) * (SELECT size FROM entries WHERE id = $seed)
  WHERE id = (SELECT owner_id FROM entries WHERE id = $seed);
EOF
}

hoard_start() {
  local port=$(($1 + 10))
  "${SERVER[@]}" "$HOARD_BIN" --data-dir "$HOARD_DIR/data" --bind "127.0.0.1:$port" \
    > "$HOARD_DIR/server.log" 2>&1 &
  SRV_PID=$!
  SRV_BASE=http://127.0.0.1:$port
  SRV_HEALTH=health
}

# hoard_session: log in (a fresh access token), look up ids, set the URLs
hoard_session() {
  local r id_of
  r=$(curl -sS --fail -X POST "$SRV_BASE/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"bench\",\"password\":\"$HOARD_PASSWORD\"}") || { log "Hoard login failed: $r"; return 1; }
  SRV_AUTH="Authorization: Bearer $(jq -r .tokens.access_token <<< "$r")"
  id_of() { curl -sS -H "$SRV_AUTH" "$SRV_BASE/api/v1/files/by-path?path=$1" | jq -r .id; }
  local big small hundred many huge
  big=$(id_of /big.bin) small=$(id_of /small64k.bin) hundred=$(id_of /hundred)
  many=$(id_of /many) huge=$(id_of /huge) UP_FOLDER_ID=$(id_of /up)
  SRV_BIG=$SRV_BASE/api/v1/files/$big/download
  SRV_SMALL=$SRV_BASE/api/v1/files/$small/download
  SRV_LIST100="$SRV_BASE/api/v1/files?parent_id=$hundred&limit=100&sort=name"
  SRV_LIST10K=''
  local p
  for p in 0 1 2 3 4 5 6 7 8 9; do
    SRV_LIST10K+="$SRV_BASE/api/v1/files?parent_id=$many&limit=1000&offset=$((p * 1000))&sort=name "
  done
  SRV_LIST_FMT="json, 10 pages"
  SRV_PAGE100K="$SRV_BASE/api/v1/files?parent_id=$huge&sort=name"
  SRV_UPLOADS="mp put tus"
  # shellcheck disable=SC2016
  SRV_UPLOAD_mp="$UPLOAD_CURL"' -H "$AUTH_HEADER" -F "file=@$FILE;filename=$DEST" "$URL_BASE/api/v1/files?parent_id=$UP_FOLDER_ID"'
  # shellcheck disable=SC2016
  SRV_UPLOAD_put="$UPLOAD_CURL"' -H "$AUTH_HEADER" -T "$FILE" "$URL_BASE/api/v1/files/by-path?path=/up/$DEST"'
  # shellcheck disable=SC2016
  SRV_UPLOAD_tus='python3 "$BENCH_DIR/tus_upload.py" "$URL_BASE" "$AUTH_HEADER" "$FILE" "$DEST" "$UP_FOLDER_ID" 8'
  # delete the file and empty the trash: the blob goes too, so no run finds its bytes stored
  # shellcheck disable=SC2016
  SRV_UPLOAD_CLEANUP='id=$(curl -sS -H "$AUTH_HEADER" "$URL_BASE/api/v1/files/by-path?path=/up/$DEST" | jq -r .id);
    curl -sS -X DELETE -H "$AUTH_HEADER" "$URL_BASE/api/v1/files/$id"; curl -sS -X DELETE -H "$AUTH_HEADER" "$URL_BASE/api/v1/trash"'
  if [[ " $SCENARIOS " == *" dav "* ]]; then
    # WebDAV as a mounted client signs in: Basic with the username and a personal API
    # token (an app password), so no Argon2 runs per request
    r=$(curl -sS --fail -X POST "$SRV_BASE/api/v1/auth/tokens" -H "$SRV_AUTH" \
      -H 'content-type: application/json' -d '{"name":"bench-dav"}') || { log "Hoard token creation failed: $r"; return 1; }
    SRV_DAV_AUTH="Authorization: Basic $(printf 'bench:%s' "$(jq -r .token <<< "$r")" | base64 -w0)"
    SRV_PROPFIND=$SRV_BASE/dav/thousand/ SRV_DAV_BIG=$SRV_BASE/dav/big.bin
  fi
  log "  Hoard ids: big=$big small=$small hundred=$hundred many=$many huge=$huge up=$UP_FOLDER_ID"
}

# cold start: a copy of the data dir with COLD_ENTRIES more entries (one folder), then
# COLD_RUNS times: start pinned, poll /health every 5 ms, time to the first 200
hoard_cold_start() {
  local cold=$PERF_DIR/hoard-cold i t0 t1 pid code port=$((PORT_BASE + 11))
  log "== hoard cold start with $COLD_ENTRIES extra entries"
  rm -rf "$cold" && mkdir -p "$cold"
  cp "$HOARD_DIR/data/hoard.db" "$HOARD_DIR/data/jwt.secret" "$cold/" 2> /dev/null
  mkdir -p "$cold/blobs" "$cold/tmp" "$cold/thumbs"
  cp -al "$HOARD_DIR/data/blobs/." "$cold/blobs/"
  sqlite3 "$cold/hoard.db" << EOF || return 1
BEGIN;
INSERT INTO entries (owner_id, parent_id, name, kind, created_at, updated_at)
  SELECT id, NULL, 'million', 'folder', strftime('%s'), strftime('%s') FROM users WHERE username = 'bench';
WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < $((COLD_ENTRIES - 1)))
INSERT INTO entries (owner_id, parent_id, name, kind, size, sha256, mime_type, created_at, updated_at)
  SELECT s.owner_id, (SELECT id FROM entries WHERE name = 'million' AND parent_id IS NULL), printf('m%07d.txt', n.x),
         s.kind, s.size, s.sha256, s.mime_type, s.created_at, s.updated_at
  FROM n, entries s WHERE s.id = (SELECT id FROM entries WHERE name = 'small64k.bin' AND parent_id IS NULL);
UPDATE blobs SET refs = refs + $COLD_ENTRIES WHERE sha256 = (SELECT sha256 FROM entries WHERE name = 'small64k.bin' AND parent_id IS NULL);
UPDATE users SET storage_used = storage_used + $COLD_ENTRIES * 65536 WHERE username = 'bench';
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
EOF
  record hoard cold_entries "$(sqlite3 "$cold/hoard.db" 'SELECT count(*) FROM entries')"
  for i in $(seq 1 "$COLD_RUNS"); do
    wait_quiet
    t0=$(now_ns)
    "${SERVER[@]}" "$HOARD_BIN" --data-dir "$cold" --bind "127.0.0.1:$port" > "$RUN_DIR/cold-$i.log" 2>&1 &
    pid=$!
    STARTED_PIDS+=("$pid")
    code=000
    while alive "$pid" && (($(now_ns) - t0 < 30000000000)); do
      code=$("${CLIENT[@]}" curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port/health")
      [[ $code == 200 ]] && break
      sleep 0.005
    done
    t1=$(now_ns)
    if [[ $code == 200 ]]; then
      record hoard cold_ms "$(calc "($t1 - $t0) / 1e6")"
      log "  cold start $i: $(fmt "$(calc "($t1 - $t0) / 1e6")") ms"
    else
      log "  cold start $i: no 200 (see $RUN_DIR/cold-$i.log)"
    fi
    stop_pid "$pid"
  done
}

# ---------------------------------------------------------------- report
# rows: key|label ; for peers, up_{mp,put,tus}_X reads the peer's own upload metric
ROWS=(
  "dl_mbps|a. 1 GiB download, MB/s (curl, $DL_RUNS runs)"
  "dl_wrk_mbps|a. 1 GiB download, MB/s (wrk -c1, $WRK_RUNS × $WRK_DURATION)"
  "dl_cpu|a. server CPU per GiB downloaded, ms"
  "dl_rss|f. peak RSS during downloads, MiB"
  "small_rps|b. 64 KiB GET, req/s (wrk -t1 -c$WRK_CONNS, authenticated)"
  "small_p99|b. 64 KiB GET, p99, ms"
  "small_cpu|b. server CPU per 64 KiB GET, µs"
  "range_rps|c. random 64 KiB Range GET over 1 GiB, req/s (-c$WRK_CONNS)"
  "range_p99|c. Range GET, p99, ms"
  "range_cpu|c. server CPU per Range GET, µs"
  "range_rss|f. peak RSS during Range GETs, MiB"
  "up_mp_mbps|d. 1 GiB upload, multipart, MB/s ($UP_RUNS runs)"
  "up_mp_cpu|d. server CPU per GiB, multipart, ms"
  "up_put_mbps|d. 1 GiB upload, raw PUT, MB/s"
  "up_put_cpu|d. server CPU per GiB, raw PUT, ms"
  "up_tus_mbps|d. 1 GiB upload, tus 8 MiB PATCHes, MB/s"
  "up_tus_cpu|d. server CPU per GiB, tus, ms"
  "up_rss|f. peak RSS during uploads (max over kinds), MiB"
  "list100_rps|e. listing of a 100-entry folder, req/s (-c$WRK_CONNS)"
  "list100_p99|e. 100-entry listing, p99, ms"
  "list100_cpu|e. server CPU per 100-entry listing, µs"
  "list10k_ms|e. all 10,000 entries of one folder, ms ($LAT_RUNS runs)"
  "list10k_cpu|e. server CPU per 10,000-entry listing, ms"
  "list10k_kib|e. 10,000-entry listing body"
  "page100k_p50|e. first page of a 100,000-entry folder by name, p50, ms (wrk -c1)"
  "page100k_p99|e. same, p99, ms"
  "cold_ms|g. cold start to first 200 on /health, ms ($COLD_RUNS runs)"
  "dav_propfind_rps|h. WebDAV PROPFIND Depth 1 of a 1,000-entry folder, req/s (wrk -t1 -c$DAV_CONNS, $PROPFIND_BODY)"
  "dav_propfind_p99|h. PROPFIND Depth 1, p99, ms"
  "dav_propfind_cpu|h. server CPU per PROPFIND Depth 1, µs"
  "dav_propfind_kib|h. PROPFIND Depth 1 answer (207)"
  "dav_propfind_rss|f. peak RSS during PROPFINDs, MiB"
  "dav_api_put_mbps|h. 1 GiB upload, API raw PUT (this scenario), MB/s ($UP_RUNS runs)"
  "dav_api_put_cpu|h. server CPU per GiB, API raw PUT, ms"
  "dav_put_mbps|h. 1 GiB upload, WebDAV PUT, MB/s (alternated with the API's)"
  "dav_put_cpu|h. server CPU per GiB, WebDAV PUT, ms"
  "dav_api_get_mbps|h. 1 GiB download, API /download (this scenario), MB/s ($DL_RUNS runs)"
  "dav_api_get_cpu|h. server CPU per GiB, API download, ms"
  "dav_get_mbps|h. 1 GiB download, WebDAV GET, MB/s (alternated with the API's)"
  "dav_get_cpu|h. server CPU per GiB, WebDAV GET, ms"
  "dav_rss|f. peak RSS during the whole dav scenario (PROPFIND, PUT, GET), MiB"
  "idle_rss|RSS right after start, MiB"
  "foreign_pct|foreign CPU load during the runs (noise), % of both cores"
)
peer_key() {   # peer_key COLUMN KEY -> the metric holding that row for that column
  local c=$1 k=$2
  if [[ $c != hoard && $k == up_*_* && $k != up_rss ]]; then
    local kind=${k#up_}; kind=${kind%%_*}
    local suffix=${k##*_}
    # each peer's one upload method fills the row of the same method (nginx, dufs: put;
    # miniserve: mp); tus rows show the PUT peers too, as they are its natural rivals
    case $kind in
      mp) [[ $c == miniserve ]] && echo "up_mp_$suffix" ;;
      put | tus) [[ $c != miniserve ]] && echo "up_put_$suffix" ;;
    esac
    return
  fi
  echo "$k"
}
col_cell() {
  local c=$1 k=$2 pk
  if [[ $k == up_rss ]]; then
    local v m best=''
    for m in up_mp_rss up_put_rss up_tus_rss; do
      v=$(median "$c" "$m"); [[ -z $v ]] && continue
      if [[ -z $best ]] || awk -v a="$v" -v b="$best" 'BEGIN { exit !(a > b) }'; then best=$v; fi
    done
    [[ -n $best ]] && fmt "$best" || printf '—'
    return
  fi
  pk=$(peer_key "$c" "$k")
  [[ -z $pk ]] && { printf '—'; return; }
  cell "$c" "$pk"
}
col_median() {   # the median behind col_cell, or empty
  local c=$1 k=$2 pk
  [[ $k == up_rss ]] && { col_cell "$c" up_rss | awk '$1 ~ /^[0-9.]+$/ { print $1 }'; return; }
  pk=$(peer_key "$c" "$k"); [[ -z $pk ]] && return
  median "$c" "$pk"
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }

# target KEY -> "target text|verdict"
target() {
  local k=$1 h n d m dd v
  h=$(col_median hoard "$k")
  [[ -z $h ]] && { case $k in dl_mbps | small_rps | range_rps | up_*_mbps | dl_rss | up_rss | list100_rps | list10k_ms | page100k_p50 | cold_ms | dav_propfind_rps | dav_put_mbps | dav_get_mbps | dav_rss) ;; *) return ;; esac; }
  n=$(col_median nginx "$k"); d=$(col_median dufs "$k"); m=$(col_median miniserve "$k")
  local a; a=$(col_median apache "$k")
  local text verdict=met
  chk() { [[ -z $1 || -z $2 ]] && return 0; "$3" "$1" "$2" || verdict=missed; }
  case $k in
    dl_mbps)
      text="≥ 0.9× nginx, > dufs, > miniserve"
      chk "$h" "$(calc "0.9 * ${n:-0}")" ge; [[ -n $n ]] || verdict="no nginx"
      chk "$h" "$d" gt; chk "$h" "$m" gt ;;
    small_rps | range_rps)
      text="≥ 0.5× nginx, > miniserve"
      chk "$h" "$(calc "0.5 * ${n:-0}")" ge; [[ -n $n ]] || verdict="no nginx"
      chk "$h" "$m" gt ;;
    up_*_mbps)
      # SPEC §10: ≥ 0.8× dd, and ≥ the best of dufs and miniserve or 0.9× dd, whichever is lower
      dd=$(median limits dd_fsync_mbps); d=$(median dufs up_put_mbps); m=$(median miniserve up_mp_mbps)
      local best floor; best=$(calc "(${d:-0} > ${m:-0} ? ${d:-0} : ${m:-0})")
      floor=$(calc "($best < 0.9 * ${dd:-0} ? $best : 0.9 * ${dd:-0})")
      text="≥ 0.8× dd conv=fsync ($(fmt "${dd:-0}") → $(fmt "$(calc "0.8 * ${dd:-0}")")), ≥ min(best peer $(fmt "$best"), 0.9× dd) = $(fmt "$floor")"
      [[ -n $dd ]] || verdict="no dd"
      chk "$h" "$(calc "0.8 * ${dd:-0}")" ge; chk "$h" "$floor" ge ;;
    dl_rss | up_rss) text="< 64 MiB"; chk 64 "$h" gt ;;
    list100_rps) text="≥ 10,000 req/s"; chk "$h" 10000 ge ;;
    list10k_ms) text="≤ nginx JSON autoindex"; [[ -n $n ]] || verdict="no nginx"; chk "$n" "$h" ge ;;
    page100k_p50) text="< 20 ms"; chk 20 "$h" gt ;;
    cold_ms) text="< 500 ms"; chk 500 "$h" gt ;;
    dav_propfind_rps)
      text="faster than dufs and Apache mod_dav"
      [[ -n $d || -n $a ]] || verdict="no peers"
      chk "$h" "$d" gt; chk "$h" "$a" gt ;;
    dav_propfind_cpu)
      text="(per request: below dufs and Apache)"
      [[ -n $d || -n $a ]] || verdict="no peers"
      chk "$d" "$h" gt; chk "$a" "$h" gt ;;
    dav_put_mbps | dav_get_mbps)
      local api; api=$(median hoard "dav_api_${k#dav_}")
      text="≥ 0.9× the API's ($(fmt "${api:-0}") → $(fmt "$(calc "0.9 * ${api:-0}")"))"
      [[ -n $api ]] || verdict="no API figure"
      chk "$h" "$(calc "0.9 * ${api:-0}")" ge ;;
    dav_rss | dav_propfind_rss) text="< 64 MiB"; chk 64 "$h" gt ;;
    *) return ;;
  esac
  [[ -z $h ]] && verdict="not measured"
  printf '%s|%s' "$text" "$verdict"
}
ratios() {   # "peer ×r" for every peer that has the row
  local k=$1 h c v out=()
  h=$(col_median hoard "$k"); [[ -z $h ]] && return
  case $k in   # Hoard's WebDAV against Hoard's own API
    dav_put_* | dav_get_*)
      v=$(median hoard "dav_api_${k#dav_}")
      [[ -n $v ]] && awk -v a="$h" -v b="$v" 'BEGIN { if (b > 0) printf "WebDAV ÷ API %.2f", a / b }'
      return ;;
    dav_api_*) return ;;
  esac
  for c in "${COLUMNS_RUN[@]}"; do
    [[ $c == hoard ]] && continue
    v=$(col_median "$c" "$k"); [[ -z $v ]] && continue
    awk -v v="$v" 'BEGIN { exit !(v > 0) }' || continue
    out+=("$c $(awk -v a="$h" -v b="$v" 'BEGIN { printf "%.2f", a / b }')")
  done
  local IFS=,
  printf '%s' "${out[*]}" | sed 's/,/, /g'
}

# a row is printed when some column has a figure or a note for it (a subset of SCENARIOS
# leaves the other rows out)
row_has_data() {
  local c
  for c in "${COLUMNS_RUN[@]}"; do
    [[ -n ${INFO["$c|$1"]:-} ]] && return 0
    [[ $(col_cell "$c" "$1") != — ]] && return 0
  done
  return 1
}

report() {
  local c r key t
  echo "# Hoard benchmark — $(date -u +%Y-%m-%dT%H:%MZ)$( ((QUICK)) && echo ' (--quick)')"
  echo
  echo "Machine: $NCPU CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, Linux $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")."
  echo "Hoard: $(cd "$REPO_DIR" && git describe --always --dirty 2> /dev/null) ($HOARD_BIN). Peers: $(nginx -v 2>&1 | sed 's/.*: //'); $("$BIN_DIR/dufs" --version 2> /dev/null || echo 'no dufs'); $("$BIN_DIR/miniserve" --version 2> /dev/null || echo 'no miniserve'); $(apache2 -v 2> /dev/null | awk -F': ' '/version/ { print $2 }' || echo 'no apache2'); $(wrk -v 2>&1 | head -1 | awk '{ print "wrk", $2 }'); $(curl --version | head -1 | awk '{ print "curl", $2 }')."
  echo "Pinning: every server on CPU $SERVER_CPU (one worker; Hoard's tokio runtime sees 1 CPU), clients on CPU $CLIENT_CPU. Loopback only; files from the page cache; big file $BIG_MIB MiB."
  echo "Cells: median (min–max). MB/s = 10^6 B/s. CPU = the server's utime+stime over the run. Ratios: Hoard ÷ peer (for ms, CPU and p99, below 1 is better)."
  echo "Uploads: nginx, nginx-stock, dufs by PUT (shown in the PUT and tus rows), miniserve by multipart. nginx-stock ran the upload scenario only. Hoard hashes (sha256) and fsyncs; the peers do neither."
  [[ " $SCENARIOS " == *" dav "* ]] && echo "WebDAV (h): Hoard at /dav/ with Basic username + personal API token on every request; dufs (--allow-upload) and Apache 2.4 mod_dav_fs (event MPM, one child, DavLockDB) without auth. PROPFIND body: $PROPFIND_BODY. Hoard's WebDAV PUT/GET alternate run by run with its API raw PUT / download (Bearer JWT)."
  echo
  printf '| metric |'; for c in "${COLUMNS_RUN[@]}"; do printf ' %s |' "$c"; done; echo ' Hoard ÷ peer | SPEC §10 target | verdict |'
  printf '|---|'; for c in "${COLUMNS_RUN[@]}"; do printf '%s' '---|'; done; echo '---|---|---|'
  for r in "${ROWS[@]}"; do
    key=${r%%|*}
    row_has_data "$key" || continue
    printf '| %s |' "${r#*|}"
    for c in "${COLUMNS_RUN[@]}"; do
      if [[ $key == *_kib ]]; then printf ' %s |' "${INFO["$c|$key"]:-—}"; else printf ' %s |' "$(col_cell "$c" "$key")"; fi
    done
    t=$(target "$key")
    printf ' %s | %s | %s |\n' "$( [[ $key == *_kib || $key == foreign_pct || $key == idle_rss ]] || ratios "$key")" "${t%%|*}" "${t#*|}"
  done
  echo
  if [[ -n $(stats limits dd_fsync_mbps) ]]; then   # measured with the upload scenario
    echo "| machine limit | MB/s |"
    echo "|---|---|"
    echo "| disk: buffered write + one fsync, 1 GiB (dd bs=1M conv=fsync), 3 runs | $(cell limits dd_fsync_mbps) |"
    echo "| sha256 on one core (openssl speed -evp sha256, 16 KiB) | $(cell limits sha256_mbps) |"
    echo
  fi
  local busy; busy=$(awk -F'\t' '$1 == "gate" { n++ } END { print n + 0 }' "$SAMPLES")
  echo "Quiet gate: before each measured run the box had to be < $QUIET_PCT % busy for 1 s (waiting up to $QUIET_WAIT s); $busy run(s) started on a busier box. Foreign load is the per-run CPU of other processes (not the server, client or kernel threads)."
}

# ---------------------------------------------------------------- main
[[ $INSTALL == 1 ]] && install_tools
for tool in wrk curl jq sqlite3 python3 taskset awk; do
  have "$tool" || { echo "$tool is required (INSTALL=1 installs it)" >&2; exit 1; }
done
hoard_bin || exit 1
make_data
[[ " $SCENARIOS " == *" upload "* ]] && measure_limits
hoard_prepare || { log "Hoard setup failed"; exit 1; }
bench_server hoard
[[ " $SCENARIOS " == *" cold "* ]] && hoard_cold_start
for peer in $PEERS; do bench_server "$peer"; done
mkdir -p "$(dirname "$RESULTS_FILE")"
report | tee "$RUN_DIR/results.md" > "$RESULTS_FILE"
cat "$RESULTS_FILE"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
cp "$RUN_DIR/results.md" "$RUN_DIR/results-$stamp.md"
cp "$SAMPLES" "$RUN_DIR/samples-$stamp.tsv"
log "results: $RESULTS_FILE (raw samples: $RUN_DIR/samples-$stamp.tsv)"
