#!/usr/bin/env bash
# The reference for meshgate-waf: ModSecurity v3 (Debian libmodsecurity3
# through libnginx-mod-http-modsecurity) with the same CRS 3.3.4 files and
# settings, replayed with the same corpus and tool, then compared test by
# test with meshgate-waf (tests/waf/REFERENCE.md explains the differences).
#
#   tests/waf/modsec_reference.sh MESHGATE_WAF [OUTDIR]
#
# Installs nginx and the ModSecurity module with apt-get when they are
# missing (root only), then starts a private nginx (prefix, configuration
# and logs in a mktemp directory OUTDIR/nginx.*, 127.0.0.1 and a free
# port; never the system service; stopped on any exit) that runs
# ModSecurity and proxies to a second server block answering 200.
# ModSecurity writes a JSON audit record for every request, which is
# where crs_replay.py reads the fired rules from. Writes
#   OUTDIR/modsec/results.json     every test against ModSecurity v3
#   OUTDIR/meshgate/results.json   every test against meshgate-waf
#                                  (run_corpus.sh, its checks included)
#   OUTDIR/compare.txt             both pass rates, every test whose
#                                  verdicts differ, the tests both fail
# Exit status: 0 when REFERENCE.md lists every test whose verdicts differ
# (a listed test that no longer differs is only reported, as
# check_known.py does), 77 when something needed is missing, 1 otherwise.
# Environment: as run_corpus.sh (MG_WAF_CORPUS, MG_CRS_REPLAY,
# MG_CRS_SETUP, MG_CRS_RULES).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/waf/run_corpus.sh
. "$here/run_corpus.sh"

waf=${1:?usage: modsec_reference.sh MESHGATE_WAF [OUTDIR]}
out=${2:-$(mktemp -d /tmp/modsec-ref.XXXXXX)}
nginx_bin=${MG_NGINX:-/usr/sbin/nginx}
modsec_module=/usr/lib/nginx/modules/ngx_http_modsecurity_module.so
unicode_map=/etc/nginx/unicode.mapping	# shipped with the module

corpus_settings
[ -x "$waf" ] || { echo "modsec_reference: $waf is not executable" >&2; exit 1; }

