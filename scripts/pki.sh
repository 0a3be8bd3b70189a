#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Make the lab's PKI (issue 5) into DIR with the openssl command line tool.
# Nothing here is secret: every run makes fresh keys, none is committed.
#
# Usage: pki.sh DIR          (DIR is created; files in it are replaced)
#
# What DIR holds afterwards (PEM unless said otherwise; keys unencrypted):
#
#   Edge server certificates, issued by the lab CA
#     ca.crt ca.key                 lab CA (ECDSA P-256): what clients trust
#     api-ecdsa.crt/.key            DNS api.lab.test, ECDSA P-256
#     api-rsa.crt/.key              DNS api.lab.test, RSA-2048
#     wildcard-ecdsa.crt/.key       DNS *.lab.test, ECDSA P-256
#     wildcard-rsa.crt/.key         DNS *.lab.test, RSA-2048
#     api-ecdsa.ocsp.der            DER OCSP response "good" for api-ecdsa.crt,
#                                   signed by the lab CA (the staple file)
#
#   Client certificates (mTLS at the edge)
#     client-ca.crt client-ca.key   CA the listener trusts for clients
#     client.crt/.key               valid: CN=client-1, URI
#                                   spiffe://lab.test/client/1, DNS
#                                   client-1.lab.test
#     client-expired.crt/.key       expired (valid 2020-01-01 to 2021-01-01)
#     client-revoked.crt/.key       revoked, listed in client-ca.crl
#     client-ca.crl                 CRL of client-ca (PEM)
#     client-ica.crt client-ica.key an intermediate CA under client-ca
#     client-chain.crt/.key         CN=client-2 issued by client-ica; the
#                                   .crt holds the leaf then client-ica
#     untrusted-ca.crt/.key         a CA nobody trusts
#     client-untrusted.crt/.key     CN=client-1 issued by untrusted-ca
#
#   The mesh (re-encryption to the endpoints)
#     mesh-ca.crt mesh-ca.key       mesh CA
#     meshgate.crt/.key             the appliance: URI
#                                   spiffe://mesh.local/ns/edge/sa/meshgate,
#                                   client and server auth
#     endpoint-N.crt/.key (N=1..3)  IP 10.20.0.1N and fd00:20::1N, DNS
#                                   endpoint-N.mesh.local, URI
#                                   spiffe://mesh.local/ns/lab/sa/endpoint-N
#
#   tickets.key                     two session-ticket keys, one per line,
#                                   base64 of 80 bytes (name 16, HMAC 32,
#                                   AES 32); the first one encrypts
#
# Validity is 825 days from now for everything but the expired client.

set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
OUT=$1
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d "$OUT/.pki.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

DAYS=825

