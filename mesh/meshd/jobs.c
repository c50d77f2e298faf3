/*
 * meshd, the instances the desired state places on this node. Every node
 * reconciles on its own from its copy of the state: it asks init to start
 * the instances placed here that do not run, stops those no longer placed
 * here, and tells an instance when its role or epoch changes (the answer
 * to its MESHD_JOB_WAIT). An instance that ends is started again after
 * RESTART_NS while the state still places it here; init reports the
 * running ones every LIST_NS while one runs here (or a start timed out),
 * else every IDLE_LIST_NS and at once after a start or stop of ours: then
 * the list only refreshes the unit count of the load reports, and an idle
 * node wakes for it 0.2 times a second instead of 2 (docs/mesh.md "Idle
 * cost"). A replicated job's primary is the
 * exception: started again it would be empty under the old epoch, and its
 * backup would copy that. So its end goes to the leader
 * (requests_fail_primary, every FAIL_NS until the state changes), which
 * promotes the backup; the instance here starts again only in the role
 * the new state gives it.
 */
#include "meshd.h"
#include "aion/initproto.h"
#include "aion/kv.h"
#include "common/format.h"

#define JOBS_EP         AION_HANDLE(2, 1)       /* init's endpoint, jobs badge */
#define LOCAL_MAX       INIT_JOBS_MAX
#define LIST_NS         (500 * MS)
#define IDLE_LIST_NS    (5000 * MS)
#define RESTART_NS      (500 * MS)
#define FAIL_NS         (1000 * MS)
/* init answers a job call at once (it starts a unit from a boot module);
 * the main thread also runs membership, so it waits no longer than this. */
#define INIT_CALL_NS    (500 * MS)

struct local {
	bool used, placed;
	char job[CSCHED_NAME_MAX];
	unsigned k;                     /* which of the job's instances on this node */
	uint8_t role;
	uint32_t epoch;
	int slot;                       /* init's job slot, -1: not running */
	aion_handle_t cap;              /* meshd_ep with BADGE_JOB + index */
	aion_handle_t wait;             /* a saved MESHD_JOB_WAIT, 0: none */
	uint32_t wait_epoch;
	uint8_t wait_role;
	uint64_t start_at;
	uint64_t fail_at;               /* a primary that ended: report again then, 0: none */
};

static struct local locals[LOCAL_MAX];
static uint64_t next_list;
static bool stray_check;        /* a start timed out: it may run unknown to us */
unsigned jobs_units;

static const char *init_label_name(uint32_t label)
{
	switch (label) {
	case INIT_JOB_START: return "start";
	case INIT_JOB_STOP: return "stop";
	case INIT_JOB_LIST: return "list";
	case INIT_JOB_INFO: return "info";
	default: return "?";
	}
}

static int64_t init_call(uint32_t label, uint64_t w1, const char *text, aion_handle_t cap,
			 struct aion_msg *m)
{
	unsigned len = text ? (unsigned)strlen(text) : 0;
	memcpy(main_buf.payload, text ? text : "", len);
	*m = (struct aion_msg){ .tag = AION_TAG(label, len, cap ? 1 : 0), .w = { 0, w1 } };
	if (cap) {
		main_buf.caps[0] = cap;
		main_buf.cap_rights[0] = AION_RIGHT_SEND | AION_RIGHT_GRANT;
	}
	int64_t err = aion_call(JOBS_EP, m, INIT_CALL_NS);
	if (label == INIT_JOB_START || label == INIT_JOB_STOP)
		next_list = 0;          /* the unit count changed: list at the next pass */
	if (err == -AION_ETIMEDOUT) {
		mlog("error: init job %s call timed out after %lu ms", init_label_name(label),
		     (unsigned long)(INIT_CALL_NS / MS));
		if (label == INIT_JOB_START)
			stray_check = true;
	}
	return err ? err : (int64_t)m->w[0];
}

/* After a start that timed out, init may run an instance we hold no slot
 * of: stop every running slot no local instance holds (only meshd starts
 * jobs). */
static void stop_strays(uint64_t running)
{
	struct aion_msg m;
	stray_check = false;
	for (unsigned i = 0; i < LOCAL_MAX; i++)
		if (locals[i].used && locals[i].slot >= 0)
			running &= ~(1ull << locals[i].slot);
	for (unsigned slot = 0; slot < INIT_JOBS_MAX; slot++)
		if (running & (1ull << slot)) {
			mlog("job stray slot=%u: stopping it", slot);
			init_call(INIT_JOB_STOP, slot, NULL, 0, &m);
		}
}

