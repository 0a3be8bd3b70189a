#!/usr/bin/env bash
# TLS at the edge and mTLS to the mesh (cfg/lab-https.cfg) with real
# clients: curl, openssl s_client (resumption), gnutls-cli (a second TLS
# implementation); the lab's nginx endpoints on :443 require the mesh
# client certificate. The PKI is the lab's (scripts/pki.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require sha256sum openssl gnutls-cli
lab_up

pki=${MG_LAB_STATE:-/run/meshgate-lab}/pki
cfg=$MG_TMP/lab-https.cfg
sed "s|/run/meshgate-lab/pki|$pki|g" "$MG_ROOT/cfg/lab-https.cfg" >"$cfg"
mg_start "$cfg"

res="--resolve api.lab.test:443:10.10.0.100 --resolve api.lab.test:8443:10.10.0.100"
res="$res --resolve www.lab.test:443:10.10.0.100 --resolve other.example:443:10.10.0.100"
# curl to the edge, trusting the lab CA: code, then what curl says
tc() { in_client curl -s --max-time 10 --cacert "$pki/ca.crt" $res "$@"; }
code() { tc -o /dev/null -w '%{http_code}' "$@" || true; }
wait_for 10 tc -f -o /dev/null https://api.lab.test/echo/up

# --- termination -----------------------------------------------------------
check_eq "HTTPS to api.lab.test (TLS 1.3, IPsec-MB record path)" 200 \
	"$(code --tlsv1.3 https://api.lab.test/echo/a)"
check_eq "TLS 1.2" 200 "$(code --tlsv1.2 --tls-max 1.2 https://api.lab.test/echo/a)"
tls_failures() { mg_telemetry /meshgate/http /meshgate/http tls_failures; }
before=$(tls_failures)
check_eq "TLS 1.1 refused" 000 "$(code --tlsv1.1 --tls-max 1.1 https://api.lab.test/echo/a)"
sleep 0.5	# the connection's last events (the alert sent, the FIN)
check_eq "... a failed handshake counted once in tls_failures" 1 "$(($(tls_failures) - before))"
check_eq "SNI *.lab.test: the wildcard certificate" 200 "$(code https://www.lab.test/echo/a)"
cn=$(in_client openssl s_client -connect 10.10.0.100:443 -servername other.example \
	</dev/null 2>/dev/null | sed -n 's/^subject=.*CN = \([^,]*\).*/\1/p')
check_eq "unknown SNI: the default certificate" api.lab.test "$cn"
for sig in ECDSA RSA; do
	alg=$(in_client openssl s_client -connect 10.10.0.100:443 -servername api.lab.test \
		-tls1_2 -cipher "ECDHE-$sig-AES128-GCM-SHA256" </dev/null 2>/dev/null |
		grep -c "Cipher is ECDHE-$sig" || true)
	check_eq "ECDSA and RSA certificates: a $sig-only TLS 1.2 client is served" 1 "$alg"
done
alpn=$(in_client openssl s_client -connect 10.10.0.100:443 -servername api.lab.test \
	-alpn http/1.1 </dev/null 2>/dev/null | grep -c 'ALPN protocol: http/1.1' || true)
check_eq "ALPN http/1.1" 1 "$alpn"
check_fail "ALPN h2 only: refused" in_client openssl s_client -connect 10.10.0.100:443 \
	-servername api.lab.test -alpn h2 </dev/null
xf=$(tc https://api.lab.test/echo/fwd | /usr/bin/python3 -c \
	'import json,sys; print(dict((k.lower(),v) for k,v in json.load(sys.stdin)["headers"])["x-forwarded-proto"])')
check_eq "X-Forwarded-Proto: https" https "$xf"

# --- resumption with tickets (openssl s_client -sess_out / -sess_in) --------
# (TLS 1.3 tickets come after the handshake: s_client stays a moment)
sleep 1 | in_client openssl s_client -connect 10.10.0.100:443 -servername api.lab.test \
	-sess_out "$MG_TMP/sess" >/dev/null 2>&1 || true
reused=$(sleep 1 | in_client openssl s_client -connect 10.10.0.100:443 \
	-servername api.lab.test -sess_in "$MG_TMP/sess" 2>/dev/null | grep -c '^Reused' || true)
check_eq "session ticket: second connection resumed" 1 "$reused"

