#!/usr/bin/env bash
# etcd-cluster.sh - manage a throwaway N-member etcd cluster on 127.0.0.1.
#
# Used by the TAP tests (t/lib/Pgha/Etcd.pm), `make demo`, pg_regress and the
# C unit tests.  Everything about a cluster lives in one directory DIR:
#
#   DIR/members        number of members
#   DIR/token          initial-cluster-token (unique per DIR)
#   DIR/endpoints      127.0.0.1:p1,127.0.0.1:p2,...   (no scheme)
#   DIR/urls           http://127.0.0.1:p1,http://...
#   DIR/etcdI/         data directory of member I
#   DIR/etcdI.cmd      full command line (shell-quoted) used to (re)start it
#   DIR/etcdI.pid      pid of the running member
#   DIR/etcdI.url      client URL
#   DIR/etcdI.peer     peer port
#   DIR/etcdI.log      stdout+stderr of the member (appended on restart)
#
# Usage:
#   etcd-cluster.sh start   DIR N [CLIENT_PORT...]
#   etcd-cluster.sh stop    DIR
#   etcd-cluster.sh kill    DIR I        SIGKILL member I
#   etcd-cluster.sh term    DIR I        SIGTERM member I and wait until gone
#   etcd-cluster.sh restart DIR I [I...] [--no-wait]
#                                        start stopped members again (same
#                                        identity), wait until healthy
#   etcd-cluster.sh pause   DIR I        SIGSTOP member I
#   etcd-cluster.sh resume  DIR I        SIGCONT member I
#   etcd-cluster.sh status  DIR          "name url pid alive|dead" per member
#   etcd-cluster.sh wipe    DIR          stop, then rm -rf DIR
#
# Environment:
#   ETCD_BIN              etcd binary (default: etcd from PATH)
#   PGHA_ETCD_PORT_RANGE  "LO-HI" range to pick free ports from (default:
#                         above the kernel's ephemeral range, see pick_range)
#   PGHA_ETCD_PORT_DIR    where port reservations live
#                         (default: ${TMPDIR:-/tmp}/pgha-etcd-ports)
#   PGHA_ETCD_TIMEOUT     seconds to wait for health (default 30)

set -euo pipefail

PROG=$(basename "$0")
START_TIMEOUT=${PGHA_ETCD_TIMEOUT:-30}
STOP_TIMEOUT=10
POLL=0.1

die() { echo "$PROG: $*" >&2; exit 1; }
msg() { echo "$PROG: $*" >&2; }

