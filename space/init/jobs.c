/*
 * Jobs: units the cluster scheduler places on this node. meshd decides
 * (docs/mesh.md "Scheduler") and asks init, which holds the boot modules,
 * to start or stop them; only programs of job_programs may run as jobs.
 * init does not restart a job that ends: meshd sees it gone (JOB_LIST)
 * and starts it again if the desired state still wants it here.
 */
#include "common/format.h"
#include "libaion/serve.h"
#include "init.h"

static struct {
	aion_handle_t unit, thread;     /* 0: free */
	const struct job_spec *spec;
} jobs[INIT_JOBS_MAX];

static const struct job_spec *program(const char *name)
{
	for (unsigned i = 0; i < job_programs_len; i++)
		if (!strcmp(job_programs[i].name, name))
			return &job_programs[i];
	return NULL;
}

/* Starts PROGRAM with ARGS; the job's table: init's endpoint (job badge), cap. */
static int64_t job_start(const char *text, aion_handle_t cap, uint64_t *slot)
{
	char name[24];
	unsigned n = 0;
	while (text[n] && text[n] != ' ' && n < sizeof(name) - 1) {
		name[n] = text[n];
		n++;
	}
	name[n] = '\0';
	const struct job_spec *spec = program(name);
	if (!spec)
		return -AION_ENOENT;
	unsigned i = 0;
	while (i < INIT_JOBS_MAX && jobs[i].unit)
		i++;
	if (i == INIT_JOBS_MAX)
		return -AION_ENOSPC;
	struct aion_startup st = { 0 };
	fmt_snprintf(st.args, sizeof(st.args), "%s", text[n] ? text + n + 1 : "");
	int64_t err = unit_from_module(spec->name, spec->name, NULL, spec->quota, spec->prio, &st,
				  0, 0, &jobs[i].unit, &jobs[i].thread);
	if (err)
		return err;
	if ((err = give_init_ep(jobs[i].unit, AION_RIGHT_SEND | AION_RIGHT_GRANT,
				INIT_BADGE_JOB + i)) ||
	    (err = aion_cap_give(jobs[i].unit, cap, AION_RIGHT_SEND | AION_RIGHT_GRANT)) < 0 ||
	    (err = aion_unit_fault_ep(jobs[i].unit, init_ep, INIT_BADGE_JOB + i)) ||
	    (err = aion_thread_start(jobs[i].thread))) {
		unit_discard(&jobs[i].unit, &jobs[i].thread);
		return err;
	}
	jobs[i].spec = spec;
	*slot = i;
	aion_printf("job start slot=%u program=%s args=%s", i, spec->name, st.args);
	return 0;
}

static void job_drop(unsigned slot, const char *why)
{
	aion_printf("job %s slot=%u program=%s", why, slot, jobs[slot].spec->name);
	names_drop_owner((int)(INIT_BADGE_JOB - INIT_BADGE_SERVICE + slot));
	unit_discard(&jobs[slot].unit, &jobs[slot].thread);
}

void job_ended(unsigned slot, const struct aion_msg *notice)
{
	if (slot >= INIT_JOBS_MAX || !jobs[slot].unit)
		return;
	aion_printf("job ended slot=%u state=%lu code=%ld", slot,
		    (unsigned long)(notice->w[1] & 0xff), (long)notice->w[2]);
	job_drop(slot, "gone");
}

aion_handle_t job_unit(unsigned slot)
{
	return slot < INIT_JOBS_MAX ? jobs[slot].unit : 0;
}

/* The shell's `kill PROGRAM` for a job: like a crash, meshd sees it gone. */
int64_t jobs_kill(const char *program)
{
	for (unsigned i = 0; i < INIT_JOBS_MAX; i++)
		if (jobs[i].unit && !strcmp(jobs[i].spec->name, program)) {
			job_drop(i, "killed");
			return 0;
		}
	return -AION_ENOENT;
}

/* Shutdown: stops one job (jobs start after every service). */
bool jobs_stop_last(void)
{
	for (unsigned i = INIT_JOBS_MAX; i-- > 0;)
		if (jobs[i].unit) {
			job_drop(i, "stop");
			return true;
		}
	return false;
}

unsigned jobs_running(void)
{
	unsigned n = 0;
	for (unsigned i = 0; i < INIT_JOBS_MAX; i++)
		n += jobs[i].unit != 0;
	return n;
}

/* meshd's calls (badge INIT_BADGE_JOBS, aion/initproto.h). */

/* payload "PROGRAM ARGS", caps[0] for the job; reply w1 = the job's slot */
int64_t jobs_start_call(struct aion_serve_req *r)
{
	char text[AION_ARGS_MAX];
	if (shutdown_active())
		return -AION_EBUSY;
	if (!r->ncaps)
		return -AION_EINVAL;
	aion_serve_string(r, text, sizeof(text));
	return job_start(text, r->caps[0], &r->reply.w[1]);
}

/* w1 = the job's slot */
int64_t jobs_stop_call(struct aion_serve_req *r)
{
	uint64_t slot = r->msg.w[1];
	if (slot >= INIT_JOBS_MAX || !jobs[slot].unit)
		return -AION_ENOENT;
	job_drop((unsigned)slot, "stop");
	return 0;
}

/* reply w1 = the running slots (a bit each), w2 = units on this node */
int64_t jobs_list_call(struct aion_serve_req *r)
{
	uint64_t mask = 0;
	for (unsigned i = 0; i < INIT_JOBS_MAX; i++)
		if (jobs[i].unit)
			mask |= 1ull << i;
	r->reply.w[1] = mask;
	r->reply.w[2] = 1 + services_running() + jobs_running();
	return 0;
}

/* payload PROGRAM; reply w1 = its INIT_JOB_* flags */
int64_t jobs_info_call(struct aion_serve_req *r)
{
	char text[AION_ARGS_MAX];
	aion_serve_string(r, text, sizeof(text));
	const struct job_spec *spec = program(text);
	if (!spec)
		return -AION_ENOENT;
	r->reply.w[1] = spec->flags;
	return 0;
}