# --- gnutls-cli, an independent implementation --------------------------------
out=$(printf 'GET /echo/gnutls HTTP/1.1\r\nHost: api.lab.test\r\nConnection: close\r\n\r\n' |
	in_client gnutls-cli --x509cafile="$pki/ca.crt" --port 443 --sni-hostname api.lab.test \
	--verify-hostname api.lab.test 10.10.0.100 2>&1 || true)
check_match "gnutls-cli: handshake and a response" 'HTTP/1.1 200' "$out"

# --- client certificates ------------------------------------------------------
check_eq "route requiring a client certificate, none sent: 403" 403 \
	"$(code https://api.lab.test/secure/x)"
xfcc=$(tc --cert "$pki/client.crt" --key "$pki/client.key" https://api.lab.test/secure/x |
	/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)
print(dict((k.lower(),v) for k,v in d["headers"]).get("x-forwarded-client-cert",""))')
check_match "valid client certificate: 200 with x-forwarded-client-cert" \
	'Subject="CN=client-1,O=meshgate lab";URI=spiffe://lab.test/client/1' "$xfcc"
check_eq "expired client certificate refused" 000 \
	"$(code --cert "$pki/client-expired.crt" --key "$pki/client-expired.key" https://api.lab.test/secure/x)"
check_eq "client certificate of an untrusted CA refused" 000 \
	"$(code --cert "$pki/client-untrusted.crt" --key "$pki/client-untrusted.key" https://api.lab.test/secure/x)"
check_eq "revoked client certificate refused (CRL)" 000 \
	"$(code --cert "$pki/client-revoked.crt" --key "$pki/client-revoked.key" https://api.lab.test/secure/x)"
check_eq "client certificate optional: none is fine elsewhere" 200 "$(code https://api.lab.test/echo/x)"

# --- re-encryption to the mesh ---------------------------------------------------
ids=$(for i in 1 2 3 4 5 6; do tc https://api.lab.test/mesh/; done | sort -u)
check_match "mTLS to nginx endpoints that require the mesh certificate" \
	'endpoint 10.20.0.1[1-3] tls TLSv1.3 client CN=meshgate' "$ids"
check_eq "... all three endpoints reached" 3 "$(echo "$ids" | wc -l)"
check_match "expected SPIFFE ID verified" 'endpoint 10.20.0.11 tls' "$(tc https://api.lab.test/mesh-one/)"
check_eq "SPIFFE ID mismatch: 502" 502 "$(code https://api.lab.test/mesh-wrong/)"
# nginx on :443 answers plain HTTP with 400: only probes in mTLS pass (a
# first probe may fail while the endpoints' addresses are resolved)
probes_ok_at_least() {
	[ "$(mg_telemetry /meshgate/endpoints /meshgate/endpoints "mesh/$1" probes_ok)" -ge 2 ]
}
for i in 0 1 2; do
	wait_for 10 probes_ok_at_least "$i" || true
	check_eq "HTTP health check over mTLS: mesh endpoint $i up, probes passing" "up ok" \
		"$(mg_telemetry /meshgate/endpoints /meshgate/endpoints mesh/$i state) $(probes_ok_at_least "$i" && echo ok)"
done
check_ge "upstream TLS failures counted" 1 \
	"$(mg_telemetry /meshgate/http /meshgate/http upstream_tls_failures)"

# --- 1 GiB both ways, on both record paths -----------------------------------------
big=$((1 << 30))
want=$(in_backend curl -s --max-time 120 "http://10.20.0.11:8080/bytes/$big?seed=5" | sha256sum | cut -d' ' -f1)
zero=$(head -c $big /dev/zero | sha256sum | cut -d' ' -f1)
for port in 443 8443; do
	got=$(tc --max-time 300 "https://api.lab.test:$port/bytes/$big?seed=5" | sha256sum | cut -d' ' -f1)
	check_eq "1 GiB download through TLS on :$port intact (SHA-256)" "$want" "$got"
	up=$(in_client bash -c "head -c $big /dev/zero | curl -s --max-time 300 --cacert $pki/ca.crt \
		$res -T - -X POST https://api.lab.test:$port/upload" |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["sha256"])' || true)
	check_eq "1 GiB upload through TLS on :$port intact (SHA-256)" "$zero" "$up"
done

check_ge "TLS handshakes counted" 10 "$(mg_telemetry /meshgate/http /meshgate/http tls_handshakes)"
check_ge "TLS failures counted" 3 "$(mg_telemetry /meshgate/http /meshgate/http tls_failures)"
check_ge "failures by reason: bad client certificates" 3 \
	"$(($(mg_telemetry /meshgate/tls /meshgate/tls listener_edge error_cert_expired) +
	   $(mg_telemetry /meshgate/tls /meshgate/tls listener_edge error_cert_untrusted) +
	   $(mg_telemetry /meshgate/tls /meshgate/tls listener_edge error_cert_revoked)))"
