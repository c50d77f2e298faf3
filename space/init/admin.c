/* What the shell may ask of init: units, their capabilities, stopping one. */
#include <stdarg.h>
#include "common/cmdline.h"
#include "common/format.h"
#include "init.h"

static const char *const state_names[] = { "?", "running", "exited", "faulted" };
static const char *const type_names[] = {
	"none", "unit", "thread", "endpoint", "notification", "reply", "memory",
	"irq", "ioport", "platform",
};

/* One line of `ps` for unit u; 0 when u is gone. */
static unsigned unit_line(char *line, unsigned size, aion_handle_t u)
{
	struct aion_unit_info i;
	if (aion_unit_info(u, &i))
		return 0;
	char cpus[3 * 32] = "-";        /* "0,1": the CPUs its threads are on */
	unsigned n = 0;
	for (unsigned c = 0; c < 32; c++)
		if (i.cpu_mask >> c & 1)
			n += (unsigned)fmt_snprintf(cpus + n, sizeof(cpus) - n, "%s%u", n ? "," : "", c);
	return (unsigned)fmt_snprintf(line, size,
		"%u %s %s threads=%u frames=%lu/%lu cpus=%s syscalls=%lu cpu_ms=%lu loads=%u\n",
		i.id, i.name, state_names[i.state < 4 ? i.state : 0], i.threads,
		(unsigned long)i.used_frames, (unsigned long)i.quota_frames, cpus,
		(unsigned long)i.syscalls, (unsigned long)(i.cpu_ns / 1000000), i.loads);
}

/* The unit at position k of the `ps` listing: init, the services, the jobs. */
static aion_handle_t ps_unit(unsigned k)
{
	if (k == 0)
		return AION_HANDLE_SELF;
	if (--k < services_count())
		return service_at(k)->unit;
	k -= services_count();
	return k < INIT_JOBS_MAX ? job_unit(k) : 0;
}

/* Whole lines from position `from` on (a decimal string; empty: 0). When
 * the next line does not fit one answer, the last line is "more=K": the
 * shell asks again from K, so no line is cut or lost. */
int64_t admin_ps(const char *from, char *out, unsigned size)
{
	for (const char *p = from; *p; p++)
		if (*p < '0' || *p > '9' || p - from >= 6)
			return -AION_EINVAL;
	unsigned k = (unsigned)cmdline_decimal(from), used = 0;
	const unsigned reserve = 16;    /* "more=NNNN\n" */
	out[0] = '\0';
	for (; k < 1 + services_count() + INIT_JOBS_MAX; k++) {
		aion_handle_t u = ps_unit(k);
		char line[160];
		unsigned n = u ? unit_line(line, sizeof(line), u) : 0;
		if (!n)
			continue;
		if (used + n + reserve >= size) {
			fmt_snprintf(out + used, size - used, "more=%u\n", k);
			return 0;
		}
		memcpy(out + used, line, n + 1);
		used += n;
	}
	return 0;
}

static aion_handle_t unit_named(const char *name)
{
	if (strcmp(name, "init") == 0)
		return AION_HANDLE_SELF;
	struct service *s = service_by_name(name);
	return s ? s->unit : 0;
}

int64_t admin_caps(const char *name, char *out, unsigned size)
{
	aion_handle_t u = unit_named(name);
	struct aion_cap_info ci;

	if (!u)
		return -AION_ENOENT;
	for (unsigned i = 0; i < AION_HANDLE_SLOTS; i++) {
		int64_t h = aion_cap_list(u, i, &ci);
		if (h < 0)
			continue;
		aion_text_add(out, size, "0x%lx %s rights=0x%x badge=0x%lx\n", (unsigned long)h,
			 ci.type < 10 ? type_names[ci.type] : "?", ci.rights,
			 (unsigned long)ci.badge);
	}
	return 0;
}

int64_t admin_kill(const char *name)
{
	struct service *s = service_by_name(name);

	if (strcmp(name, "init") == 0)
		return -AION_EPERM;
	if (!s)
		return jobs_kill(name);
	if (!s->unit)
		return -AION_ENOENT;
	/* The kernel's end notice brings the service back (services.c). */
	return service_kill(s);
}

int64_t admin_services(char *out, unsigned size)
{
	for (unsigned i = 0; i < services_count(); i++) {
		struct service *s = service_at(i);
		if (!s->unit && s->gave_up && !s->failures)
			continue;       /* optional, not asked for */
		aion_text_add(out, size, "%s %s restarts=%u\n", s->spec->name,
			 s->unit ? "running" : s->gave_up ? "gave-up" : "restarting",
			 s->restarts);
	}
	return 0;
}
