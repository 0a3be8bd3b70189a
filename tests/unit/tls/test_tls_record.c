/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The record layer with fixed keys: the RFC 8448 vectors, and both
 * backends against records built here directly on OpenSSL's EVP AES-GCM
 * (nonces, additional data, sequence numbers), both ways.
 */
#include <openssl/evp.h>

#include "tls_test.h"

static struct mg_tls_lcore *lc;
static const struct tls_aead_ops *const backends[] = {
	&tls_aead_ipsec_mb, &tls_aead_evp,
};

static size_t
unhex(const char *s, uint8_t *out)
{
	size_t n = 0;

	for (; s[0] && s[1]; s += 2) {
		unsigned v;

		while (*s == ' ')
			s++;
		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* RFC 8448 section 3, "Simple 1-RTT Handshake" */
#define RFC_C_AP_SECRET \
	"9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5"
#define RFC_S_AP_SECRET \
	"a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643"
#define RFC_C_AP_KEY "17422dda596ed5d9acd890e3c63f5051"
#define RFC_C_AP_IV "5b78923dee08579033e523d9"
#define RFC_S_AP_KEY "9f02283b6c9c07efc26bb9f2ac92e356"
#define RFC_S_AP_IV "cf782b88dd83549aadf1e984"
/* application data 00..31, client at seq 0, server at seq 1 */
#define RFC_C_RECORD \
	"1703030043a23f7054b62c94d0affafe8228ba55cbefacea42f914aa66bcab3f2b" \
	"9819a8a5b46b395bd54a9a20441e2b62974e1f5a6292a2977014bd1e3deae63aee" \
	"bb21694915e4"
#define RFC_S_RECORD \
	"17030300432e937e11ef4ac740e538ad36005fc4a46932fc3225d05f82aa1b36e3" \
	"0efaf97d90e6dffc602dcb501a59a8fcc49c4bf2e5f0a21c0047c2abf332540dd0" \
	"32e167c2955d"

static void
rec_init(struct tls_rec *r, const struct tls_aead_ops *ops, uint16_t version,
	 const uint8_t *key, uint32_t key_len, const uint8_t *iv)
{
	memset(r, 0, sizeof(*r));
	r->ops = ops;
	r->version = version;
	r->key_len = (uint8_t)key_len;
	MG_CHECK_EQ(ops->key_set(lc, &r->wr.key, key, key_len), 0);
	MG_CHECK_EQ(ops->key_set(lc, &r->rd.key, key, key_len), 0);
	memcpy(r->wr.iv, iv, 12);
	memcpy(r->rd.iv, iv, 12);
}

static void
test_rfc8448(void)
{
	static const struct {
		const char *secret, *key, *iv, *record;
		uint64_t seq;
	} dirs[] = {
		{ RFC_C_AP_SECRET, RFC_C_AP_KEY, RFC_C_AP_IV, RFC_C_RECORD, 0 },
		{ RFC_S_AP_SECRET, RFC_S_AP_KEY, RFC_S_AP_IV, RFC_S_RECORD, 1 },
	};
	uint8_t secret[32], key[16], iv[12], want[16], rec[128], out[128];
	uint8_t pt[50];

	for (unsigned i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)i;
	for (unsigned d = 0; d < 2; d++) {
		size_t rec_len = unhex(dirs[d].record, rec);

		/* HKDF-Expand-Label from the traffic secret */
		unhex(dirs[d].secret, secret);
		MG_CHECK_EQ(tls13_expand_label(lc, lc->sha256, secret, 32, "key",
					       key, 16), 0);
		unhex(dirs[d].key, want);
		MG_CHECK(memcmp(key, want, 16) == 0);
		MG_CHECK_EQ(tls13_expand_label(lc, lc->sha256, secret, 32, "iv",
					       iv, 12), 0);
		unhex(dirs[d].iv, want);
		MG_CHECK(memcmp(iv, want, 12) == 0);
		MG_CHECK_EQ(rec_len, 72);

		for (unsigned b = 0; b < 2; b++) {
			struct tls_rec r;
			uint8_t type = 0;

			rec_init(&r, backends[b], TLS1_3_VERSION, key, 16, iv);
			MG_CHECK_EQ(tls_rec_seal_one(&r, lc, TLS_CT_APP, pt,
						     sizeof(pt), dirs[d].seq,
						     &r.wr, out), rec_len);
			MG_CHECK(memcmp(out, rec, rec_len) == 0);
			MG_CHECK_EQ(tls_rec_open_one(&r, lc, rec,
						     (uint32_t)rec_len,
						     dirs[d].seq, &r.rd, out,
						     &type), (int)sizeof(pt));
			MG_CHECK_EQ(type, TLS_CT_APP);
			MG_CHECK(memcmp(out, pt, sizeof(pt)) == 0);
			/* the wrong sequence number fails */
			MG_CHECK_EQ(tls_rec_open_one(&r, lc, rec,
						     (uint32_t)rec_len,
						     dirs[d].seq + 1, &r.rd, out,
						     &type), -1);
			tls_rec_clear(&r);
		}
	}
}

/* Deterministic bytes: a fixed-seed xorshift. */
static uint64_t seed = 0x9e3779b97f4a7c15ull;

static void
det_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		p[i] = (uint8_t)seed;
	}
}