check_ge "failures by reason: ALPN h2 only" 1 \
	"$(mg_telemetry /meshgate/tls /meshgate/tls listener_edge error_no_application_protocol)"
check_ge "failures by reason: SPIFFE ID mismatch (cluster side)" 1 \
	"$(mg_telemetry /meshgate/tls /meshgate/tls cluster_mesh_wrong error_san_mismatch)"

# --- testssl.sh: nothing weak offered ------------------------------------------------
# Protocols, cipher categories and the vulnerability checks; any finding
# above INFO (or a WARN: a check that could not run) fails. testssl.sh's
# notes on its own openssl (no GOST engine, an old version) say nothing of
# the server: left out.
out=$MG_TMP/testssl.json
in_client testssl --quiet --color 0 --warnings off --ip 10.10.0.100 \
	--add-ca "$pki/ca.crt" -p -s -U --jsonfile "$out" api.lab.test:443 \
	>"$MG_TMP/testssl.txt" 2>&1 || true
flagged=$(/usr/bin/python3 - "$out" <<-'PY'
	import json, sys
	try:
	    findings = json.load(open(sys.argv[1]))
	except (OSError, ValueError) as e:
	    sys.exit("no testssl.sh result: %s" % e)
	client = ("engine_problem", "old_fart", "too_old_openssl")
	bad = [f for f in findings
	       if f.get("severity") in ("LOW", "MEDIUM", "HIGH", "CRITICAL", "WARN")
	       and f.get("id") not in client]
	for f in bad:
	    print("%s %s: %s" % (f["severity"], f["id"], f["finding"]))
	print(len(bad) if findings else "none")
	PY
)
check_eq "testssl.sh: no vulnerability or weak protocol flagged" 0 "$(echo "$flagged" | tail -n1)"
[ "$(echo "$flagged" | tail -n1)" = 0 ] || echo "$flagged" | sed 's/^/#   /' >&2
mg_stop

# --- two workers: resumption, handshake timeout, ticket key rotation,
# certificate reload -------------------------------------------------------------
# A PKI copy of our own (the reload re-issues a certificate), two workers,
# a 1 s handshake timeout.
pki2=$MG_TMP/pki
cp -r "$pki" "$pki2"
sed -e "s|/run/meshgate-lab/pki|$pki2|g" -e 's/workers = 1;/workers = 2;/' \
	-e 's|\(ticket_keys = .*;\)|\1 handshake_timeout_ms = 1000;|' \
	"$MG_ROOT/cfg/lab-https.cfg" >"$cfg"
pki=$pki2
mg_start "$cfg"
wait_for 10 tc -f -o /dev/null https://api.lab.test/echo/up

sleep 1 | in_client openssl s_client -connect 10.10.0.100:443 -servername api.lab.test \
	-sess_out "$MG_TMP/sess2" >/dev/null 2>&1 || true
reused=0
for i in $(seq 16); do
	# each connection from another source port: RSS spreads them
	in_client openssl s_client -connect 10.10.0.100:443 -servername api.lab.test \
		-sess_in "$MG_TMP/sess2" </dev/null 2>/dev/null | grep -q '^Reused' &&
		reused=$((reused + 1))
done
check_eq "two workers: 16 of 16 connections resumed" 16 "$reused"
sleep 0.3	# the workers publish their TLS counters every 100 ms
for w in 0 1; do
	check_ge "... resumptions on worker $w (one ticket, both workers)" 1 \
		"$(mg_telemetry /meshgate/tls /meshgate/tls listener_edge resumed_worker$w)"
done

