/*
 * init's endpoint: names for every service, administration for the shell
 * (admin badge; the power driver's badge may only shut down), jobs for
 * meshd (jobs badge), and the kernel's notices that a unit ended. Calls
 * go through libaion's serving table (libaion/serve.h): a capability a
 * call brought and no handler kept is closed, every reply carries the
 * request's label and its status in w0.
 */
#include "libaion/serve.h"
#include "init.h"

#define SHUTDOWN_TURN_NS  (1 * MS)

struct aion_ipc_buffer init_buf __attribute__((aligned(4096)));

/* An administration endpoint's name (aion/initproto.h)? */
static bool admin_name(const char *name)
{
	return !strncmp(name, INIT_ADMIN_NAME_PREFIX, sizeof(INIT_ADMIN_NAME_PREFIX) - 1);
}

extern const struct svc_spec manifest[];
extern const unsigned manifest_len;

/* A service may register one admin name: "admin." and its own manifest
 * name (meshd: "admin.meshd"); a job or anyone else none. */
static bool own_admin_name(const char *name, uint64_t badge)
{
	if (badge < INIT_BADGE_SERVICE || badge >= INIT_BADGE_SERVICE + manifest_len)
		return false;
	return !strcmp(name + sizeof(INIT_ADMIN_NAME_PREFIX) - 1,
		       manifest[badge - INIT_BADGE_SERVICE].name);
}

static int64_t ns_register(struct aion_serve_req *r)
{
	char name[INIT_NAME_MAX];
	aion_serve_string(r, name, sizeof(name));
	if (admin_name(name) && !own_admin_name(name, r->msg.badge))
		return -AION_EPERM;
	int64_t err = names_register(name, r->caps[0], (int)(r->msg.badge - INIT_BADGE_SERVICE));
	if (!err)
		aion_serve_keep(r, 0);
	return err;
}

static int64_t ns_lookup(struct aion_serve_req *r)
{
	char name[INIT_NAME_MAX];
	aion_handle_t cap;
	aion_serve_string(r, name, sizeof(name));
	if (admin_name(name) && r->msg.badge != INIT_BADGE_ADMIN)
		return -AION_EPERM;
	int64_t err = names_lookup(name, &cap);
	if (!err)
		aion_serve_give(r, cap, AION_RIGHTS_ALL);       /* as registered */
	return err;
}

/* A call answered with text: fill's result, and the text as the payload. */
static int64_t answer_text(struct aion_serve_req *r, int64_t (*fill)(char *out, unsigned size))
{
	char text[AION_IPC_PAYLOAD_MAX] = "";
	int64_t err = fill(text, sizeof(text));
	aion_serve_put_text(r, text);
	return err;
}

static int64_t ns_list(struct aion_serve_req *r)
{
	return answer_text(r, names_list);
}

static int64_t on_ps(struct aion_serve_req *r)
{
	char from[12], text[AION_IPC_PAYLOAD_MAX] = "";
	aion_serve_string(r, from, sizeof(from));
	int64_t err = admin_ps(from, text, sizeof(text));
	aion_serve_put_text(r, text);
	return err;
}

static int64_t on_services(struct aion_serve_req *r)
{
	return answer_text(r, admin_services);
}

static int64_t on_caps(struct aion_serve_req *r)
{
	char unit[INIT_NAME_MAX], text[AION_IPC_PAYLOAD_MAX] = "";
	aion_serve_string(r, unit, sizeof(unit));
	int64_t err = admin_caps(unit, text, sizeof(text));
	aion_serve_put_text(r, text);
	return err;
}

static int64_t on_kill(struct aion_serve_req *r)
{
	char unit[INIT_NAME_MAX];
	aion_serve_string(r, unit, sizeof(unit));
	return admin_kill(unit);
}

static int64_t on_shutdown(struct aion_serve_req *r)
{
	return shutdown_request(r->msg.badge);
}

#define ADMIN   AION_SERVE_BADGE(INIT_BADGE_ADMIN)
#define JOBS    AION_SERVE_BADGE(INIT_BADGE_JOBS)

static const struct aion_serve_op init_ops[] = {
	{ .label = INIT_NS_REGISTER, .fn = ns_register, .caps = AION_SERVE_CAPS_ONE },
	{ .label = INIT_NS_LOOKUP, .fn = ns_lookup },
	{ .label = INIT_NS_LIST, .fn = ns_list },
	{ .label = INIT_ADMIN_PS, .fn = on_ps, ADMIN },
	{ .label = INIT_ADMIN_CAPS, .fn = on_caps, ADMIN },
	{ .label = INIT_ADMIN_KILL, .fn = on_kill, ADMIN },
	{ .label = INIT_ADMIN_SERVICES, .fn = on_services, ADMIN },
	{ .label = INIT_ADMIN_SHUTDOWN, .fn = on_shutdown, ADMIN },
	{ .label = INIT_ADMIN_SHUTDOWN, .fn = on_shutdown, AION_SERVE_BADGE(INIT_BADGE_POWER) },
	/* A job gets its own copy of the capability JOB_START brings. */
	{ .label = INIT_JOB_START, .fn = jobs_start_call, JOBS },
	{ .label = INIT_JOB_STOP, .fn = jobs_stop_call, JOBS },
	{ .label = INIT_JOB_LIST, .fn = jobs_list_call, JOBS },
	{ .label = INIT_JOB_INFO, .fn = jobs_info_call, JOBS },
};
static const struct aion_serve_table init_table = AION_SERVE_TABLE(init_ops, -AION_ENOSYS);

/* How long to wait for the next call: until a restart falls due, or,
 * during a shutdown, a moment: a quiet endpoint lets the next step run. */
static uint64_t recv_timeout(void)
{
	if (shutdown_active())
		return SHUTDOWN_TURN_NS;
	uint64_t next = services_next_restart(), now = aion_clock_ns();
	return next ? (next > now ? next - now : 1) : 0;
}

static void unit_ended(const struct aion_msg *m)
{
	if (m->badge == INIT_BADGE_UTEST)
		utest_ended(m);
	else if (m->badge >= INIT_BADGE_JOB)
		job_ended((unsigned)(m->badge - INIT_BADGE_JOB), m);
	else if (m->badge >= INIT_BADGE_SERVICE)
		service_ended((unsigned)(m->badge - INIT_BADGE_SERVICE), m);
}

/* Services, names and notices, forever; restarts fall due between calls,
 * and so do the steps of a shutdown. A reply that fails (the caller died
 * meanwhile) is the caller's end, not init's error. */
__attribute__((noreturn)) void serve_forever(void)
{
	struct aion_msg m;

	for (;;) {
		int64_t err = aion_recv(init_ep, &m, recv_timeout());
		services_restart_due();
		shutdown_turn(err == -AION_ETIMEDOUT);
		if (err == -AION_ETIMEDOUT)
			continue;
		if (err) {
			aion_printf("recv failed err=%s", aion_error_name(err));
			aion_sleep_ns(100 * MS);
		} else if (AION_TAG_LABEL(m.tag) == AION_NOTICE_UNIT_ENDED) {
			unit_ended(&m);
		} else {
			aion_serve(&init_table, &init_buf, &m, AION_TAG_LABEL(m.tag));
		}
	}
}
