#!/usr/bin/env bash
# The WAF in the gateway (cfg/lab-waf.cfg): the OWASP CRS 3.3.4 regression
# corpus (../shared/waf-corpus) replayed with ../shared/tools/crs_replay.py
# from the client namespace through meshgate on the VIP, judged by the
# X-Meshgate-Waf-Rules header; at least 97% must pass and every failure
# must be a known one (tests/waf/KNOWN_FAILURES.md and, for the gateway,
# tests/waf/KNOWN_FAILURES_GATEWAY.md). Then blocking mode: an attack
# answered 403 and never reaching the endpoint, a benign request passing,
# the audit log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

shared=$(cd "$MG_ROOT/../shared" 2>/dev/null && pwd || true)
corpus=${MG_WAF_CORPUS:-$shared/waf-corpus/crs-3.3.4}
replay=${MG_CRS_REPLAY:-$shared/tools/crs_replay.py}
for f in "$corpus" "$replay" /usr/share/modsecurity-crs/rules /etc/modsecurity/crs/crs-setup.conf; do
	[ -e "$f" ] || { echo "waf.sh: $f is missing: skipped"; exit 77; }
done
lab_require
lab_up

cfg=$(lab_waf_cfg)
# A cold start compiles the rules' Hyperscan databases (about a minute on
# a loaded 2-core machine); later starts load them from the cache.
MG_START_TIMEOUT=300 mg_start "$cfg"
wait_for 10 in_client curl -sf -o /dev/null --max-time 2 http://10.10.0.100/

in_client /usr/bin/python3 "$replay" --host 10.10.0.100 --port 80 \
	--header X-Meshgate-Waf-Rules --json "$MG_TMP/results.json" "$corpus" \
	>"$MG_TMP/replay.txt" 2>&1 || true
sed -n '/^group /,$p' "$MG_TMP/replay.txt" | sed 's/^/# /' >&2
cat "$MG_ROOT/tests/waf/KNOWN_FAILURES.md" "$MG_ROOT/tests/waf/KNOWN_FAILURES_GATEWAY.md" \
	>"$MG_TMP/known.md"
check "CRS regression corpus through the gateway: >= 97% and only known failures" \
	/usr/bin/python3 "$MG_ROOT/tests/waf/check_known.py" "$MG_TMP/results.json" "$MG_TMP/known.md"
tail -n 12 "$MG_TMP/check.out" | sed 's/^/# /' >&2
check_ge "audit log: a JSON line per request that matched" 500 "$(wc -l <"$MG_TMP/waf-audit.log")"
check "audit lines carry the correlation header and rule ids" \
	grep -qE '"correlation":"[0-9]{6}-[0-9]+-.*"rule_ids":\[[0-9]' "$MG_TMP/waf-audit.log"
mg_stop

# --- blocking mode, paranoia level 1, cached databases ----------------------
cfg=$(lab_waf_cfg block)
sed -i 's|rules_header = true;|&\n\t\texclude_targets_by_tag = ( "attack-xss:ARGS:bio" );|' "$cfg"
MG_START_TIMEOUT=300 mg_start "$cfg"
check "the loader's notes are logged (initcol: no persistent collections)" \
	grep -q 'waf crs: .*initcol, expirevar' "$MG_LOG"
wait_for 10 in_client curl -sf -o /dev/null --max-time 2 http://10.10.0.100/
out=$(in_client curl -s --max-time 5 -w ' %{http_code}' "http://10.10.0.100/search?q=1%27%20or%201=1--")
check_match "block mode: SQL injection answered 403 with the JSON reason" \
	'"reason":"request blocked by the WAF".* 403$' "$out"
check_eq "block mode: a benign API request passes" 200 "$(in_client curl -s -o /dev/null \
	-w '%{http_code}' --max-time 5 -H 'Content-Type: application/json' \
	-d '{"user":"alice","note":"hello, world","tags":["a","b"]}' http://10.10.0.100/api/notes)"
out=$(in_client curl -s --max-time 5 -w ' %{http_code}' -d 'comment=<script>alert(1)</script>' \
	http://10.10.0.100/comments)
check_match "block mode: XSS in a form body (held and inspected) answered 403" ' 403$' "$out"
check_eq "block mode: the same in a field excluded from the XSS rules (by tag) passes" 200 \
	"$(in_client curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	-d 'bio=<script>alert(1)</script>' http://10.10.0.100/comments)"
check_ge "blocked requests counted" 2 "$(mg_telemetry /meshgate/http /meshgate/http waf_blocked)"
check_ge "bodies held for the CRS (its rules read ARGS and REQUEST_BODY)" 2 \
	"$(mg_telemetry /meshgate/http /meshgate/http waf_bodies_held)"
mg_stop
lab_done
