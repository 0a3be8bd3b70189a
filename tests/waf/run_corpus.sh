#!/usr/bin/env bash
# Replay the CRS 3.3.4 regression corpus through meshgate-waf, the way
# ../shared/tools/crs_replay.py judges a WAF: meshgate-waf --serve answers
# every request on 127.0.0.1 and names the rules that fired in the
# X-Meshgate-Waf-Rules header. Settings as the corpus README asks (rule
# 900005 in crs-regression-setup.conf: paranoia level 4, detection only).
#
#   tests/waf/run_corpus.sh MESHGATE_WAF [OUTDIR]
#
# Writes OUTDIR/results.json (every test), OUTDIR/replay.txt (the replay's
# own report) and OUTDIR/audit.log (one JSON line per request), then checks
# the failures against tests/waf/KNOWN_FAILURES.md: the exit status is 0
# when every failure is a known one and at least 97% of the tests pass.
# Environment: MG_WAF_CORPUS, MG_CRS_REPLAY, MG_CRS_SETUP, MG_CRS_RULES,
# MG_WAF_TEST_CACHE (the compiled databases' cache; OUTDIR/cache if unset).
#
# modsec_reference.sh sources this file for corpus_settings, free_port,
# replay_corpus and stop_pid, so that ModSecurity v3 sees the same
# corpus, rules and settings and is judged the same way.
set -euo pipefail

waf_tests=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
replay_pid=

# Stops the process $1 names, if any (an EXIT trap's work).
stop_pid() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# Sets corpus, replay, setup, rules (environment first) and the
# regression settings file; exits 77 (meson: skipped) when one is missing.
corpus_settings() {
	local shared
	shared=$(cd "$waf_tests/../../../shared" 2>/dev/null && pwd) || shared=""
	corpus=${MG_WAF_CORPUS:-$shared/waf-corpus/crs-3.3.4}
	replay=${MG_CRS_REPLAY:-$shared/tools/crs_replay.py}
	setup=${MG_CRS_SETUP:-/etc/modsecurity/crs/crs-setup.conf}
	rules=${MG_CRS_RULES:-/usr/share/modsecurity-crs/rules}
	regression_setup=$waf_tests/crs-regression-setup.conf

	local f
	for f in "$corpus" "$replay" "$setup" "$rules"; do
		if [ ! -e "$f" ]; then
			echo "${0##*/}: $f is missing" >&2
			exit 77
		fi
	done
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# replay_corpus PORT OUTDIR ID-SOURCE-OPTION...: every test against
# 127.0.0.1:PORT into OUTDIR/results.json and OUTDIR/replay.txt, then
# prints the replay's group table. Failing tests are not an error here.
replay_corpus() {
	local port=$1 dir=$2
	shift 2
	rm -f "$dir/results.json"
	# In the background so that a signal's trap runs at once, not after
	# the whole corpus: bash runs traps between commands.
	python3 "$replay" --host 127.0.0.1 --port "$port" "$@" \
		--json "$dir/results.json" "$corpus" > "$dir/replay.txt" &
	replay_pid=$!
	wait "$replay_pid" || true
	replay_pid=
	[ -s "$dir/results.json" ] || { echo "${0##*/}: the replay failed:" >&2
		cat "$dir/replay.txt" >&2; return 1; }
	sed -n '/^group /,$p' "$dir/replay.txt"
}

run_corpus_main() {
	local waf=${1:?usage: run_corpus.sh MESHGATE_WAF [OUTDIR]}
	local out=${2:-$(mktemp -d /tmp/waf-corpus.XXXXXX)}
	local port

	corpus_settings
	mkdir -p "$out"
	port=$(free_port)
	# Empty before the start: a reused OUTDIR's old "serving on" would
	# end the wait below at once.
	: > "$out/serve.log"
	"$waf" --setup "$setup" --rules-dir "$rules" \
		--cache-dir "${MG_WAF_TEST_CACHE:-$out/cache}" \
		--pre "$regression_setup" --serve "$port" --quiet \
		--audit-log "$out/audit.log" > "$out/serve.log" 2>&1 &
	waf_pid=$!
	trap 'stop_pid "$replay_pid"; stop_pid "$waf_pid"' EXIT
	trap 'exit 130' INT TERM HUP

	# A cold start compiles the Hyperscan databases: give it time.
	for _ in $(seq 600); do
		grep -qs "serving on" "$out/serve.log" && break
		if ! kill -0 "$waf_pid" 2>/dev/null; then
			echo "run_corpus: meshgate-waf did not start:" >&2
			cat "$out/serve.log" >&2
			exit 1
		fi
		sleep 0.5
	done
	grep -q "serving on" "$out/serve.log" || { echo "run_corpus: no server" >&2; exit 1; }

	replay_corpus "$port" "$out" --header X-Meshgate-Waf-Rules
	python3 "$waf_tests/check_known.py" "$out/results.json" "$waf_tests/KNOWN_FAILURES.md"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	run_corpus_main "$@"
fi
