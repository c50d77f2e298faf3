/*
 * Starting and supervising the services of the manifest. A service that
 * ends is destroyed and started again after a backoff that doubles with
 * each failure in a row (100 ms, 200 ms, ... 1.6 s); after SVC_MAX_FAILURES
 * in a row init gives up on it and says so. init learns of an end from the
 * notice the kernel sends on its endpoint (UNIT_FAULT_EP), never by polling.
 */
#include "libaion/fwcfg.h"
#include "common/cmdline.h"
#include "common/format.h"
#include "aion/vfs.h"
#include "init.h"

#define SVC_MAX_FAILURES        5
#define SVC_BACKOFF_NS          (100 * MS)
#define SVC_CALM_NS             (10 * SEC)   /* this long up resets failures */
#define COM1                    0x3f8
#define COM1_IRQ                4

extern const struct svc_spec manifest[];
extern const unsigned manifest_len;
static struct service services[SERVICES_MAX];

unsigned services_count(void)
{
	return manifest_len < SERVICES_MAX ? manifest_len : SERVICES_MAX;
}

unsigned services_running(void)
{
	unsigned n = 0;
	for (unsigned i = 0; i < services_count(); i++)
		n += services[i].unit != 0;
	return n;
}

struct service *service_at(unsigned i)
{
	return &services[i];
}

struct service *service_by_name(const char *name)
{
	for (unsigned i = 0; i < services_count(); i++)
		if (strcmp(services[i].spec->name, name) == 0)
			return &services[i];
	return NULL;
}

static const struct aion_boot_module *module(const char *name)
{
	for (unsigned i = 0; i < bootinfo->nmodules && i < AION_BOOT_MODULES_MAX; i++)
		if (strcmp(bootinfo->mod[i].name, name) == 0)
			return &bootinfo->mod[i];
	return NULL;
}

static uint64_t spare_frames(void)
{
	struct aion_unit_info self;
	return aion_unit_info(AION_HANDLE_SELF, &self) ? 0 :
	       self.quota_frames - self.used_frames;
}

int64_t unit_from_module(const char *name, const char *module_name, const char *data_module,
			 unsigned quota, unsigned prio, const struct aion_startup *st,
			 aion_handle_t host, unsigned window,
			 aion_handle_t *unit, aion_handle_t *thread)
{
	const struct aion_boot_module *m = module(module_name);
	const struct aion_boot_module *d = data_module ? module(data_module) : NULL;
	if (!m || (data_module && !d))
		return -AION_ENOENT;
	/* The data's copy counts against the unit's quota until it gives it
	 * back, and what it unpacks (vfsd's tree) is as big again: twice its
	 * frames on top, so a bigger initramfs (the PTS ISO's) needs no new
	 * number in the manifest. */
	if (d)
		quota += 2 * (unsigned)((d->size + 4095) / 4096);
	if (spare_frames() < quota)
		return -AION_ENOMEM;    /* a guest's too: its maker (init) pays */
	struct aion_spawn sp = {
		.name = name, .image = (const void *)m->vaddr, .image_size = m->size,
		.quota_frames = quota, .max_prio = prio, .prio = prio,
		.startup = st, .no_start = 1,
		.data = d ? (const void *)d->vaddr : NULL, .data_size = d ? d->size : 0,
		.host = host, .window = window,
	};
	return aion_spawn(&sp, unit, thread);
}

void unit_discard(aion_handle_t *unit, aion_handle_t *thread)
{
	aion_unit_destroy(*unit);
	aion_handle_close(*unit);
	aion_handle_close(*thread);
	*unit = *thread = 0;
}

/* Gives the unit init's endpoint minted with badge and rights. */
int64_t give_init_ep(aion_handle_t unit, uint32_t rights, uint64_t badge)
{
	int64_t h = aion_cap_mint(init_ep, rights, badge);
	int64_t err = h < 0 ? h : aion_cap_give(unit, (aion_handle_t)h, rights);
	if (h > 0)
		aion_handle_close((aion_handle_t)h);
	return err < 0 ? err : 0;
}