/*
 * A record built here with EVP, independently of the record layer:
 * TLS 1.3 (RFC 8446 5.2-5.3) or TLS 1.2 AES-GCM (RFC 5246 6.2.3.3,
 * RFC 5288 3) with the explicit nonce given.
 */
static uint32_t
ref_seal(uint16_t version, const uint8_t *key, uint32_t key_len,
	 const uint8_t *iv, uint64_t seq, uint64_t explicit, uint8_t type,
	 const uint8_t *p, uint32_t n, uint8_t *out)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	uint8_t nonce[12], aad[13], inner[TLS_MAX_PLAIN + 1];
	uint32_t aad_len, body, hdr = TLS_HDR, len;
	int outl;

	if (version == TLS1_3_VERSION) {
		memcpy(inner, p, n);
		inner[n] = type;
		p = inner;
		n++;
		memcpy(nonce, iv, 12);
		for (int i = 0; i < 8; i++)
			nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
		body = n + TLS_TAG;
		out[0] = TLS_CT_APP;
		aad_len = 5;
	} else {
		memcpy(nonce, iv, 4);
		for (int i = 0; i < 8; i++)
			nonce[4 + i] = (uint8_t)(explicit >> (56 - 8 * i));
		memcpy(out + TLS_HDR, nonce + 4, 8);
		hdr += 8;
		body = 8 + n + TLS_TAG;
		out[0] = type;
		for (int i = 0; i < 8; i++)
			aad[i] = (uint8_t)(seq >> (56 - 8 * i));
		aad[8] = type;
		aad[9] = 3;
		aad[10] = 3;
		aad[11] = (uint8_t)(n >> 8);
		aad[12] = (uint8_t)n;
		aad_len = 13;
	}
	out[1] = 3;
	out[2] = 3;
	out[3] = (uint8_t)(body >> 8);
	out[4] = (uint8_t)body;
	if (version == TLS1_3_VERSION)
		memcpy(aad, out, 5);
	EVP_EncryptInit_ex(x, key_len == 16 ? EVP_aes_128_gcm() :
			   EVP_aes_256_gcm(), NULL, key, nonce);
	EVP_EncryptUpdate(x, NULL, &outl, aad, (int)aad_len);
	EVP_EncryptUpdate(x, out + hdr, &outl, p, (int)n);
	EVP_EncryptFinal_ex(x, out + hdr + n, &outl);
	EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, TLS_TAG, out + hdr + n);
	EVP_CIPHER_CTX_free(x);
	len = hdr + n + TLS_TAG;
	return len;
}

