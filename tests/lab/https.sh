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
check_eq "TLS 1.1 refused" 000 "$(code --tlsv1.1 --tls-max 1.1 https://api.lab.test/echo/a)"
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
mg_stop
lab_done