/* The devices needs call for: ports, IRQs, the disk driver's endpoint. */
static int64_t give_devices(unsigned needs, aion_handle_t unit)
{
	int64_t err = 0;

	if (needs & SVC_NEED_COM1)
		err = give_ports_irq(unit, COM1, 8, COM1_IRQ);
	if (!err && (needs & (SVC_NEED_NIC | SVC_NEED_NIC1)))
		err = devices_give_nic(needs & SVC_NEED_NIC1 ? 1 : 0, unit);
	if (!err && (needs & SVC_NEED_NIC_IN) && devices_nic_inside())
		err = devices_give_nic(0, unit);
	if (!err && (needs & SVC_NEED_POWER))
		err = power_give(unit);
	if (!err && (needs & SVC_NEED_DISK))
		err = devices_give_disk(unit);
	return err;
}

static int64_t give_fwcfg(aion_handle_t unit)
{
	int64_t io = aion_ioport_create(AION_HANDLE_PLATFORM, FWCFG_PORT, FWCFG_PORTS);
	int64_t err = io < 0 ? io : aion_cap_give(unit, (aion_handle_t)io,
						  AION_RIGHT_READ | AION_RIGHT_WRITE);
	if (io > 0)
		aion_handle_close((aion_handle_t)io);
	return err < 0 ? err : 0;
}

/* Gives the capabilities the service's needs call for, in the documented
 * order (aion/initproto.h): init's endpoints, devices, fw_cfg (SVC_FWCFG_IO
 * when it is the only need), then the disk regions (none without a disk,
 * so nothing before them moves). */
static int64_t give_caps(unsigned i, const struct svc_spec *spec, aion_handle_t unit)
{
	/* The badge names the service: its registered names are dropped when it ends. */
	int64_t err = give_init_ep(unit, AION_RIGHT_SEND | AION_RIGHT_GRANT, INIT_BADGE_SERVICE + i);
	if (!err && (spec->needs & SVC_NEED_ADMIN))
		err = give_init_ep(unit, AION_RIGHT_SEND, INIT_BADGE_ADMIN);
	if (!err && (spec->needs & SVC_NEED_JOBS))
		err = give_init_ep(unit, AION_RIGHT_SEND | AION_RIGHT_GRANT, INIT_BADGE_JOBS);
	if (!err)
		err = give_devices(spec->needs, unit);
	if (!err && (spec->needs & SVC_NEED_FWCFG))
		err = give_fwcfg(unit);
	if (!err)
		err = disk_give_regions(spec->needs, unit);
	return err;
}

/* "when" services get their command line value: aion.nettest=X -> nettest=X. */
static void when_args(const struct svc_spec *spec, char *args, unsigned size)
{
	char value[AION_ARGS_MAX / 2];
	const char *key = spec->when;

	for (const char *p = spec->when; *p; p++)
		if (*p == '.')
			key = p + 1;    /* "aion.nettest" -> "nettest" */
	cmdline_get(bootinfo->cmdline, spec->when, value, sizeof(value));
	aion_text_add(args, size, " %s=%s", key, value);
}

/* The startup record's words: node=N, then what the service's needs add. */
static int64_t start_args(const struct svc_spec *spec, char *args, unsigned size)
{
	fmt_snprintf(args, size, "node=%u", bootinfo->node);
	if (spec->when)
		when_args(spec, args, size);
	if (spec->needs & SVC_NEED_JOBS) {
		char nodes[8];
		if (cmdline_get(bootinfo->cmdline, "aion.nodes", nodes, sizeof(nodes)))
			aion_text_add(args, size, " nodes=%s", nodes);
		/* The host made this node's disk as one of the first voters'. */
		if (cmdline_get(bootinfo->cmdline, "aion.bootstrap", nodes, sizeof(nodes)))
			aion_text_add(args, size, " bootstrap=%s", nodes);
		/* The host's clock at start (seconds): meshd's boots never go
		 * back, also on a new disk (docs/mesh-transport.md). */
		char clock[12];
		if (cmdline_get(bootinfo->cmdline, "aion.clock", clock, sizeof(clock)))
			aion_text_add(args, size, " clock=%s", clock);
		/* The cluster's failure detection timings (docs/mesh.md). */
		char scale[4];
		if (cmdline_get(bootinfo->cmdline, "aion.detect_scale", scale, sizeof(scale)))
			aion_text_add(args, size, " detect_scale=%s", scale);
		/* Test images: meshd may call raw references (MESHD_FORGE). */
		if (cmdline_get(bootinfo->cmdline, "aion.meshforge", NULL, 0))
			aion_text_add(args, size, " forge=1");
	}
	if (cmdline_get(bootinfo->cmdline, "aion.nicselftest", NULL, 0))
		aion_text_add(args, size, " mode=selftest count=20");
	if (spec->needs & SVC_NEED_POWER)
		power_args(args, size);
	/* vfsd: where the disk's file system goes, aion.data=NAME (docs/fs.md). */
	char point[VFS_POINT_MAX];
	if ((spec->needs & SVC_NEED_INITRAMFS) &&
	    cmdline_get(bootinfo->cmdline, "aion.data", point, sizeof(point)))
		aion_text_add(args, size, " data=%s", point);
	int64_t err = 0;
	if (spec->needs & (SVC_NEED_NIC | SVC_NEED_NIC1))
		err = devices_nic_args(spec->needs & SVC_NEED_NIC1 ? 1 : 0, args, size);
	if ((spec->needs & SVC_NEED_NIC_IN) && devices_nic_inside())
		err = devices_nic_args(0, args, size);
	if (!err && (spec->needs & SVC_NEED_DISK))
		err = devices_disk_args(args, size);
	return err;
}

