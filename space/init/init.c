/*
 * init: the root unit. It holds the platform capability (devices) and,
 * for now, reports what it was given and, when the boot command line says
 * aion.test=NAME, runs the utest program as a unit of its own and reports
 * how it ended. Services from a manifest come next (issue 5).
 */
#include "aion/bootinfo.h"
#include "libaion/lib.h"
#include "common/cmdline.h"
#include "init.h"

#define UTEST_TIMEOUT_NS  (300ull * 1000000000ull)
#define SHUTDOWN_TURN_NS  1000000ull

aion_handle_t init_ep;
const struct aion_bootinfo *bootinfo;
static struct aion_ipc_buffer buf __attribute__((aligned(4096)));

static const struct aion_boot_module *find_module(const struct aion_bootinfo *bi,
						  const char *name)
{
	for (unsigned i = 0; i < bi->nmodules && i < AION_BOOT_MODULES_MAX; i++)
		if (strcmp(bi->mod[i].name, name) == 0)
			return &bi->mod[i];
	return NULL;
}

static uint64_t spare_frames(void)
{
	struct aion_unit_info self;
	if (aion_unit_info(AION_HANDLE_SELF, &self))
		return 0;
	return self.quota_frames - self.used_frames;
}

/*
 * Runs utest as a unit with the platform capability (its device tests need
 * it) and learns how it ended from its fault endpoint: no polling.
 */
static void run_utest(const struct aion_bootinfo *bi, const char *test)
{
	const struct aion_boot_module *m = find_module(bi, "utest");
	struct aion_startup st = { 0 };
	aion_handle_t unit, thread;
	struct aion_msg notice = { 0 };

	if (!m) {
		aion_printf("utest missing module=utest");
		return;
	}
	for (unsigned i = 0; test[i] && i < AION_ARGS_MAX - 1; i++)
		st.args[i] = test[i];
	struct aion_spawn sp = {
		.name = "utest", .image = (const void *)m->vaddr,
		.image_size = m->size, .quota_frames = spare_frames() / 2,
		.max_prio = 200, .prio = 150, .startup = &st, .give_image = 1,
		.no_start = 1,
	};
	int64_t ep = aion_endpoint_create();
	int64_t err = ep < 0 ? ep : aion_spawn(&sp, &unit, &thread);
	if (err) {
		aion_printf("utest spawn failed err=%s", aion_error_name(err));
		return;
	}
	int64_t plat = aion_cap_give(unit, AION_HANDLE_PLATFORM, AION_RIGHTS_ALL);
	if (plat < 0 || (err = aion_unit_fault_ep(unit, (aion_handle_t)ep, 0)) ||
	    (err = aion_thread_start(thread)))
		aion_printf("utest setup failed give=%s err=%s", aion_error_name(plat),
			    aion_error_name(err));
	else
		err = aion_recv((aion_handle_t)ep, &notice, UTEST_TIMEOUT_NS);
	if (!err && AION_TAG_LABEL(notice.tag) != AION_NOTICE_UNIT_ENDED)
		err = -AION_EMALFORMED;
	aion_printf("utest ended state=%u code=%d wait=%s", (unsigned)(notice.w[1] & 0xff),
		    err ? -1 : (int)notice.w[2], aion_error_name(err));
	aion_handle_close(thread);
	if ((err = aion_unit_destroy(unit)))
		aion_printf("utest destroy failed err=%s", aion_error_name(err));
	aion_handle_close(unit);
	aion_handle_close((aion_handle_t)ep);
}

/* The payload as a NUL-terminated string (names, unit names). */
static void payload_string(const struct aion_msg *m, char *out, unsigned size)
{
	unsigned len = AION_TAG_LEN(m->tag) < size - 1 ? AION_TAG_LEN(m->tag) : size - 1;
	memcpy(out, buf.payload, len);
	out[len] = '\0';
}

/* Administration is the shell's (admin badge); the power-button driver's
 * badge allows shutting down and nothing else. */
static bool admin_allowed(uint32_t label, uint64_t badge)
{
	return badge == INIT_BADGE_ADMIN ||
	       (badge == INIT_BADGE_POWER && label == INIT_ADMIN_SHUTDOWN);
}