static void
test_against_evp(void)
{
	static const uint32_t lens[] = {
		0, 1, 15, 16, 17, 255, 1024, 1500, 4096, 16383, 16384,
	};
	static const uint64_t seqs[] = {
		0, 1, 255, 256, 0x100000000ull, 0x1000000000005ull,
		UINT64_MAX - 1,
	};
	static uint8_t pt[TLS_MAX_PLAIN], ours[TLS_RX_CAP], ref[TLS_RX_CAP];
	static uint8_t back[TLS_RX_CAP];

	for (unsigned v = 0; v < 2; v++) {
		uint16_t version = v ? TLS1_3_VERSION : TLS1_2_VERSION;

		for (uint32_t kl = 16; kl <= 32; kl += 16) {
			uint8_t key[32], iv[12];
			struct tls_rec r[2];

			det_fill(key, sizeof(key));
			det_fill(iv, sizeof(iv));
			for (unsigned b = 0; b < 2; b++)
				rec_init(&r[b], backends[b], version, key, kl,
					 iv);
			for (unsigned li = 0; li < sizeof(lens) / sizeof(lens[0]);
			     li++) {
				uint32_t n = lens[li];
				uint64_t seq = seqs[li % 7];
				uint8_t type = li & 1 ? TLS_CT_APP :
						TLS_CT_HANDSHAKE;
				uint32_t rl;

				det_fill(pt, n);
				/* TLS 1.2: our explicit nonce is the seq */
				rl = ref_seal(version, key, kl, iv, seq, seq, type,
					      pt, n, ref);
				for (unsigned b = 0; b < 2; b++) {
					uint8_t t = 0;

					/* identical bytes, both backends */
					MG_CHECK_EQ(tls_rec_seal_one(&r[b], lc,
						type, pt, n, seq, &r[b].wr, ours),
						rl);
					MG_CHECK(memcmp(ours, ref, rl) == 0);
					/* and they open what EVP sealed */
					MG_CHECK_EQ(tls_rec_open_one(&r[b], lc,
						ref, rl, seq, &r[b].rd, back, &t),
						(int)n);
					MG_CHECK_EQ(t, type);
					MG_CHECK(memcmp(back, pt, n) == 0);
				}
				/* TLS 1.2: any explicit nonce opens */
				if (version == TLS1_2_VERSION) {
					uint8_t t;

					rl = ref_seal(version, key, kl, iv, seq,
						      0x0123456789abcdefull,
						      type, pt, n, ref);
					MG_CHECK_EQ(tls_rec_open_one(&r[0], lc,
						ref, rl, seq, &r[0].rd, back, &t),
						(int)n);
				}
			}
			tls_rec_clear(&r[0]);
			tls_rec_clear(&r[1]);
		}
	}
}

/* A batch in one backend call equals records one by one; one bad tag
 * fails its record only. */