# Extension sections for every kind of certificate; ALT is filled per
# certificate through the environment.
cat >"$WORK/ext.cnf" <<'EOF'
[ca_ext]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ica_ext]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[server_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = ${ENV::ALT}
authorityKeyIdentifier = keyid

[client_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = ${ENV::ALT}
authorityKeyIdentifier = keyid

[mesh_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = ${ENV::ALT}
authorityKeyIdentifier = keyid
EOF
export ALT=DNS:unused

# One `openssl ca` database per CA: it can back-date certificates
# (-startdate/-enddate, which `openssl x509 -req` in OpenSSL 3.0 cannot),
# revoke them, and answer OCSP from its index.
ca_conf() {
	local ca=$1 d="$WORK/db-$1"

	mkdir -p "$d/new"
	: >"$d/index.txt"
	openssl rand -hex 16 >"$d/serial"
	cat >"$d/ca.cnf" <<-EOF
	[ca]
	default_ca = this_ca
	[this_ca]
	dir = $d
	database = $d/index.txt
	new_certs_dir = $d/new
	serial = $d/serial
	certificate = $OUT/$ca.crt
	private_key = $OUT/$ca.key
	default_md = sha256
	default_days = $DAYS
	default_crl_days = $DAYS
	policy = any
	unique_subject = no
	copy_extensions = none
	[any]
	organizationName = optional
	commonName = supplied
	EOF
}

keygen() {	# keygen NAME ec|rsa
	if [ "$2" = rsa ]; then
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
			-out "$OUT/$1.key" 2>/dev/null
	else
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
			-out "$OUT/$1.key"
	fi
}

make_root() {	# make_root NAME "CN"
	keygen "$1" ec
	openssl req -new -x509 -key "$OUT/$1.key" -out "$OUT/$1.crt" \
		-days "$DAYS" -subj "/O=meshgate lab/CN=$2" -sha256 \
		-config "$WORK/ext.cnf" -extensions ca_ext
	ca_conf "$1"
}

# issue CA NAME KEYTYPE "CN" EXT ALT [ca options...]
issue() {
	local ca=$1 name=$2 kt=$3 cn=$4 ext=$5
	export ALT=$6
	shift 6
	keygen "$name" "$kt"
	openssl req -new -key "$OUT/$name.key" -subj "/O=meshgate lab/CN=$cn" \
		-out "$WORK/$name.csr"
	openssl ca -batch -notext -config "$WORK/db-$ca/ca.cnf" \
		-extfile "$WORK/ext.cnf" -extensions "$ext" \
		-in "$WORK/$name.csr" -out "$OUT/$name.crt" "$@" 2>/dev/null
	export ALT=DNS:unused
}

# Edge server certificates and the OCSP staple.
make_root ca "meshgate lab CA"
issue ca api-ecdsa ec api.lab.test server_ext DNS:api.lab.test
issue ca api-rsa rsa api.lab.test server_ext DNS:api.lab.test
issue ca wildcard-ecdsa ec '*.lab.test' server_ext 'DNS:*.lab.test'
issue ca wildcard-rsa rsa '*.lab.test' server_ext 'DNS:*.lab.test'
openssl ocsp -issuer "$OUT/ca.crt" -cert "$OUT/api-ecdsa.crt" \
	-reqout "$WORK/ocsp.req" -no_nonce >/dev/null
openssl ocsp -index "$WORK/db-ca/index.txt" -CA "$OUT/ca.crt" \
	-rsigner "$OUT/ca.crt" -rkey "$OUT/ca.key" -reqin "$WORK/ocsp.req" \
	-respout "$OUT/api-ecdsa.ocsp.der" -ndays 7 >/dev/null 2>&1

# Client certificates.
make_root client-ca "meshgate lab client CA"
issue client-ca client ec client-1 client_ext \
	'URI:spiffe://lab.test/client/1,DNS:client-1.lab.test'
issue client-ca client-expired ec client-expired client_ext \
	'DNS:client-expired.lab.test' \
	-startdate 200101000000Z -enddate 210101000000Z
issue client-ca client-revoked ec client-revoked client_ext \
	'DNS:client-revoked.lab.test'
openssl ca -config "$WORK/db-client-ca/ca.cnf" \
	-revoke "$OUT/client-revoked.crt" 2>/dev/null
openssl ca -config "$WORK/db-client-ca/ca.cnf" -gencrl \
	-out "$OUT/client-ca.crl" 2>/dev/null
# An intermediate: a chain of three for the verification depth.
issue client-ca client-ica ec "meshgate lab client ICA" ica_ext DNS:unused
ca_conf client-ica
issue client-ica client-chain ec client-2 client_ext \
	'URI:spiffe://lab.test/client/2'
cat "$OUT/client-ica.crt" >>"$OUT/client-chain.crt"
make_root untrusted-ca "untrusted CA"
issue untrusted-ca client-untrusted ec client-1 client_ext \
	'URI:spiffe://lab.test/client/1'

# The mesh.
make_root mesh-ca "meshgate lab mesh CA"
issue mesh-ca meshgate ec meshgate mesh_ext \
	'URI:spiffe://mesh.local/ns/edge/sa/meshgate'
for n in 1 2 3; do
	issue mesh-ca "endpoint-$n" ec "endpoint-$n" mesh_ext \
		"IP:10.20.0.1$n,IP:fd00:20::1$n,DNS:endpoint-$n.mesh.local,URI:spiffe://mesh.local/ns/lab/sa/endpoint-$n"
done

# Session-ticket keys shared by every worker (and every appliance).
{
	echo "# meshgate session-ticket keys: base64(name16 hmac32 aes32), first encrypts"
	for _ in 1 2; do openssl rand 80 | base64 -w0; echo; done
} >"$OUT/tickets.key"

chmod 600 "$OUT"/*.key
