#!/usr/bin/env bash
# bench/edge/run.sh — clickedge beside nginx under wrk, on this machine
# (`make bench-edge` builds ./bin/clickedge first, then runs this).
#
# Each round starts, one after the other on fresh state, nginx (`return 302`
# plus a buffered access log), clickedge with `durability: async` and
# clickedge with `durability: sync`, drives each with
# `wrk -t1 -c$CONNS -d$DURATION` on the same tracking URL (a unique click_id
# per request, see clicks.lua), and records requests/s, wrk's p50/p99, the
# server's CPU time per request (utime+stime from /proc/<pid>/stat before and
# after the run, nginx master + workers) and its peak RSS (VmHWM). It prints
# every run, the median of the rounds, and the ratios the issue sets floors
# for. Figures from one round share the machine's state at that moment, so
# the ratios are taken within a round, then the median across rounds.
#
# Environment (defaults):
#   DURATION=10s        each measured wrk run
#   WARMUP=2s           an unmeasured wrk run before each measured one (0: none)
#   CONNS=64            wrk connections
#   THREADS=1           wrk threads (the issue's comparison is -t1)
#   ROUNDS=3            rounds of nginx/async/sync (the order alternates)
#   NGINX_WORKERS=auto  nginx worker_processes (see below)
#   CLICKEDGE_BIN=<repo>/bin/clickedge
#
# nginx worker_processes: auto (2 on this 2-core machine), with `reuseport`
# so the kernel spreads wrk's connections over both workers. clickedge runs
# with GOMAXPROCS=2 (its default here), so each server may use every core
# the machine has, wrk's included; one nginx worker would cap nginx at one
# core while clickedge gets two.
#
# Exit status: 0 when every server started and answered (the floors are a
# measurement, reported PASS/FAIL, not an exit status), non-zero otherwise.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${CLICKEDGE_BIN:-$ROOT/bin/clickedge}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-1}
ROUNDS=${ROUNDS:-3}
NGINX_WORKERS=${NGINX_WORKERS:-auto}

FLOOR_ASYNC=0.6 # async rps / nginx rps, at least
FLOOR_SYNC=0.4  # sync rps / nginx rps, at least
CEIL_CPU=3.0    # sync CPU per click / nginx CPU per click, at most

die() { echo "bench-edge: $*" >&2; exit 1; }

# ---------------------------------------------------------------- tools
export PATH="$PATH:/usr/sbin:/sbin"
if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
	echo "bench-edge: installing nginx-light and wrk"
	[ "$(id -u)" = 0 ] || die "nginx or wrk missing and not root: apt-get install nginx-light wrk"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq nginx-light wrk >/dev/null ||
		die "apt-get install nginx-light wrk failed"
	# Debian's package may start its own nginx on :80; this script never uses it.
fi
command -v nginx >/dev/null || die "nginx not found after install"
command -v wrk >/dev/null || die "wrk not found after install"
[ -x "$BIN" ] || die "$BIN not found: run 'make bench-edge' (it builds it first)"

TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

# ---------------------------------------------------------------- temp dir and cleanup
TMP=$(mktemp -d -t bench-edge.XXXXXX)
SERVER_PID=""
WRK_PID=""
cleanup() {
	local rc=$?
	trap - INT TERM
	if [ -n "$WRK_PID" ]; then
		kill -TERM "$WRK_PID" 2>/dev/null || true
		wait "$WRK_PID" 2>/dev/null || true
	fi
	stop_server || true
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# stop_server ends the server this script started (by its pid) and waits.
stop_server() {
	[ -n "$SERVER_PID" ] || return 0
	local pid=$SERVER_PID i
	SERVER_PID=""
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 300; i++)); do # clickedge drains within 25 s
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------- helpers
USED_PORTS=" "
# Ports are picked below the kernel's ephemeral range: a port in it may be
# the local end of one of wrk's connections, which a probe cannot see but a
# listen on it fails with "address already in use".
EPHEMERAL_LOW=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
[ "${EPHEMERAL_LOW:-0}" -gt 12000 ] || EPHEMERAL_LOW=32768
# free_port VAR sets VAR to a 127.0.0.1 port nothing listens on (and not
# handed out yet: it runs in this shell, not in a $(…) subshell).
free_port() {
	local -n _port=$1
	local p i
	for ((i = 0; i < 200; i++)); do
		p=$((10000 + (RANDOM * 32768 + RANDOM) % (EPHEMERAL_LOW - 10000)))
		case "$USED_PORTS" in *" $p "*) continue ;; esac
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			USED_PORTS+="$p "
			_port=$p
			return 0
		fi
	done
	die "no free port on 127.0.0.1"
}