if [ ! -x "$nginx_bin" ] || [ ! -e "$modsec_module" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "modsec_reference: needs nginx and libnginx-mod-http-modsecurity (apt-get as root)" >&2
		exit 77
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		nginx libnginx-mod-http-modsecurity >&2
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out"/nginx.*	# an earlier run's, when OUTDIR is reused
ngx=$(mktemp -d "$out/nginx.XXXXXX")
mkdir -p "$ngx/tmp" "$out/modsec" "$out/meshgate"
nginx_pid="" meshgate_pid=""
trap 'stop_pid "$replay_pid"; stop_pid "$nginx_pid"; stop_pid "$meshgate_pid"' EXIT
trap 'exit 130' INT TERM HUP

port=$(free_port)
backend=$(free_port)
user_line=
[ "$(id -u)" -ne 0 ] || user_line="user $(id -un) $(id -gn);"

# Engine settings as meshgate-waf has them built in (request body access,
# JSON and XML body processors chosen by Content-Type, 1 MiB of body
# inspected, response bodies not inspected), the rest as Debian's
# /etc/nginx/modsecurity.conf; then the corpus run's files in its order.
{
	cat <<-EOF
	SecRuleEngine DetectionOnly
	SecRequestBodyAccess On
	SecRule REQUEST_HEADERS:Content-Type "^(?:application(?:/soap\+|/)|text/)xml" \\
	    "id:200000,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"
	SecRule REQUEST_HEADERS:Content-Type "^application/json" \\
	    "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
	SecRequestBodyLimit 1048576
	SecRequestBodyNoFilesLimit 1048576
	SecRequestBodyLimitAction ProcessPartial
	SecResponseBodyAccess Off
	SecArgumentSeparator &
	SecCookieFormat 0
	SecTmpDir $ngx/tmp
	SecDataDir $ngx/tmp
	SecAuditEngine On
	SecAuditLogType Serial
	SecAuditLogFormat JSON
	SecAuditLogParts ABHZ
	SecAuditLog $ngx/audit.log
	EOF
	[ ! -e "$unicode_map" ] || echo "SecUnicodeMapFile $unicode_map 20127"
	echo "Include $setup"
	echo "Include $regression_setup"
	echo "Include $rules/*.conf"
} > "$ngx/modsec.conf"

# proxy_pass rather than "return 200" in the inspected location: return
# ends the request in the rewrite phase, before the connector reads the
# body and runs phase 2.
cat > "$ngx/nginx.conf" <<EOF
$user_line
worker_processes 1;
pid $ngx/nginx.pid;
error_log $ngx/error.log warn;
load_module $modsec_module;
events { worker_connections 64; }
http {
	access_log $ngx/access.log;
	client_body_temp_path $ngx/tmp/body;
	proxy_temp_path $ngx/tmp/proxy;
	fastcgi_temp_path $ngx/tmp/fastcgi;
	uwsgi_temp_path $ngx/tmp/uwsgi;
	scgi_temp_path $ngx/tmp/scgi;
	client_max_body_size 16m;
	client_body_buffer_size 1m;
	server {
		listen 127.0.0.1:$port default_server;
		modsecurity on;
		modsecurity_rules_file $ngx/modsec.conf;
		location / {
			proxy_pass http://127.0.0.1:$backend;
		}
	}
	server {
		listen 127.0.0.1:$backend;
		location / {
			return 200 "ok\n";
		}
	}
}
EOF
touch "$ngx/audit.log"

start=$(date +%s)
"$nginx_bin" -p "$ngx" -c "$ngx/nginx.conf" -e "$ngx/error.log" \
	-g 'daemon off;' > "$ngx/stdout.log" 2>&1 &
nginx_pid=$!
listening() {
	python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
		"$1" 2>/dev/null
}
# nginx listens once ModSecurity has loaded the CRS (about a second).
for _ in $(seq 120); do
	listening "$port" && break
	if ! kill -0 "$nginx_pid" 2>/dev/null; then
		echo "modsec_reference: nginx did not start:" >&2
		cat "$ngx/stdout.log" "$ngx/error.log" >&2
		exit 1
	fi
	sleep 0.5
done
listening "$port" || { echo "modsec_reference: nginx does not listen on $port" >&2; exit 1; }

echo "== ModSecurity v3 $(dpkg-query -W -f '${Version}' libmodsecurity3 2>/dev/null || true)," \
	"nginx up with the CRS loaded in $(($(date +%s) - start)) s"
replay_corpus "$port" "$out/modsec" --log "$ngx/audit.log"
stop_pid "$nginx_pid"
nginx_pid=
modsec_secs=$(($(date +%s) - start))

echo "== meshgate-waf"
start=$(date +%s)
rm -f "$out/meshgate/results.json"
"$here/run_corpus.sh" "$waf" "$out/meshgate" > "$out/meshgate/run_corpus.txt" 2>&1 &
meshgate_pid=$!
wait "$meshgate_pid" || true	# its failing tests are in compare.txt
meshgate_pid=
cat "$out/meshgate/run_corpus.txt"
[ -s "$out/meshgate/results.json" ] || { echo "modsec_reference: run_corpus.sh failed" >&2; exit 1; }
meshgate_secs=$(($(date +%s) - start))

# Compare by test (a title the corpus repeats gets #2), then check the
# differences against the table in REFERENCE.md.
status=0
python3 - "$out/modsec/results.json" "$out/meshgate/results.json" \
	"$modsec_secs" "$meshgate_secs" "$here/REFERENCE.md" > "$out/compare.txt" <<'EOF' || status=1
import json
import re
import sys

def load(path):
    tests, seen = {}, {}
    with open(path, encoding="utf-8") as fd:
        for t in json.load(fd)["tests"]:
            n = seen[t["title"]] = seen.get(t["title"], 0) + 1
            tests[t["title"] if n == 1 else "%s#%d" % (t["title"], n)] = t
    return tests

def rate(tests):
    judged = [t for t in tests.values() if t["result"] != "skip"]
    passed = sum(t["result"] == "pass" for t in judged)
    return passed, len(judged)

def what(t):
    if t is None:
        return "not run"
    fired = sorted({i for s in t["stages"] for i in s.get("fired", [])}, key=int)
    status = ",".join(str(s["status"] if s["status"] is not None else s["error"])
                      for s in t["stages"])
    text = "%s (status %s; fired %s)" % (t["result"], status or "-",
                                          " ".join(fired) or "-")
    if t.get("reasons"):
        text += ": " + "; ".join(r for r in t["reasons"] if not r.startswith("[got"))
    return text

def explained(path):
    """Test ids in the first column of REFERENCE.md's tables."""
    ids = set()
    with open(path, encoding="utf-8") as fd:
        for line in fd:
            m = re.match(r"^\|\s*`?([0-9]{6}-[0-9]+(?:#[0-9]+)?)`?\s*\|", line)
            if m:
                ids.add(m.group(1))
    return ids

def order(title):
    return [int(x) for x in re.findall(r"[0-9]+", title)]

modsec, meshgate = load(sys.argv[1]), load(sys.argv[2])
for name, tests, secs in (("ModSecurity v3", modsec, sys.argv[3]),
                          ("meshgate-waf", meshgate, sys.argv[4])):
    p, n = rate(tests)
    print("%-15s %4d/%-4d %6.2f%%  (%s s)" % (name, p, n, 100.0 * p / n if n else 0, secs))
titles = sorted(set(modsec) | set(meshgate), key=order)
diff = [t for t in titles
        if (modsec.get(t) or {}).get("result") != (meshgate.get(t) or {}).get("result")]
both = [t for t in titles if t not in diff and modsec[t]["result"] == "fail"]
for head, chosen in (("tests with different verdicts", diff), ("tests both fail", both)):
    print("\n%d %s" % (len(chosen), head))
    for t in chosen:
        print("%s\n  modsec:   %s\n  meshgate: %s" % (t, what(modsec.get(t)), what(meshgate.get(t))))
listed = explained(sys.argv[5])
bad = 0
for t in diff:
    if t not in listed:
        print("NOT IN REFERENCE.md: %s" % t)
        bad += 1
for t in sorted(listed - set(diff), key=order):
    print("same verdict now (listed in REFERENCE.md): %s" % t)
sys.exit(1 if bad else 0)
EOF
cat "$out/compare.txt"
exit "$status"