int64_t jobs_program_flags(const char *program, uint64_t *flags)
{
	struct aion_msg m;
	int64_t err = init_call(INIT_JOB_INFO, 0, program, 0, &m);
	if (!err)
		*flags = m.w[1];
	return err;
}

static void answer_wait(struct local *l, int64_t err)
{
	if (!l->wait)
		return;
	struct aion_msg m = { .tag = AION_TAG(0, 0, 0), .w = { (uint64_t)err, l->epoch, l->role } };
	reply_saved(l->wait, &m);
	l->wait = 0;
}

static void start(struct local *l)
{
	char args[AION_ARGS_MAX];
	struct aion_msg m;
	fmt_snprintf(args, sizeof(args), "%s node=%u job=%s role=%s epoch=%u", l->job, self_node,
		     l->job, mesh_role_name(l->role), l->epoch);
	int64_t err = init_call(INIT_JOB_START, 0, args, l->cap, &m);
	if (err) {
		mlog("job start-failed job=%s err=%s", l->job, aion_error_name(err));
		l->start_at = aion_clock_ns() + RESTART_NS;
		return;
	}
	l->slot = (int)m.w[1];
	l->start_at = 0;
	mlog("job started job=%s role=%s epoch=%u slot=%d", l->job, mesh_role_name(l->role),
	     l->epoch, l->slot);
}

static void stop(struct local *l)
{
	struct aion_msg m;
	mlog("job stopping job=%s role=%s epoch=%u", l->job, mesh_role_name(l->role), l->epoch);
	answer_wait(l, -AION_EDEAD);
	if (l->slot >= 0)
		init_call(INIT_JOB_STOP, (uint64_t)l->slot, NULL, 0, &m);
	names_drop_owner((int)(l - locals));
	aion_handle_close(l->cap);
	l->used = false;
}

static struct local *local_new(const char *job, unsigned k)
{
	for (unsigned i = 0; i < LOCAL_MAX; i++) {
		struct local *l = &locals[i];
		if (l->used)
			continue;
		int64_t h = aion_cap_mint(meshd_ep, AION_RIGHT_SEND | AION_RIGHT_GRANT, BADGE_JOB + i);
		if (h < 0) {
			mlog("error: job capability err=%s", aion_error_name(h));
			return NULL;
		}
		*l = (struct local){ .used = true, .k = k, .slot = -1, .cap = (aion_handle_t)h };
		memcpy(l->job, job, strlen(job) + 1);
		return l;
	}
	mlog("error: no room for job=%s here (%u instances)", job, LOCAL_MAX);
	return NULL;
}

void jobs_reconcile(const struct csched_state *s)
{
	for (unsigned i = 0; i < LOCAL_MAX; i++)
		locals[i].placed = false;
	for (unsigned j = 0; j < s->njobs; j++) {
		const struct csched_job *job = &s->job[j];
		for (unsigned i = 0, k = 0; i < CSCHED_REPLICAS_MAX; i++) {
			if (job->inst[i].node != self_node)
				continue;
			struct local *l = NULL;
			for (unsigned x = 0; x < LOCAL_MAX && !l; x++)
				if (locals[x].used && !locals[x].placed && locals[x].k == k &&
				    !strcmp(locals[x].job, job->name))
					l = &locals[x];
			k++;
			bool fresh = !l;
			if (fresh && !(l = local_new(job->name, k - 1)))
				continue;
			l->placed = true;
			if (!fresh && l->role == job->inst[i].role && l->epoch == job->epoch)
				continue;
			l->role = job->inst[i].role;
			l->epoch = job->epoch;
			if (l->fail_at) {
				l->fail_at = 0;         /* the leader acted: start in the new role */
				l->start_at = aion_clock_ns();
			}
			if (fresh) {
				start(l);
			} else {
				mlog("job role job=%s role=%s epoch=%u", l->job, mesh_role_name(l->role),
				     l->epoch);
				if (l->wait_epoch != l->epoch || l->wait_role != l->role)
					answer_wait(l, 0);
			}
		}
	}
	for (unsigned i = 0; i < LOCAL_MAX; i++)
		if (locals[i].used && !locals[i].placed)
			stop(&locals[i]);
}