UA='Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36'
PROBE_PATH='/?c=demo&click_id=probe-1&aff_id=4471&pub_id=site_209&sub1=diwali_sale&sub2=banner_1&gaid=38400000-8cf0-11bd-b23e-10b96e40000d'

# probe sends one click and prints the status line and Location header.
probe() {
	local port=$1 line out=""
	exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
	printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nUser-Agent: %s\r\nConnection: close\r\n\r\n' \
		"$PROBE_PATH" "$port" "$UA" >&3
	while IFS= read -r -t 5 line <&3; do
		line=${line%$'\r'}
		[ -z "$line" ] && break
		case "$line" in HTTP/*) out="$line" ;; [Ll]ocation:*) out="$out | $line" ;; esac
	done
	exec 3<&- 3>&-
	echo "$out"
}

# wait_ready waits until pid listens on port and answers a click with a 302.
wait_ready() {
	local pid=$1 port=$2 log=$3 i ans
	for ((i = 0; i < 150; i++)); do
		kill -0 "$pid" 2>/dev/null || { echo "--- $log:" >&2; tail -n 20 "$log" >&2; die "server exited at start"; }
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			ans=$(probe "$port") || ans=""
			case "$ans" in
			"HTTP/1.1 302"*) PROBE_ANSWER=$ans; return 0 ;;
			*) echo "--- $log:" >&2; tail -n 20 "$log" >&2; die "127.0.0.1:$port answered '$ans', want a 302" ;;
			esac
		fi
		sleep 0.1
	done
	die "127.0.0.1:$port not listening after 15 s (see $log)"
}

# cpu_ticks prints utime+stime (clock ticks) summed over the given pids.
cpu_ticks() {
	local sum=0 pid line rest
	for pid in "$@"; do
		line=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
		rest=${line##*) } # the fields after "(comm) "
		# shellcheck disable=SC2086
		set -- $rest
		sum=$((sum + ${12} + ${13})) # fields 14 and 15: utime, stime
	done
	echo "$sum"
}

# child_ticks prints cutime+cstime of this shell: the CPU time of the
# children it has waited for.
child_ticks() {
	local line rest
	line=$(<"/proc/$$/stat")
	rest=${line##*) }
	# shellcheck disable=SC2086
	set -- $rest
	echo $((${14} + ${15})) # fields 16 and 17
}

# children prints the pids whose parent is $1.
children() {
	local parent=$1 f line rest
	for f in /proc/[0-9]*/stat; do
		line=$(cat "$f" 2>/dev/null) || continue
		rest=${line##*) }
		# shellcheck disable=SC2086
		set -- $rest
		if [ "$2" = "$parent" ]; then
			f=${f#/proc/}
			echo "${f%/stat}"
		fi
	done
}

# hwm_kib prints VmHWM (peak RSS, KiB) summed over the given pids.
hwm_kib() {
	local sum=0 pid v
	for pid in "$@"; do
		v=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || v=0
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}

# run_wrk OUT ARGS...: wrk -t$THREADS -c$CONNS ARGS > OUT, in the background
# and waited for, so that INT and TERM reach the trap at once.
run_wrk() {
	local out=$1 rc=0
	shift
	wrk -t"$THREADS" -c"$CONNS" "$@" >"$out" 2>&1 &
	WRK_PID=$!
	wait "$WRK_PID" || rc=$?
	WRK_PID=""
	return "$rc"
}

WRK_LUA=$HERE/clicks.lua
# measure LABEL PORT PIDS...: warm up, then one measured wrk run; appends a
# line to $RESULTS: round label rps p50_us p99_us cpu_us_per_req rss_mib wrk_cpu% errors
measure() {
	local label=$1 port=$2
	shift 2
	local pids=("$@") url="http://127.0.0.1:$port/" prefix out t0 t1 stats times
	prefix="r${ROUND}${label:0:1}$RANDOM$RANDOM"
	if [ "$WARMUP" != 0 ] && [ "$WARMUP" != 0s ]; then
		run_wrk /dev/null -d"$WARMUP" -s "$WRK_LUA" "$url" -- "${prefix}w" demo ||
			die "wrk warm-up against $label failed"
	fi
	out=$TMP/wrk-$ROUND-$label.out
	# wrk's own CPU time: this shell's children's (cutime + cstime) over the run.
	local c0 c1 w0 w1
	t0=$(cpu_ticks "${pids[@]}")
	c0=$(child_ticks)
	w0=$EPOCHREALTIME
	run_wrk "$out" -d"$DURATION" --timeout 5s -s "$WRK_LUA" "$url" -- "$prefix" demo ||
		{ cat "$out" >&2; die "wrk against $label failed"; }
	w1=$EPOCHREALTIME
	c1=$(child_ticks)
	t1=$(cpu_ticks "${pids[@]}")
	kill -0 "${pids[0]}" 2>/dev/null || die "$label exited during the run"
	stats=$(grep '^WRKSTATS' "$out") || { cat "$out" >&2; die "no WRKSTATS from wrk against $label"; }
	times="WRKCPU $(awk -v c=$((c1 - c0)) -v tck="$TCK" -v w0="${w0/,/.}" -v w1="${w1/,/.}" 'BEGIN { printf "%.1f", 100 * c / tck / (w1 - w0) }')"
	local hwm
	hwm=$(hwm_kib "${pids[@]}")
	echo "$ROUND $label $((t1 - t0)) $hwm $stats $times" | awk -v tck="$TCK" '
	{
		for (i = 5; i <= NF; i++) if (split($i, kv, "=") == 2) s[kv[1]] = kv[2]
		wrkcpu = $NF
		req = s["requests"]; dur = s["duration_us"] / 1e6
		err = s["connect"] + s["read"] + s["write"] + s["status"] + s["timeout"]
		printf "%s %s %.0f %.0f %.0f %.1f %.1f %.0f %d\n", $1, $2, req / dur, s["p50_us"], s["p99_us"],
			$3 * 1e6 / tck / req, $4 / 1024, wrkcpu, err
	}' >>"$RESULTS"
	tail -n 1 "$RESULTS" | awk '{ printf "  %-7s %9s req/s  p50 %6.2f ms  p99 %7.2f ms  %6.1f us CPU/req  RSS %6.1f MiB  wrk CPU %3s%%%s\n",
		$2, $3, $4 / 1000, $5 / 1000, $6, $7, $8, ($9 > 0 ? "  ERRORS " $9 : "") }'
	if [ "$(tail -n 1 "$RESULTS" | awk '{print $9}')" != 0 ]; then
		echo "  warning: wrk counted errors against $label:" >&2
		grep -E 'errors|Non-2xx' "$out" >&2 || true
	fi
}

# fsync_ms prints the mean latency (ms) of a 4 KiB O_DSYNC write in the temp
# dir, i.e. of one WAL fsync on this disk right now (other work shares it).
fsync_ms() {
	local secs
	secs=$(dd if=/dev/zero of="$TMP/fsync-probe" bs=4k count=100 oflag=dsync 2>&1 |
		awk '/copied/ { for (i = 1; i <= NF; i++) if ($i == "s," || $i == "s") { print $(i-1); exit } }') || true
	rm -f "$TMP/fsync-probe"
	awk -v s="${secs:-0}" 'BEGIN { if (s > 0) printf "%.2f ms", s * 10; else print "n/a" }'
}

# ---------------------------------------------------------------- servers
TEMP_PATHS=""
for m in proxy fastcgi uwsgi scgi; do
	nginx -V 2>&1 | grep -q -- "--without-http_${m}_module" ||
		TEMP_PATHS+="    ${m}_temp_path @DIR@/${m}_temp;"$'\n'
done

run_nginx() {
	local dir=$TMP/nginx-$ROUND port
	mkdir -p "$dir"
	free_port port
	local opts=""
	[ "$NGINX_WORKERS" = 1 ] || opts="reuseport"
	sed -e "s|@TEMP_PATHS@|${TEMP_PATHS//$'\n'/\\n}|" "$HERE/nginx.conf.in" |
		sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@WORKERS@|$NGINX_WORKERS|g" \
			-e "s|@LISTEN_OPTS@|$opts|g" >"$dir/nginx.conf"
	nginx -t -q -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" 2>"$dir/start.log" ||
		{ cat "$dir/start.log" >&2; die "nginx config test failed"; }
	nginx -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" >>"$dir/start.log" 2>&1 &
	SERVER_PID=$!
	wait_ready "$SERVER_PID" "$port" "$dir/error.log"
	local workers=() i
	for ((i = 0; i < 50; i++)); do # the workers are forked right after the bind
		mapfile -t workers < <(children "$SERVER_PID")
		[ "${#workers[@]}" -ge 1 ] && break
		sleep 0.1
	done
	[ "${#workers[@]}" -ge 1 ] || die "nginx started no worker"
	if [ "$ROUND" = 1 ]; then echo "  nginx: $PROBE_ANSWER (master $SERVER_PID, ${#workers[@]} workers)"; fi
	measure nginx "$port" "$SERVER_PID" "${workers[@]}"
	stop_server
	rm -rf "$dir"
}

run_clickedge() {
	local mode=$1 dir=$TMP/clickedge-$ROUND-$1 port admin
	mkdir -p "$dir"
	free_port port
	free_port admin
	sed -e "s|@PORT@|$port|g" -e "s|@ADMIN_PORT@|$admin|g" -e "s|@DATA@|$dir/data|g" \
		-e "s|@DURABILITY@|$mode|g" "$HERE/clickedge.yaml.in" >"$dir/clickedge.yaml"
	"$BIN" check-config -config "$dir/clickedge.yaml" >"$dir/check.log" 2>&1 ||
		{ cat "$dir/check.log" >&2; die "clickedge check-config failed"; }
	"$BIN" serve -config "$dir/clickedge.yaml" >"$dir/clickedge.log" 2>&1 &
	SERVER_PID=$!
	wait_ready "$SERVER_PID" "$port" "$dir/clickedge.log"
	if [ "$ROUND" = 1 ]; then echo "  clickedge $mode: $PROBE_ANSWER"; fi
	measure "$mode" "$port" "$SERVER_PID"
	stop_server
	if grep -q 'level=ERROR' "$dir/clickedge.log"; then
		echo "  warning: clickedge $mode logged errors:" >&2
		grep 'level=ERROR' "$dir/clickedge.log" | head -n 5 >&2
	fi
	rm -rf "$dir"
}

# ---------------------------------------------------------------- run
echo "== bench-edge: clickedge beside nginx under wrk"
echo "machine:   $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), Linux $(uname -r), load avg $(cut -d' ' -f1-3 /proc/loadavg)"
echo "nginx:     $(nginx -v 2>&1 | sed 's/^nginx version: //'), worker_processes $NGINX_WORKERS"
echo "wrk:       $(wrk -v 2>&1 | head -n 1 | sed 's/ Copyright.*//')"
echo "clickedge: $("$BIN" version) (GOMAXPROCS ${GOMAXPROCS:-default})"
echo "fsync:     one 4 KiB O_DSYNC write in $TMP: $(fsync_ms)"
if awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v n="$(nproc)" 'BEGIN { exit !(l > n) }'; then
	echo "warning:   load average above $(nproc): other work shares the CPU, so req/s (and their ratios) move"
	echo "           with it; CPU time per request is the steadier figure. Compare runs made under like load."
fi
echo "load:      wrk -t$THREADS -c$CONNS -d$DURATION (warm-up $WARMUP), $ROUNDS rounds, data in $TMP"
echo

RESULTS=$TMP/results
: >"$RESULTS"
for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
	echo "round $ROUND (load avg $(cut -d' ' -f1 /proc/loadavg), one 4 KiB O_DSYNC write: $(fsync_ms))"
	if ((ROUND % 2)); then
		run_nginx
		run_clickedge async
		run_clickedge sync
	else
		run_clickedge sync
		run_clickedge async
		run_nginx
	fi
done
echo "load avg after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

awk -v rounds="$ROUNDS" -v fa="$FLOOR_ASYNC" -v fs="$FLOOR_SYNC" -v fc="$CEIL_CPU" '
function median(a, n,    i, j, t, b) {
	for (i = 1; i <= n; i++) b[i] = a[i]
	for (i = 2; i <= n; i++) for (j = i; j > 1 && b[j-1] > b[j]; j--) { t = b[j]; b[j] = b[j-1]; b[j-1] = t }
	return n % 2 ? b[(n+1)/2] : (b[n/2] + b[n/2+1]) / 2
}
{
	r = $1; l = $2
	rps[l, r] = $3; p50[l, r] = $4; p99[l, r] = $5; cpu[l, r] = $6; rss[l, r] = $7
}
END {
	print "median of " rounds " rounds:"
	printf "  %-10s %-6s %10s %9s %9s %13s %9s\n", "server", "mode", "req/s", "p50 ms", "p99 ms", "CPU us/req", "RSS MiB"
	split("nginx async sync", labels, " ")
	for (k = 1; k <= 3; k++) {
		l = labels[k]
		for (r = 1; r <= rounds; r++) { a[r] = rps[l, r]; b[r] = p50[l, r]; c[r] = p99[l, r]; d[r] = cpu[l, r]; e[r] = rss[l, r] }
		maxrss = 0; for (r = 1; r <= rounds; r++) if (e[r] > maxrss) maxrss = e[r]
		printf "  %-10s %-6s %10.0f %9.2f %9.2f %13.1f %9.1f\n", (l == "nginx" ? "nginx" : "clickedge"),
			(l == "nginx" ? "302+log" : l), median(a, rounds), median(b, rounds) / 1000, median(c, rounds) / 1000,
			median(d, rounds), maxrss
	}
	print "  (RSS: the highest VmHWM of the rounds; nginx: master + workers summed)"
	print ""
	print "ratios (per round, then the median):"
	for (r = 1; r <= rounds; r++) {
		ra[r] = rps["async", r] / rps["nginx", r]
		rs[r] = rps["sync", r] / rps["nginx", r]
		rc[r] = cpu["sync", r] / cpu["nginx", r]
		rca[r] = cpu["async", r] / cpu["nginx", r]
		line = line sprintf("  round %d: async/nginx %.2f  sync/nginx %.2f  sync CPU/nginx CPU %.2f  (async CPU/nginx CPU %.2f)\n",
			r, ra[r], rs[r], rc[r], rca[r])
	}
	printf "%s", line
	ma = median(ra, rounds); ms = median(rs, rounds); mc = median(rc, rounds)
	printf "  async req/s / nginx req/s          %5.2f   floor   %.1f   %s\n", ma, fa, (ma >= fa ? "PASS" : "FAIL")
	printf "  sync req/s / nginx req/s           %5.2f   floor   %.1f   %s\n", ms, fs, (ms >= fs ? "PASS" : "FAIL")
	printf "  sync CPU/click / nginx CPU/click   %5.2f   ceiling %.1f   %s\n", mc, fc, (mc <= fc ? "PASS" : "FAIL")
}' "$RESULTS"