/* Whether a service with a host runs as its guest (aion.apart: in a unit
 * of its own, for comparisons: bench/niclib.py --space). */
static bool as_guest(const struct svc_spec *spec)
{
	return spec->host && !cmdline_get(bootinfo->cmdline, "aion.apart", NULL, 0);
}

/* -AION_EAGAIN: a guest whose host does not run yet; -AION_EDEAD: one
 * whose host never will (it gave up, or was not wanted). */
static int64_t start(unsigned i)
{
	struct service *s = &services[i];
	const struct svc_spec *spec = s->spec;
	struct aion_startup st = { 0 };
	aion_handle_t host = 0;

	if (as_guest(spec)) {
		const struct service *h = service_by_name(spec->host);
		if (!h || h->gave_up)
			return -AION_EDEAD;
		if (!h->unit)
			return -AION_EAGAIN;
		host = h->unit;
	}
	int64_t err = start_args(spec, st.args, sizeof(st.args));
	if (err)
		return err;
	err = unit_from_module(spec->name, spec->module ? spec->module : spec->name,
			       spec->needs & SVC_NEED_INITRAMFS ? "initramfs" : NULL,
			       spec->quota, spec->prio, &st, host, spec->window,
			       &s->unit, &s->thread);
	if (err)
		return err;
	if ((err = give_caps(i, spec, s->unit)) ||
	    (err = aion_unit_fault_ep(s->unit, init_ep, INIT_BADGE_SERVICE + i)) ||
	    (err = aion_thread_start(s->thread))) {
		unit_discard(&s->unit, &s->thread);
		return err;
	}
	s->started_at = aion_clock_ns();
	if (host)
		aion_printf("service start name=%s restarts=%u host=%s window=%u", spec->name,
			    s->restarts, spec->host, spec->window);
	else
		aion_printf("service start name=%s restarts=%u", spec->name, s->restarts);
	return 0;
}

static void schedule_restart(unsigned i);

/* A guest waits for its host without counting a failure, and gives up
 * with it (else it would wait, and log so, every 100 ms for good). */
static void start_failed(unsigned i, int64_t err)
{
	struct service *s = &services[i];

	if (err == -AION_EAGAIN) {
		s->restart_at = aion_clock_ns() + SVC_BACKOFF_NS;
		aion_printf("service wait-host name=%s host=%s", s->spec->name, s->spec->host);
		return;
	}
	if (err == -AION_EDEAD && as_guest(s->spec)) {
		s->gave_up = true;
		aion_printf("service gave-up name=%s failures=%u host=%s", s->spec->name,
			    s->failures, s->spec->host);
		return;
	}
	aion_printf("service start-failed name=%s err=%s", s->spec->name, aion_error_name(err));
	schedule_restart(i);
}

static void schedule_restart(unsigned i)
{
	struct service *s = &services[i];

	if (++s->failures > SVC_MAX_FAILURES) {
		s->gave_up = true;
		aion_printf("service gave-up name=%s failures=%u", s->spec->name, s->failures - 1);
		return;
	}
	uint64_t delay = SVC_BACKOFF_NS << (s->failures - 1);
	s->restart_at = aion_clock_ns() + delay;
	aion_printf("service restart-in name=%s ms=%lu", s->spec->name,
		    (unsigned long)(delay / 1000000));
}