usage() {
	sed -n '/^# Usage:/,/^# Environment:/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- ports ----

# Port range to pick from.  It must stay clear of
#  - the kernel's ephemeral range (outgoing connections could occupy a port
#    of a killed member before we restart it), and
#  - PostgreSQL::Test::Cluster's range 10200-32767 (it would happily hand the
#    port of a stopped member to a new postgres node).
pick_range() {
	local eph_hi
	if [[ -n ${PGHA_ETCD_PORT_RANGE:-} ]]; then
		PORT_LO=${PGHA_ETCD_PORT_RANGE%-*}
		PORT_HI=${PGHA_ETCD_PORT_RANGE#*-}
	else
		read -r _ eph_hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null ||
			eph_hi=60999
		PORT_LO=$((eph_hi + 1)); PORT_HI=65535
		if ((PORT_HI - PORT_LO < 500)); then
			# ephemeral range reaches (almost) the top: use the space below
			# PostgreSQL::Test::Cluster's range instead
			PORT_LO=3000; PORT_HI=10199
		fi
	fi
	[[ $PORT_LO =~ ^[0-9]+$ && $PORT_HI =~ ^[0-9]+$ && $PORT_LO -lt $PORT_HI ]] ||
		die "bad port range '$PORT_LO-$PORT_HI'"
}

port_listening() {
	local p=$1
	if command -v ss >/dev/null 2>&1; then
		[[ -n $(ss -Htln "sport = :$p" 2>/dev/null) ]]
	else
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null
	fi
}

PORT_DIR=${PGHA_ETCD_PORT_DIR:-${TMPDIR:-/tmp}/pgha-etcd-ports}

# Reserve a port for DIR, so that concurrent clusters (prove -j) never pick
# the same one and a stopped member keeps its ports until `wipe`.  A
# reservation is a file named after the port holding the owning DIR; it is
# stale once that DIR is gone (e.g. tmp_check was removed).
reserve_port() {
	local p=$1 f owner
	mkdir -p "$PORT_DIR" 2>/dev/null || true
	chmod 1777 "$PORT_DIR" 2>/dev/null || true   # shared by root and postgres
	f="$PORT_DIR/$p"
	if [[ -e $f ]]; then
		owner=$(cat "$f" 2>/dev/null || true)
		[[ -n $owner && -d $owner ]] && return 1
		rm -f "$f" 2>/dev/null || return 1
	fi
	# noclobber => O_EXCL: exactly one concurrent caller wins
	(set -o noclobber; echo "$DIR" >"$f") 2>/dev/null || return 1
	[[ $(cat "$f" 2>/dev/null) == "$DIR" ]]
}

# Drop reservations whose owner directory is gone (best effort: another
# user's files in the sticky directory cannot be removed, and are skipped).
sweep_reservations() {
	local f owner
	[[ -d $PORT_DIR ]] || return 0
	for f in "$PORT_DIR"/*; do
		[[ -f $f ]] || continue
		owner=$(cat "$f" 2>/dev/null || true)
		[[ -n $owner && -d $owner ]] || rm -f "$f" 2>/dev/null || true
	done
}

release_ports() {
	local f
	[[ -d $PORT_DIR ]] || return 0
	for f in "$PORT_DIR"/*; do
		[[ -f $f && $(cat "$f" 2>/dev/null) == "$DIR" ]] && rm -f "$f" 2>/dev/null
	done
	return 0
}

# Print one free, reserved port.
free_port() {
	local p tries
	[[ -n ${PORT_LO:-} ]] || pick_range
	for ((tries = 0; tries < 500; tries++)); do
		p=$((PORT_LO + ((RANDOM << 15) | RANDOM) % (PORT_HI - PORT_LO + 1)))
		port_listening "$p" && continue
		reserve_port "$p" || continue
		echo "$p"
		return 0
	done
	die "no free port found in $PORT_LO-$PORT_HI"
}

# -------------------------------------------------------------- members ----

nmembers() {
	[[ -f $DIR/members ]] || die "$DIR holds no etcd cluster (no $DIR/members)"
	cat "$DIR/members"
}

check_index() {
	local i=$1 n
	n=$(nmembers)
	[[ $i =~ ^[0-9]+$ && $i -ge 1 && $i -le $n ]] ||
		die "member index '$i' out of range 1..$n"
}

# Does PID exist and is it not a zombie?
proc_running() {
	local pid=$1 state
	[[ $pid =~ ^[0-9]+$ && -r /proc/$pid/stat ]] || return 1
	state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[[ -n $state && $state != Z && $state != X ]]
}

# Is PID a live etcd running member I of DIR?  Checking the command line
# protects against pid reuse.
is_member_proc() {
	local pid=$1 i=$2
	proc_running "$pid" || return 1
	tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" | grep -qxF "$DIR/etcd$i"
}

# Print the pid of member I if it runs, else fail.
member_pid() {
	local i=$1 pid
	[[ -s $DIR/etcd$i.pid ]] || return 1
	pid=$(<"$DIR/etcd$i.pid")
	is_member_proc "$pid" "$i" || return 1
	echo "$pid"
}

log_tail() {
	local i=$1
	echo "----- tail of $DIR/etcd$i.log -----" >&2
	tail -n 25 "$DIR/etcd$i.log" >&2 2>/dev/null || echo "(no log)" >&2
}

# Start member I from DIR/etcdI.cmd in the background, detached from us.
launch() {
	local i=$1 state=$2 pid
	local -a args
	eval "args=( $(<"$DIR/etcd$i.cmd") )"
	# restarts join the existing cluster (etcd ignores the initial-cluster
	# flags anyway once the data dir exists, but say what we mean)
	local k
	for k in "${!args[@]}"; do
		[[ ${args[k]} == --initial-cluster-state ]] && args[k + 1]=$state
	done
	(
		cd "$DIR"
		# stray ETCD_* variables would override/conflict with our flags
		while read -r v; do unset "$v"; done < <(compgen -e | grep '^ETCD_' || true)
		exec setsid nohup "${args[@]}" >>"$DIR/etcd$i.log" 2>&1 </dev/null
	) &
	pid=$!
	echo "$pid" >"$DIR/etcd$i.pid"
	# Wait for the exec so that member_pid (which checks the command line)
	# recognises it; if it already died, wait_healthy reports the log.
	local deadline=$(($(now_ms) + 5000))
	while ! is_member_proc "$pid" "$i" && proc_running "$pid" &&
		(($(now_ms) < deadline)); do
		sleep 0.01
	done
}

healthy() {
	local i=$1 url
	url=$(<"$DIR/etcd$i.url")
	curl -s -m 1 --noproxy '*' "$url/health" 2>/dev/null | grep -q '"health":"true"'
}

# Wait until all given members report healthy.  On failure print log tails.
wait_healthy() {
	local deadline i pending
	deadline=$(($(now_ms) + START_TIMEOUT * 1000))
	while :; do
		pending=()
		for i in "$@"; do
			if ! member_pid "$i" >/dev/null; then
				msg "member etcd$i is not running (exited during startup?)"
				log_tail "$i"
				return 1
			fi
			healthy "$i" || pending+=("$i")
		done
		((${#pending[@]} == 0)) && return 0
		if (($(now_ms) > deadline)); then
			msg "timed out after ${START_TIMEOUT}s waiting for health of:" \
				"$(printf 'etcd%s ' "${pending[@]}")"
			for i in "$@"; do log_tail "$i"; done
			return 1
		fi
		sleep "$POLL"
	done
}

# Wait until none of the given members runs any more; true if all gone.
wait_gone() {
	local timeout=$1 deadline i alive
	shift
	deadline=$(($(now_ms) + timeout * 1000))
	while :; do
		alive=0
		for i in "$@"; do member_pid "$i" >/dev/null && alive=1; done
		((alive == 0)) && return 0
		(($(now_ms) > deadline)) && return 1
		sleep "$POLL"
	done
}

# SIGTERM the given members one after the other (resuming paused ones
# first), SIGKILL any that ignore it.  One at a time because etcd
# hands leadership over on SIGTERM: terminating all at once makes them pass
# it around until a lone ex-leader gives up after several seconds.
terminate() {
	local i pid
	# first wake paused members: a leader being stopped hands leadership to
	# a follower and waits for it
	for i in "$@"; do
		pid=$(member_pid "$i") || continue
		kill -CONT "$pid" 2>/dev/null || true
	done
	for i in "$@"; do
		pid=$(member_pid "$i") || continue
		kill -TERM "$pid" 2>/dev/null || true
		wait_gone "$STOP_TIMEOUT" "$i" && continue
		msg "etcd$i (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT}s, sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		wait_gone 5 "$i" || die "could not stop etcd$i (pid $pid)"
	done
}

# Set ALL to the list of member indexes 1..N.
load_members() {
	local n
	n=$(nmembers)
	mapfile -t ALL < <(seq 1 "$n")
}

# ------------------------------------------------------------- commands ----

cmd_start() {
	local n=$1
	shift
	[[ $n =~ ^[0-9]+$ && $n -ge 1 ]] || die "bad member count '$n'"
	(($# == 0 || $# == n)) || die "give either no client ports or exactly $n"
	[[ -e $DIR/members ]] &&
		die "$DIR already holds a cluster; use 'restart' for its members or 'wipe' it first"
	local etcd_bin
	etcd_bin=${ETCD_BIN:-$(command -v etcd || true)}
	[[ -x $etcd_bin ]] || die "etcd binary not found (set ETCD_BIN or PATH)"
	command -v curl >/dev/null || die "curl is needed"

	mkdir -p "$DIR"
	sweep_reservations
	local -a cports pports
	local i p
	for ((i = 1; i <= n; i++)); do
		if (($# > 0)); then
			p=${!i}
			[[ $p =~ ^[0-9]+$ ]] || die "bad client port '$p'"
			port_listening "$p" && die "client port $p is already in use"
			reserve_port "$p" || die "client port $p is reserved by $(cat "$PORT_DIR/$p" 2>/dev/null)"
			cports[i]=$p
		else
			cports[i]=$(free_port)
		fi
		pports[i]=$(free_port)
	done

	local initial="" token endpoints="" urls=""
	for ((i = 1; i <= n; i++)); do
		initial+="${initial:+,}etcd$i=http://127.0.0.1:${pports[i]}"
		endpoints+="${endpoints:+,}127.0.0.1:${cports[i]}"
		urls+="${urls:+,}http://127.0.0.1:${cports[i]}"
	done
	token="pgha-$(printf '%s' "$DIR" | md5sum | cut -c1-12)-$$-$(date +%s)"

	echo "$n" >"$DIR/members"
	echo "$token" >"$DIR/token"
	echo "$endpoints" >"$DIR/endpoints"
	echo "$urls" >"$DIR/urls"
	for ((i = 1; i <= n; i++)); do
		echo "http://127.0.0.1:${cports[i]}" >"$DIR/etcd$i.url"
		echo "${pports[i]}" >"$DIR/etcd$i.peer"
		printf '%q ' "$etcd_bin" \
			--name "etcd$i" \
			--data-dir "$DIR/etcd$i" \
			--listen-client-urls "http://127.0.0.1:${cports[i]}" \
			--advertise-client-urls "http://127.0.0.1:${cports[i]}" \
			--listen-peer-urls "http://127.0.0.1:${pports[i]}" \
			--initial-advertise-peer-urls "http://127.0.0.1:${pports[i]}" \
			--initial-cluster "$initial" \
			--initial-cluster-state new \
			--initial-cluster-token "$token" \
			--heartbeat-interval 100 \
			--election-timeout 1000 \
			--logger zap --log-outputs stderr \
			>"$DIR/etcd$i.cmd"
		echo >>"$DIR/etcd$i.cmd"
	done

	for ((i = 1; i <= n; i++)); do launch "$i" new; done
	load_members
	if ! wait_healthy "${ALL[@]}"; then
		msg "startup failed, stopping the members"
		terminate "${ALL[@]}" || true
		exit 1
	fi
	echo "$endpoints"
}

cmd_restart() {
	local -a idx=()
	local wait=1 i
	for i in "$@"; do
		if [[ $i == --no-wait ]]; then wait=0; else check_index "$i"; idx+=("$i"); fi
	done
	((${#idx[@]} > 0)) || die "restart: which member(s)?"
	for i in "${idx[@]}"; do
		if member_pid "$i" >/dev/null; then
			msg "etcd$i is already running"
		else
			launch "$i" existing
		fi
	done
	((wait)) || return 0
	wait_healthy "${idx[@]}"
}

cmd_stop() {
	[[ -f $DIR/members ]] || return 0   # nothing was ever started here
	load_members
	terminate "${ALL[@]}"
}

cmd_status() {
	local i pid state url
	load_members
	for i in "${ALL[@]}"; do
		url=$(cat "$DIR/etcd$i.url" 2>/dev/null || echo -)
		if pid=$(member_pid "$i"); then
			state=alive
		else
			pid=$(cat "$DIR/etcd$i.pid" 2>/dev/null || echo -)
			state=dead
		fi
		echo "etcd$i $url $pid $state"
	done
}

cmd_signal() {
	local sig=$1 i=$2 pid
	check_index "$i"
	pid=$(member_pid "$i") || die "etcd$i is not running"
	kill "-$sig" "$pid"
}

cmd_wipe() {
	[[ -e $DIR ]] || { release_ports; return 0; }
	# refuse to rm -rf anything that is not one of our cluster directories
	[[ -f $DIR/members || -z $(ls -A "$DIR") ]] ||
		die "refusing to wipe $DIR: it does not look like an etcd-cluster.sh directory"
	cmd_stop
	release_ports
	rm -rf "$DIR"
}

# ----------------------------------------------------------------- main ----

(($# >= 2)) || usage
CMD=$1
DIR=$(realpath -m "$2")
[[ $DIR != / ]] || die "DIR must not be /"
shift 2

case $CMD in
start)
	(($# >= 1)) || usage
	cmd_start "$@"
	;;
stop) cmd_stop ;;
kill)
	(($# == 1)) || usage
	cmd_signal KILL "$1"
	wait_gone 5 "$1" || die "etcd$1 did not die"
	;;
term)
	(($# == 1)) || usage
	check_index "$1"
	member_pid "$1" >/dev/null || die "etcd$1 is not running"
	terminate "$1"
	;;
restart) cmd_restart "$@" ;;
pause)
	(($# == 1)) || usage
	cmd_signal STOP "$1"
	;;
resume)
	(($# == 1)) || usage
	cmd_signal CONT "$1"
	;;
status) cmd_status ;;
wipe) cmd_wipe ;;
*) usage ;;
esac