# A client that connects and says nothing: closed after the handshake timeout.
silent=$(in_client /usr/bin/python3 -c '
import socket
s = socket.create_connection(("10.10.0.100", 443), timeout=10)
try:
    print("closed" if s.recv(100) == b"" else "data")
except OSError as e:
    print(type(e).__name__)')
check_eq "silent client closed by the handshake timeout" closed "$silent"
sleep 0.3
check_ge "... counted as handshake-timeout" 1 \
	"$(mg_telemetry /meshgate/tls /meshgate/tls listener_edge error_handshake_timeout)"

# Reloads on SIGHUP: the main lcore logs each worker's result.
reloads_at_least() {
	[ "$(grep -c 'TLS reload on worker 1' "$MG_LOG" || true)" -ge "$1" ]
}
wait_reloads() { wait_for 10 reloads_at_least "$1"; }

# Ticket keys rotated on a schedule (scripts/rotate-ticket-keys.sh, KEEP 2):
# a ticket of the previous key still resumes; two rotations on, it does not.
resumes() {
	sleep 0.5 | in_client openssl s_client -connect 10.10.0.100:443 \
		-servername api.lab.test -sess_in "$MG_TMP/sess2" 2>/dev/null |
		grep -c '^Reused' || true
}
"$MG_ROOT/scripts/rotate-ticket-keys.sh" "$pki/tickets.key" 2 "$MG_PID"
wait_reloads 1
check_eq "ticket keys rotated: a ticket of the previous key still resumes" 1 "$(resumes)"
"$MG_ROOT/scripts/rotate-ticket-keys.sh" "$pki/tickets.key" 2 "$MG_PID"
wait_reloads 2
check_eq "... two rotations on, it no longer does (a full handshake)" 0 "$(resumes)"

# Certificate reload on SIGHUP: a renewed api.lab.test certificate is served
# to new connections, while a transfer begun before it goes on intact.
serial() {
	in_client openssl s_client -connect 10.10.0.100:443 -servername api.lab.test \
		-sigalgs ECDSA+SHA256 </dev/null 2>/dev/null |
		openssl x509 -noout -serial 2>/dev/null | cut -d= -f2
}
old_serial=$(serial)
want=$(in_backend curl -s --max-time 120 "http://10.20.0.11:8080/bytes/$((64 << 20))?seed=9" |
	sha256sum | cut -d' ' -f1)
tc --limit-rate 8M --max-time 120 "https://api.lab.test/bytes/$((64 << 20))?seed=9" \
	>"$MG_TMP/slow.bin" &
slow=$!
sleep 1
openssl req -new -key "$pki/api-ecdsa.key" -subj "/O=meshgate lab/CN=api.lab.test" \
	-out "$MG_TMP/renew.csr" 2>/dev/null
printf 'subjectAltName = DNS:api.lab.test\nextendedKeyUsage = serverAuth\n' >"$MG_TMP/renew.ext"
openssl x509 -req -in "$MG_TMP/renew.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
	-set_serial 0x5eed2026 -days 30 -extfile "$MG_TMP/renew.ext" \
	-out "$MG_TMP/renewed.crt" 2>/dev/null
cp "$MG_TMP/renewed.crt" "$pki/api-ecdsa.crt"
kill -HUP "$MG_PID"
wait_reloads 3
check_eq "after SIGHUP: the renewed certificate served" 5EED2026 "$(serial)"
check "... old serial was another" test "$old_serial" != 5EED2026
wait "$slow" || true
check_eq "... a download begun before the reload finished intact" "$want" \
	"$(sha256sum <"$MG_TMP/slow.bin" | cut -d' ' -f1)"
echo garbage >"$pki/api-ecdsa.crt"
kill -HUP "$MG_PID"
wait_for 10 grep -q "TLS reload on worker 1 failed, old certificates kept" "$MG_LOG"
check_eq "a bad certificate file: reload refused, the previous one still served" \
	5EED2026 "$(serial)"
check_match "... the error names the file" "api-ecdsa.crt" "$(grep 'reload on worker 0 failed' "$MG_LOG")"
check_ge "... reloads counted" 2 "$(mg_telemetry /meshgate/http /meshgate/http tls_reloads)"
check_ge "... failed reloads counted" 2 "$(mg_telemetry /meshgate/http /meshgate/http tls_reload_failures)"
mg_stop
lab_done
