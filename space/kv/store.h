/*
 * kv's tables and their codecs (aion/kv.h): pure C, no system calls, so
 * meshd's state machine (mesh/cstate.c), kv's instances (request checks,
 * space/kv/main.c) and the host tests (tests/unit/test_kv_store.c)
 * compile the same file.
 *
 * A write goes in two steps: kv_store_prepare computes, without changing
 * the store, what the write does and what the client hears (a kv_rec);
 * kv_store_commit applies a kv_rec. A record is the effect, not the
 * request (kv_rec_encode gives it bytes).
 *
 * Wire records (little-endian integers, strings as length byte + bytes):
 *   kv_rec        client u64, seq u64, err i32, w1 u64, set u8, key, value
 *   snapshot      a sequence of items, none split across chunks:
 *     'K' key value                               one key
 *     'C' client u64, seq u64, used u64, err i32, w1 u64, value
 *                                                 one client's last write
 */
#ifndef KV_STORE_H
#define KV_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "aion/error.h"
#include "aion/kv.h"

struct kv_entry {
	char key[KV_KEY_MAX + 1];       /* "" : free slot */
	char value[KV_VALUE_MAX + 1];
};

/* A client's last write and what it was told. */
struct kv_client {
	uint64_t id;                    /* 0: free slot */
	uint64_t seq;
	uint64_t used;                  /* store tick of its last write (LRU) */
	uint64_t w1;
	int32_t err;
	char value[KV_VALUE_MAX + 1];
};

struct kv_store {
	struct kv_entry keys[KV_KEYS_MAX];
	struct kv_client clients[KV_CLIENTS_MAX];
	uint64_t tick;                  /* grows by one per committed write */
};

/* A client's request, decoded and checked (kv_req_decode). */
struct kv_req {
	uint32_t label;                 /* KV_GET .. KV_ADD */
	uint64_t client, seq;
	char key[KV_KEY_MAX + 1];
	char a[KV_VALUE_MAX + 1];       /* PUT value, CAS expected, ADD number */
	char b[KV_VALUE_MAX + 1];       /* CAS new */
};

/* The outcome of one write: its effect and its answer. */
struct kv_rec {
	uint64_t client, seq;
	int32_t err;                    /* 0 or -AION_E... the client hears */
	uint8_t set;                    /* 1: key takes value */
	uint64_t w1;                    /* ADD: the new number */
	char key[KV_KEY_MAX + 1];
	char value[KV_VALUE_MAX + 1];   /* the key's value after the write ("" absent) */
};

/* Items of KV_KEYS_MAX keys and KV_CLIENTS_MAX clients: a snapshot cursor's end. */
#define KV_SNAP_END     (KV_KEYS_MAX + KV_CLIENTS_MAX)

void kv_store_reset(struct kv_store *s);
unsigned kv_store_keys(const struct kv_store *s);
/* The value of key, or NULL. */
const char *kv_store_get(const struct kv_store *s, const char *key);

/* Checks and decodes a client call: 0, -AION_EMALFORMED or -AION_EINVAL. */
int kv_req_decode(uint32_t label, uint64_t w1, uint64_t w2, const uint8_t *p, size_t len,
		  struct kv_req *req);
/* Appends one field (s: len bytes) at p + *at, within size: 0 or -AION_ERANGE. */
int kv_field_put(uint8_t *p, size_t size, size_t *at, const char *s, size_t len);

/*
 * Was this write seen? 1: rec holds the remembered answer (seq equals the
 * client's last); 0: new; -AION_ERANGE: seq below the client's last.
 */
int kv_store_seen(const struct kv_store *s, const struct kv_req *req, struct kv_rec *rec);
/* What the write req (not seen) does to s; s does not change. */
void kv_store_prepare(const struct kv_store *s, const struct kv_req *req, struct kv_rec *rec);
/* Applies rec and remembers its answer: 0, or -AION_ENOSPC (no free key). */
int kv_store_commit(struct kv_store *s, const struct kv_rec *rec);

/* Encodes rec: its length (at most size), or 0 when it does not fit. */
size_t kv_rec_encode(const struct kv_rec *rec, uint8_t *p, size_t size);
int kv_rec_decode(const uint8_t *p, size_t len, struct kv_rec *rec);

/*
 * Encodes the next items from *cursor (start at 0) into p, at most size
 * bytes (at least 128), and advances *cursor; the chunk is the last when
 * *cursor == KV_SNAP_END afterwards. Returns the length.
 */
size_t kv_snap_chunk(const struct kv_store *s, unsigned *cursor, uint8_t *p, size_t size);
/* Adds a chunk's items to s: 0, -AION_EMALFORMED or -AION_ENOSPC. */
int kv_snap_apply(struct kv_store *s, const uint8_t *p, size_t len);

#endif /* KV_STORE_H */
