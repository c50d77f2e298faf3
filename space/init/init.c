/*
 * init: the root unit, its start. It holds the platform capability
 * (devices). On a normal boot it starts the manifest's services
 * (services.c) and serves its endpoint (serve.c); when the boot command
 * line says aion.test=NAME it runs the utest program alone instead, as a
 * unit of its own, and reports how it ended.
 */
#include "aion/bootinfo.h"
#include "libaion/lib.h"
#include "common/cmdline.h"
#include "init.h"

#define UTEST_TIMEOUT_NS  (1800 * SEC) /* posixpts:all (bench/pts); fuzz-hostile's 1M calls */

aion_handle_t init_ep;
const struct aion_bootinfo *bootinfo;

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

bool init_test_mode;
const char *init_test_name;
static aion_handle_t utest_unit, utest_thread;

static void utest_report(int64_t err, const struct aion_msg *notice)
{
	if (!err && AION_TAG_LABEL(notice->tag) != AION_NOTICE_UNIT_ENDED)
		err = -AION_EMALFORMED;
	aion_printf("utest ended state=%u code=%d wait=%s", (unsigned)(notice->w[1] & 0xff),
		    err ? -1 : (int)notice->w[2], aion_error_name(err));
	aion_handle_close(utest_thread);
	if ((err = aion_unit_destroy(utest_unit)))
		aion_printf("utest destroy failed err=%s", aion_error_name(err));
	aion_handle_close(utest_unit);
	utest_unit = utest_thread = 0;
}

void utest_ended(const struct aion_msg *notice)
{
	if (utest_unit)
		utest_report(0, notice);
}

/* POSIX and VFS tests (aion.test=posix... or vfs..., posixall too) run
 * next to the services marked in_tests (vfsd): utest finds its root
 * directory through init's name service, which it reaches as
 * UTEST_INIT_EP. */
static bool with_services(const char *test)
{
	return !strncmp(test, "posix", 5) || !strncmp(test, "vfs", 3);
}

/* init's endpoint and the test services; then utest gets the endpoint. */
static int64_t services_for_tests(const char *test)
{
	int64_t ep = aion_endpoint_create();
	int64_t err = ep < 0 ? ep : aion_ipc_buffer(&init_buf);
	if (err)
		return err;
	init_ep = (aion_handle_t)ep;
	init_test_mode = true;
	init_test_name = test;
	services_start();
	int64_t h = aion_cap_mint(init_ep, AION_RIGHT_SEND | AION_RIGHT_GRANT, INIT_BADGE_CLIENT);
	int64_t got = h < 0 ? h : aion_cap_give(utest_unit, (aion_handle_t)h,
						AION_RIGHT_SEND | AION_RIGHT_GRANT);
	if (h > 0)
		aion_handle_close((aion_handle_t)h);
	if (got >= 0 && got != UTEST_INIT_EP)
		got = -AION_ERANGE;
	return got < 0 ? got : aion_unit_fault_ep(utest_unit, init_ep, INIT_BADGE_UTEST);
}

/*
 * Runs utest as a unit with the platform capability (its device tests need
 * it) and learns how it ended from its fault endpoint: no polling. Next
 * to services, init serves its endpoint meanwhile and never returns.
 */
static void run_utest(const struct aion_bootinfo *bi, const char *test)
{
	const struct aion_boot_module *m = find_module(bi, "utest");
	struct aion_startup st = { 0 };
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
	int64_t err = ep < 0 ? ep : aion_spawn(&sp, &utest_unit, &utest_thread);
	if (err) {
		aion_printf("utest spawn failed err=%s", aion_error_name(err));
		return;
	}
	int64_t plat = aion_cap_give(utest_unit, AION_HANDLE_PLATFORM, AION_RIGHTS_ALL);
	if (plat >= 0)
		err = with_services(test) ? services_for_tests(test) :
		      aion_unit_fault_ep(utest_unit, (aion_handle_t)ep, 0);
	if (plat < 0 || err || (err = aion_thread_start(utest_thread))) {
		aion_printf("utest setup failed give=%s err=%s", aion_error_name(plat),
			    aion_error_name(err));
	} else if (with_services(test)) {
		aion_handle_close((aion_handle_t)ep);
		serve_forever();        /* utest's notice comes to init_ep */
	} else {
		err = aion_recv((aion_handle_t)ep, &notice, UTEST_TIMEOUT_NS);
	}
	utest_report(err, &notice);
	aion_handle_close((aion_handle_t)ep);
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
			aion_sleep_ns(3600 * SEC);
	}
	int64_t ep = aion_endpoint_create();
	if (ep < 0 || aion_ipc_buffer(&init_buf)) {
		aion_printf("no endpoint err=%s", aion_error_name(ep));
		return 1;
	}
	init_ep = (aion_handle_t)ep;
	devices_scan();
	power_setup();
	services_start();
	serve_forever();
}