/* Instance l's unit is gone (it exited, faulted or was killed). */
static void ended(struct local *l, uint64_t now)
{
	if (l->wait)
		aion_handle_close(l->wait);     /* its caller is gone */
	l->wait = 0;
	names_drop_owner((int)(l - locals));
	l->slot = -1;
	if (l->role == MESH_ROLE_PRIMARY) {
		mlog("job ended job=%s role=primary epoch=%u: asking the leader to promote the backup",
		     l->job, l->epoch);
		l->start_at = 0;
		l->fail_at = now + FAIL_NS;
		requests_fail_primary(l->job, l->epoch);
		return;
	}
	mlog("job ended job=%s role=%s: restart in %lu ms", l->job, mesh_role_name(l->role),
	     (unsigned long)(RESTART_NS / MS));
	l->start_at = now + RESTART_NS;
}

/* How soon init's list is asked for again (the file's comment). */
static uint64_t list_period(void)
{
	for (unsigned i = 0; i < LOCAL_MAX; i++)
		if (locals[i].used && locals[i].slot >= 0)
			return LIST_NS;
	return stray_check ? LIST_NS : IDLE_LIST_NS;
}

void jobs_tick(uint64_t now)
{
	if (now >= next_list) {
		struct aion_msg m;
		next_list = now + list_period();
		if (!init_call(INIT_JOB_LIST, 0, NULL, 0, &m)) {
			jobs_units = (unsigned)m.w[2];
			if (stray_check)
				stop_strays(m.w[1]);
			for (unsigned i = 0; i < LOCAL_MAX; i++) {
				struct local *l = &locals[i];
				if (!l->used || l->slot < 0 || (m.w[1] & (1ull << l->slot)))
					continue;
				ended(l, now);
			}
		}
	}
	for (unsigned i = 0; i < LOCAL_MAX; i++)
		if (locals[i].used && locals[i].fail_at && now >= locals[i].fail_at) {
			locals[i].fail_at = now + FAIL_NS;
			requests_fail_primary(locals[i].job, locals[i].epoch);
		}
	for (unsigned i = 0; i < LOCAL_MAX; i++)
		if (locals[i].used && locals[i].slot < 0 && locals[i].start_at &&
		    now >= locals[i].start_at)
			start(&locals[i]);
}

uint64_t jobs_deadline(void)
{
	uint64_t d = next_list;
	for (unsigned i = 0; i < LOCAL_MAX; i++) {
		const struct local *l = &locals[i];
		if (l->used && l->slot < 0 && l->start_at && l->start_at < d)
			d = l->start_at;
		if (l->used && l->fail_at && l->fail_at < d)
			d = l->fail_at;
	}
	return d;
}

/* MESHD_JOB_WAIT: w1, w2 = the epoch and role the instance knows; answered
 * when they change (a second wait answers the first with -AION_EBUSY). */
static int64_t job_wait(struct local *l, struct aion_serve_req *r)
{
	answer_wait(l, -AION_EBUSY);
	int64_t reply = aion_serve_save(r);
	if (reply < 0)
		return reply;
	l->wait = (aion_handle_t)reply;
	l->wait_epoch = (uint32_t)r->msg.w[1];
	l->wait_role = (uint8_t)r->msg.w[2];
	if (l->wait_epoch != l->epoch || l->wait_role != l->role)
		answer_wait(l, 0);
	return 0;
}

/* A call on a job's capability: MESHD_JOB_WAIT here, the rest as a client's. */
int64_t jobs_client(struct aion_serve_req *r)
{
	uint64_t idx = r->msg.badge - BADGE_JOB;
	struct local *l = idx < LOCAL_MAX ? &locals[idx] : NULL;
	if (!l || !l->used)
		return -AION_EDEAD;
	if (r->label == MESHD_JOB_WAIT)
		return job_wait(l, r);
	/* kv's operations go to the cluster's log: only kv's instances ask. */
	if (r->label == MESHD_KV)
		return strcmp(l->job, KV_NAME) ? -AION_EPERM :
		       requests_kv_call(r, (uint32_t)r->msg.w[0]);
	r->ctx = (int64_t)idx;
	return names_client(r);
}