/* An optional service the command line did not ask for. */
static bool not_wanted(const struct svc_spec *spec)
{
	if (init_test_mode)             /* posixall: every POSIX test, sockets too */
		return !spec->in_tests || (spec->tests_prefix &&
					   strncmp(init_test_name, spec->tests_prefix,
						   strlen(spec->tests_prefix)) &&
					   strcmp(init_test_name, "posixall"));
	if ((spec->needs & SVC_NEED_NIC1) && !devices_have_nic(1))
		return true;            /* only node 1 has the port-forward NIC */
	if ((spec->needs & SVC_NEED_NIC) && devices_nic_inside())
		return true;            /* netd runs the mesh NIC's driver */
	if ((spec->needs & SVC_NEED_POWER) && !power_button_usable())
		return true;            /* no ACPI, or the firmware kept it */
	if ((spec->needs & (SVC_NEED_DISK | SVC_NEED_DISK_DATA)) && !devices_have_disk())
		return true;            /* a VM without a disk */
	return spec->when && !cmdline_get(bootinfo->cmdline, spec->when, NULL, 0);
}

void services_start(void)
{
	for (unsigned i = 0; i < services_count(); i++) {
		services[i].spec = &manifest[i];
		if (not_wanted(&manifest[i])) {
			services[i].gave_up = true;     /* shown as not running */
			continue;
		}
		int64_t err = start(i);
		if (err)
			start_failed(i, err);
	}
}

/* Destroys the service's unit; a disk driver's device lets go of its memory first. */
static void service_discard(unsigned i)
{
	struct service *s = &services[i];

	if (s->spec->needs & SVC_NEED_DISK)
		devices_disk_quiesce();
	names_drop_owner((int)i);
	unit_discard(&s->unit, &s->thread);
}

int64_t service_kill(struct service *s)
{
	if (s->spec->needs & SVC_NEED_DISK)
		devices_disk_quiesce();
	return aion_unit_destroy(s->unit);
}

void service_ended(unsigned i, const struct aion_msg *notice)
{
	struct service *s = &services[i];

	if (i >= services_count() || !s->unit)
		return;
	aion_printf("service ended name=%s state=%lu vector=%lu code=%ld", s->spec->name,
		    (unsigned long)(notice->w[1] & 0xff), (unsigned long)(notice->w[1] >> 8),
		    (long)notice->w[2]);
	service_discard(i);
	if (aion_clock_ns() - s->started_at > SVC_CALM_NS)
		s->failures = 0;
	if (!shutdown_active())
		schedule_restart(i);
}

uint64_t services_next_restart(void)
{
	uint64_t next = 0;
	for (unsigned i = 0; i < services_count(); i++)
		if (services[i].restart_at && (!next || services[i].restart_at < next))
			next = services[i].restart_at;
	return next;
}

void services_restart_due(void)
{
	uint64_t now = aion_clock_ns();

	if (shutdown_active())
		return;
	for (unsigned i = 0; i < services_count(); i++) {
		struct service *s = &services[i];
		if (!s->restart_at || s->restart_at > now)
			continue;
		s->restart_at = 0;
		s->restarts++;
		int64_t err = start(i);
		if (err)
			start_failed(i, err);
	}
}

/* Shutdown: stops the running service started last (manifest order). */
/* A file system's server, before it is stopped: its last sync, so the disk
 * is left clean (ext2d marks it so), bounded by a timeout so that a server
 * that does not answer cannot hold the shutdown up. */
#define STOP_SYNC_NS    (30ull * 1000000000ull)

static void stop_sync(const struct svc_spec *spec)
{
	struct aion_msg m = { .tag = AION_TAG(VFS_SYNC, 0, 0) };
	aion_handle_t cap;
	uint64_t t0 = aion_clock_ns();
	int64_t err = names_lookup(spec->stop_sync, &cap);

	if (!err)
		err = aion_call(cap, &m, STOP_SYNC_NS);
	if (!err)
		err = (int64_t)m.w[0];
	aion_printf("service sync name=%s err=%s ms=%llu", spec->name, aion_error_name(err),
		    (unsigned long long)((aion_clock_ns() - t0) / 1000000));
}

bool services_stop_last(void)
{
	for (unsigned i = services_count(); i-- > 0;) {
		struct service *s = &services[i];
		if (!s->unit)
			continue;
		if (s->spec->stop_sync)
			stop_sync(s->spec);
		aion_printf("service stop name=%s", s->spec->name);
		service_discard(i);     /* its end notice finds no unit */
		return true;
	}
	return false;
}
