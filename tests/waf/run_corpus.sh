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
# Environment: MG_WAF_CORPUS, MG_CRS_REPLAY, MG_CRS_SETUP, MG_CRS_RULES.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
waf=${1:?usage: run_corpus.sh MESHGATE_WAF [OUTDIR]}
out=${2:-$(mktemp -d /tmp/waf-corpus.XXXXXX)}
shared=$(cd "$here/../../../shared" 2>/dev/null && pwd || true)
corpus=${MG_WAF_CORPUS:-$shared/waf-corpus/crs-3.3.4}
replay=${MG_CRS_REPLAY:-$shared/tools/crs_replay.py}
setup=${MG_CRS_SETUP:-/etc/modsecurity/crs/crs-setup.conf}
rules=${MG_CRS_RULES:-/usr/share/modsecurity-crs/rules}

for f in "$corpus" "$replay" "$setup" "$rules"; do
	if [ ! -e "$f" ]; then
		echo "run_corpus: $f is missing" >&2
		exit 77	# meson: skipped
	fi
done
mkdir -p "$out"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

"$waf" --setup "$setup" --rules-dir "$rules" --cache-dir "$out/cache" \
	--pre "$here/crs-regression-setup.conf" --serve "$port" --quiet \
	--audit-log "$out/audit.log" > "$out/serve.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT

# A cold start compiles the Hyperscan databases: give it time.
for _ in $(seq 600); do
	grep -q "serving on" "$out/serve.log" && break
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "run_corpus: meshgate-waf did not start:" >&2
		cat "$out/serve.log" >&2
		exit 1
	fi
	sleep 0.5
done
grep -q "serving on" "$out/serve.log" || { echo "run_corpus: no server" >&2; exit 1; }

python3 "$replay" --host 127.0.0.1 --port "$port" \
	--header X-Meshgate-Waf-Rules --json "$out/results.json" "$corpus" \
	> "$out/replay.txt" || true
sed -n '/^group /,$p' "$out/replay.txt"
python3 "$here/check_known.py" "$out/results.json" "$here/KNOWN_FAILURES.md"
