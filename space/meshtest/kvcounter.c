/*
 * meshtest's kv-counter role (main.c lists the roles): a client of the
 * replicated store that checks every acknowledged answer, so a lost or a
 * doubled update shows in the log the moment it happens, and logs how
 * long a failover kept it waiting (tests/cluster/cluster_failover.py,
 * bench/failover).
 */
#include "aion/kv.h"
#include "common/cmdline.h"
#include "common/format.h"
#include "meshtest.h"

#define KV_PAUSE_NS     (100 * MS)
#define KV_PROGRESS     100
#define KV_SLOW_NS      (50 * MS)       /* a call this long waited out a failover */

/* An error after which a kv call cannot succeed by being sent again. */
static int kv_final(int64_t err)
{
	return err == -AION_EINVAL || err == -AION_EMALFORMED || err == -AION_ERANGE ||
	       err == -AION_ENOSPC || err == -AION_ENOENT;
}

/*
 * A kv-counter client. It alone writes its key ("counter-N", N its node),
 * so every acknowledged ADD of 1 must answer the last acknowledged value
 * plus one: each answer is checked, not only the total at the end.
 */
struct kv_client {
	struct aion_ipc_buffer *b;
	aion_handle_t kv;
	uint64_t id;                    /* random, nonzero: the store's client id */
	char key[KV_KEY_MAX + 1];
	uint64_t value;                 /* the last acknowledged value of key */
	uint64_t epoch;                 /* of the instance that gave the last answer */
	unsigned acked, retries, lost, doubled;
};

/*
 * One kv call, sent again with the same seq until it is answered: one line
 * per failure, and one when it succeeds after failures, after a wait a
 * normal call never takes, or from an instance of another epoch than the
 * last answer's (a new primary: the first call after a failover, however
 * short the wait; a call parked by meshd while the proxy re-binds fails
 * nothing). That line names the epoch that answered and the one before,
 * so a slow call the old primary still answered is not taken for the
 * failover's end (bench/failover). Counts the retries.
 */
static int64_t kv_until_done(struct kv_client *c, uint32_t label, uint64_t seq,
			     const char *const *f, unsigned n, char *out)
{
	uint64_t start = aion_clock_ns(), epoch = 0;
	int64_t err, last = 0;
	while ((err = mesh_kv_call(c->kv, c->b, label, label == KV_GET ? 0 : c->id, seq, f, n,
				   out, KV_VALUE_MAX + 1, &epoch))) {
		if (kv_final(err))
			return err;
		c->retries++;
		last = err;
		aion_printf("meshtest: kv-counter fail seq=%lu err=%s executed=%s",
			    (unsigned long)seq, aion_error_name(err),
			    err == -AION_EINDOUBT ? "maybe" : "no");
		aion_sleep_ns(KV_PAUSE_NS);
	}
	if (last || aion_clock_ns() - start >= KV_SLOW_NS || (c->epoch && epoch != c->epoch))
		aion_printf("meshtest: kv-counter resumed gap_ms=%lu err=%s epoch=%lu prev_epoch=%lu "
			    "op=%s seq=%lu", (unsigned long)((aion_clock_ns() - start) / MS),
			    last ? aion_error_name(last) : "none", (unsigned long)epoch,
			    (unsigned long)c->epoch, label == KV_GET ? "get" : "add",
			    (unsigned long)seq);
	c->epoch = epoch;
	return 0;
}

/*
 * Checks the answer to an acknowledged ADD of 1 (value: the key's new
 * value). Not above the last acknowledged value: the store lost an
 * acknowledged increment. More than one above: it applied one twice.
 */
static void kv_check(struct kv_client *c, uint64_t seq, const char *value)
{
	uint64_t got = cmdline_decimal(value), want = c->value + 1;
	if (got != want) {
		if (got < want)
			c->lost++;
		else
			c->doubled++;
		aion_printf("meshtest: kv-counter %s seq=%lu value=%lu expected=%lu epoch=%lu",
			    got < want ? "lost" : "doubled", (unsigned long)seq,
			    (unsigned long)got, (unsigned long)want, (unsigned long)c->epoch);
	}
	c->value = got;
}

/* The key's value now (absent: 0), the start of the checks. */
static int64_t kv_read(struct kv_client *c, char *out)
{
	const char *const get[] = { c->key };
	int64_t err = kv_until_done(c, KV_GET, 0, get, 1, out);
	if (err == -AION_ENOENT) {
		out[0] = '0';
		out[1] = '\0';
		err = 0;
	}
	return err;
}

/* N = 0: has somebody put the key "stop"? */
static int kv_stop_asked(struct kv_client *c, unsigned count)
{
	static const char *const stop[] = { "stop" };
	char out[KV_VALUE_MAX + 1];

	return !count && !kv_until_done(c, KV_GET, 0, stop, 1, out);
}

/* Looks "kv" up; local: until a lookup finds it on this node. */
static int64_t kv_lookup(struct aion_ipc_buffer *b, aion_handle_t mesh, int local,
			 aion_handle_t *kv, unsigned *node)
{
	uint64_t end = aion_clock_ns() + 2 * LOOKUP_FOR_NS;
	int64_t err = lookup_wait(b, mesh, KV_NAME, kv, node);
	while (!err && local && *node != self_node) {
		aion_handle_close(*kv);
		if (aion_clock_ns() >= end)
			return -AION_ETIMEDOUT;
		aion_sleep_ns(100 * MS);
		err = lookup_wait(b, mesh, KV_NAME, kv, node);
	}
	return err;
}

/* ADD key 1 until count are acknowledged (0: until "stop" exists). */
static int64_t kv_count(struct kv_client *c, unsigned count)
{
	const char *const add[] = { c->key, "1" };
	char out[KV_VALUE_MAX + 1];
	int64_t err = 0;
	for (uint64_t seq = 1; !err && (!count || c->acked < count); seq++) {
		err = kv_until_done(c, KV_ADD, seq, add, 2, out);
		if (err)
			break;
		kv_check(c, seq, out);
		if (++c->acked % KV_PROGRESS == 0) {
			aion_printf("meshtest: kv-counter acked=%u", c->acked);
			if (kv_stop_asked(c, count))
				break;
		}
	}
	return err;
}

void kv_counter(struct aion_ipc_buffer *b, aion_handle_t mesh, unsigned count, int local)
{
	struct kv_client c = { .b = b, .id = rnd() | 1 };
	char out[KV_VALUE_MAX + 1];
	unsigned node = 0;
	fmt_snprintf(c.key, sizeof(c.key), "counter-%u", self_node);
	int64_t err = kv_lookup(b, mesh, local, &c.kv, &node);
	if (err) {
		aion_printf("meshtest: kv-counter lookup failed err=%s", aion_error_name(err));
		return;
	}
	err = kv_read(&c, out);
	c.value = cmdline_decimal(out);
	aion_printf("meshtest: kv-counter started client=%lx node=%u key=%s from=%s",
		    (unsigned long)c.id, node, c.key, err ? "?" : out);
	if (!err)
		err = kv_count(&c, count);
	if (!err)
		err = kv_read(&c, out);
	aion_printf("meshtest: kv-counter done acked=%u value=%s retries=%u lost=%u doubled=%u "
		    "key=%s err=%s", c.acked, err ? "?" : out, c.retries, c.lost, c.doubled, c.key,
		    err ? aion_error_name(err) : "none");
}