/* Serves one call; fills *reply (words, payload in buf, capability). */
static void serve(const struct aion_msg *m, struct aion_msg *reply)
{
	char arg[INIT_NAME_MAX];
	char *text = (char *)buf.payload;
	uint32_t label = AION_TAG_LABEL(m->tag);
	unsigned ncaps = 0;
	int64_t r;
	aion_handle_t cap;

	aion_handle_t got[AION_IPC_CAPS_MAX];
	for (unsigned i = 0; i < AION_TAG_CAPS(m->tag); i++)
		got[i] = buf.caps[i];   /* before a reply reuses the buffer */
	*reply = (struct aion_msg){ 0 };
	if (label >= INIT_JOB_START && label <= INIT_JOB_INFO) {
		char args[AION_ARGS_MAX];
		payload_string(m, args, sizeof(args));
		r = m->badge != INIT_BADGE_JOBS ? -AION_EPERM :
		    jobs_call(label, m, AION_TAG_CAPS(m->tag) ? got[0] : 0, args, reply);
		for (unsigned i = 0; i < AION_TAG_CAPS(m->tag); i++)
			aion_handle_close(got[i]);      /* a job got its own copy */
		reply->tag = AION_TAG(label, 0, 0);
		reply->w[0] = (uint64_t)r;
		return;
	}
	payload_string(m, arg, sizeof(arg));
	text[0] = '\0';
	if (label >= INIT_ADMIN_PS && !admin_allowed(label, m->badge))
		r = -AION_EPERM;
	else switch (label) {
	case INIT_NS_REGISTER:
		r = AION_TAG_CAPS(m->tag) != 1 ? -AION_EINVAL :
		    names_register(arg, got[0], (int)(m->badge - INIT_BADGE_SERVICE));
		break;
	case INIT_NS_LOOKUP:
		r = names_lookup(arg, &cap);
		if (!r) {
			buf.caps[0] = cap;
			buf.cap_rights[0] = AION_RIGHTS_ALL;    /* as registered */
			ncaps = 1;
		}
		break;
	case INIT_NS_LIST:
		names_list(text, AION_IPC_PAYLOAD_MAX);
		r = 0;
		break;
	case INIT_ADMIN_PS:
		r = admin_ps(text, AION_IPC_PAYLOAD_MAX);
		break;
	case INIT_ADMIN_CAPS:
		r = admin_caps(arg, text, AION_IPC_PAYLOAD_MAX);
		break;
	case INIT_ADMIN_KILL:
		r = admin_kill(arg);
		break;
	case INIT_ADMIN_SERVICES:
		r = admin_services(text, AION_IPC_PAYLOAD_MAX);
		break;
	case INIT_ADMIN_SHUTDOWN:
		r = shutdown_request(m->badge);
		break;
	default:
		r = -AION_ENOSYS;
	}
	/* Capabilities sent with anything but a successful register are not kept. */
	if (r || label != INIT_NS_REGISTER)
		for (unsigned i = 0; i < AION_TAG_CAPS(m->tag); i++)
			aion_handle_close(got[i]);
	reply->tag = AION_TAG(label, strlen(text), ncaps);
	reply->w[0] = (uint64_t)r;
}

/* How long to wait for the next call: until a restart falls due, or,
 * during a shutdown, a moment: a quiet endpoint lets the next step run. */
static uint64_t recv_timeout(void)
{
	if (shutdown_active())
		return SHUTDOWN_TURN_NS;
	uint64_t next = services_next_restart(), now = aion_clock_ns();
	return next ? (next > now ? next - now : 1) : 0;
}

/* Services, names and notices, forever; restarts fall due between calls,
 * and so do the steps of a shutdown. */
__attribute__((noreturn)) static void serve_forever(void)
{
	struct aion_msg m;
	int64_t err = 0;

	for (;;) {
		err = aion_recv(init_ep, &m, recv_timeout());
		services_restart_due();
		shutdown_turn(err == -AION_ETIMEDOUT);
		if (err == -AION_ETIMEDOUT)
			continue;
		if (err) {
			aion_printf("recv failed err=%s", aion_error_name(err));
			aion_sleep_ns(100000000ull);
			continue;
		}
		if (AION_TAG_LABEL(m.tag) == AION_NOTICE_UNIT_ENDED) {
			if (m.badge >= INIT_BADGE_JOB)
				job_ended((unsigned)(m.badge - INIT_BADGE_JOB), &m);
			else if (m.badge >= INIT_BADGE_SERVICE)
				service_ended((unsigned)(m.badge - INIT_BADGE_SERVICE), &m);
			continue;
		}
		struct aion_msg reply;
		serve(&m, &reply);
		aion_reply(&reply);
	}
}

int64_t aion_main(uint64_t arg)
{
	bootinfo = (const struct aion_bootinfo *)arg;
	char test[AION_ARGS_MAX];

	if (bootinfo->magic != AION_BOOTINFO_MAGIC) {
		aion_printf("bad boot info magic");
		return 1;
	}
	aion_printf("started node=%u modules=%u quota_frames=%lu", bootinfo->node,
		    bootinfo->nmodules, (unsigned long)bootinfo->init_quota_frames);
	if (cmdline_get(bootinfo->cmdline, "aion.test", test, sizeof(test))) {
		run_utest(bootinfo, test);       /* tests run alone: no services */
		for (;;)
			aion_sleep_ns(3600ull * 1000000000ull);
	}
	int64_t ep = aion_endpoint_create();
	if (ep < 0 || aion_ipc_buffer(&buf)) {
		aion_printf("no endpoint err=%s", aion_error_name(ep));
		return 1;
	}
	init_ep = (aion_handle_t)ep;
	devices_scan();
	power_setup();
	services_start();
	serve_forever();
}