static void
test_batch(void)
{
	static uint8_t pt[TLS_BATCH][3000], one[TLS_BATCH][3100];
	static uint8_t many[TLS_BATCH][3100], back[TLS_BATCH][3100];
	uint8_t key[32], iv[12];

	det_fill(key, sizeof(key));
	det_fill(iv, sizeof(iv));
	for (unsigned v = 0; v < 2; v++) {
		uint16_t version = v ? TLS1_3_VERSION : TLS1_2_VERSION;
		struct tls_rec r;
		struct tls_aead_op ops[TLS_BATCH];
		uint32_t lens[TLS_BATCH];

		rec_init(&r, &tls_aead_ipsec_mb, version, key, 32, iv);
		for (unsigned i = 0; i < TLS_BATCH; i++) {
			uint32_t n = 100 + 181 * i;

			det_fill(pt[i], n);
			lens[i] = tls_rec_seal_one(&r, lc, TLS_CT_APP, pt[i], n,
						   1000 + i, &r.wr, one[i]);
			/* the same records as one batch */
			memset(&ops[i], 0, sizeof(ops[i]));
			if (version == TLS1_3_VERSION) {
				many[i][0] = TLS_CT_APP;
				many[i][1] = many[i][2] = 3;
				many[i][3] = (uint8_t)((n + 17) >> 8);
				many[i][4] = (uint8_t)(n + 17);
				memcpy(ops[i].nonce, iv, 12);
				for (int k = 0; k < 8; k++)
					ops[i].nonce[11 - k] ^=
						(uint8_t)((uint64_t)(1000 + i) >> (8 * k));
				memcpy(ops[i].aad, many[i], 5);
				ops[i].aad_len = 5;
				ops[i].type = TLS_CT_APP;
				ops[i].seg[0] = (struct tls_aead_seg){
					pt[i], many[i] + 5, n };
				ops[i].seg[1] = (struct tls_aead_seg){
					&ops[i].type, many[i] + 5 + n, 1 };
				ops[i].n_seg = 2;
				ops[i].tag = many[i] + 5 + n + 1;
			} else {
				/* TLS 1.2: build with the single call, then
				 * re-seal the same body in place */
				memcpy(many[i], one[i], 13);
				memcpy(ops[i].nonce, iv, 4);
				memcpy(ops[i].nonce + 4, many[i] + 5, 8);
				for (int k = 0; k < 8; k++)
					ops[i].aad[7 - k] =
						(uint8_t)((uint64_t)(1000 + i) >> (8 * k));
				ops[i].aad[8] = TLS_CT_APP;
				ops[i].aad[9] = ops[i].aad[10] = 3;
				ops[i].aad[11] = (uint8_t)(n >> 8);
				ops[i].aad[12] = (uint8_t)n;
				ops[i].aad_len = 13;
				memcpy(many[i] + 13, pt[i], n);
				ops[i].seg[0] = (struct tls_aead_seg){
					many[i] + 13, many[i] + 13, n };
				ops[i].n_seg = 1;
				ops[i].tag = many[i] + 13 + n;
			}
		}
		tls_aead_ipsec_mb.seal(lc, &r.wr.key, ops, TLS_BATCH);
		for (unsigned i = 0; i < TLS_BATCH; i++) {
			MG_CHECK(ops[i].ok);
			MG_CHECK(memcmp(many[i], one[i], lens[i]) == 0);
		}
		/* open the batch with one tag spoiled */
		many[5][lens[5] - 1] ^= 0x80;
		for (unsigned i = 0; i < TLS_BATCH; i++) {
			uint32_t hdr = version == TLS1_3_VERSION ? 5 : 13;
			uint32_t n = lens[i] - hdr - TLS_TAG;

			ops[i].seg[0] = (struct tls_aead_seg){
				many[i] + hdr, back[i], n };
			ops[i].n_seg = 1;
			ops[i].tag = many[i] + hdr + n;
		}
		tls_aead_ipsec_mb.open(lc, &r.rd.key, ops, TLS_BATCH);
		for (unsigned i = 0; i < TLS_BATCH; i++) {
			MG_CHECK_EQ(ops[i].ok, i != 5);
			if (i != 5)
				MG_CHECK(memcmp(back[i], pt[i],
						version == TLS1_3_VERSION ?
						lens[i] - 22 : lens[i] - 29) == 0);
		}
		tls_rec_clear(&r);
	}
}

/* Nonces of TLS 1.3: the IV XOR the sequence number, right-aligned. */
static void
test_nonces(void)
{
	uint8_t key[16] = { 0 }, iv[12], rec[64], ref[64];
	struct tls_rec r;

	for (int i = 0; i < 12; i++)
		iv[i] = (uint8_t)(0xa0 + i);
	rec_init(&r, &tls_aead_ipsec_mb, TLS1_3_VERSION, key, 16, iv);
	for (uint64_t seq = 1; seq != 0; seq <<= 7) {
		uint32_t n = tls_rec_seal_one(&r, lc, TLS_CT_APP,
					      (const uint8_t *)"abc", 3, seq,
					      &r.wr, rec);

		MG_CHECK_EQ(ref_seal(TLS1_3_VERSION, key, 16, iv, seq, 0,
				     TLS_CT_APP, (const uint8_t *)"abc", 3,
				     ref), n);
		MG_CHECK(memcmp(rec, ref, n) == 0);
	}
	tls_rec_clear(&r);
}

int
main(int argc, char **argv)
{
	struct mg_tls_lcore_params lp = { 0 };

	lc = mg_tls_lcore_create(&lp, NULL, 0);
	MG_CHECK(lc != NULL);
	if (lc == NULL)
		return 1;
	test_rfc8448();
	test_against_evp();
	test_batch();
	test_nonces();
	mg_tls_lcore_free(lc);
	return mg_test_done("test_tls_record");
}
