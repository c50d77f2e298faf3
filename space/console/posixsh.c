/*
 * sh: busybox's shell on the console's terminal (docs/posix.md "The
 * terminal"). The shell carries procd, whose `run` execs /bin/busybox; `sh` opens
 * a record of the terminal, starts procd with "run /bin/busybox sh -i" and gives it the
 * VFS root and the record, so ash leads its session on the console. From
 * then on what is typed goes to ash (the serial unit gives input to the
 * terminal while a record is open); when ash exits, procd closes the last
 * hold and the console comes back to this shell. The next `sh` reaps the
 * previous procd unit.
 */
#include <stdbool.h>
#include "aion/initproto.h"
#include "aion/tty.h"
#include "aion/vfs.h"
#include "libaion/initclient.h"
#include "libaion/lib.h"
#include "posixsh.h"

extern const char posix_procd_elf[], posix_procd_elf_end[];

/* procd and its processes, 2 MiB each: the shell, a pipeline's commands
 * and, while an exec loads, its old and new images. */
#define SH_QUOTA        4096
#define SH_PRIO         100
#define SH_LOOKUP_NS    (5000 * 1000000ull)
#define SH_CALL_NS      (2000 * 1000000ull)
#define CHILD_FIRST     AION_HANDLE(1, 1)
#define CHILD_SECOND    AION_HANDLE(2, 1)
#define CHILD_THIRD     AION_HANDLE(3, 1)

static aion_handle_t sh_unit, sh_thread;

static int64_t tty_call(aion_handle_t cap, uint32_t label, uint64_t w1, int accept,
			struct aion_ipc_buffer *buf, aion_handle_t *got)
{
	struct aion_msg m = { .tag = AION_TAG(label, 0, 0) | AION_TAG_ACCEPT(accept),
			      .w = { 0, w1, 0 } };
	/* The serial unit serves the terminal and calls this shell with each
	 * line: while it waits for us (a line typed right after `sh`), we
	 * must not wait for it. */
	int64_t err = aion_call(cap, &m, SH_CALL_NS);
	if (!err && (int64_t)m.w[0] < 0)
		err = (int64_t)m.w[0];
	if (!err && got)
		*got = AION_TAG_CAPS(m.tag) == 1 ? buf->caps[0] : 0;
	if (!err && got && !*got)
		err = -AION_EMALFORMED;
	return err;
}

static void drop(void)
{
	aion_handle_close(sh_thread);
	aion_unit_destroy(sh_unit);
	aion_handle_close(sh_unit);
	sh_unit = sh_thread = 0;
}

/* The previous shell's units, once it ended. */
static int64_t reap(void)
{
	struct aion_unit_info info;
	if (!sh_unit)
		return 0;
	int64_t err = aion_unit_info(sh_unit, &info);
	if (!err && info.state == AION_UNIT_RUNNING)
		return -AION_EBUSY;
	drop();
	return 0;
}

/* fs: the VFS root; reap: vfsd's VFS_REAP capability, for procd only. */
static int64_t start(struct aion_ipc_buffer *buf, aion_handle_t fs, aion_handle_t reap,
		     aion_handle_t tty)
{
	struct aion_startup st = { .posix_fs = CHILD_FIRST, .posix_tty = CHILD_SECOND,
				   .vfs_reap = CHILD_THIRD };
	const char args[] = "run /bin/busybox sh -i";      /* busybox: argv[1] the applet */
	memcpy(st.args, args, sizeof(args));
	struct aion_spawn sp = {
		.name = "procd", .image = posix_procd_elf,
		.image_size = (size_t)(posix_procd_elf_end - posix_procd_elf),
		.quota_frames = SH_QUOTA, .max_prio = SH_PRIO, .prio = SH_PRIO, .startup = &st,
		.stack_pages = 32, .no_start = 1,
	};
	int64_t err = aion_spawn(&sp, &sh_unit, &sh_thread);
	int64_t a = err ? err : aion_cap_give(sh_unit, fs, AION_RIGHT_SEND);
	/* procd's hold of the record, which it closes at its end. */
	int64_t b = a < 0 ? a : aion_give_record(sh_unit, tty, AION_RIGHT_SEND | AION_RIGHT_GRANT);
	bool held = b >= 0;
	int64_t c = b < 0 ? b : aion_cap_give(sh_unit, reap, AION_RIGHT_SEND);
	if (c >= 0 && (a != CHILD_FIRST || b != CHILD_SECOND || c != CHILD_THIRD))
		b = -AION_ERANGE;
	else if (c < 0)
		b = c;
	err = b < 0 ? b : aion_thread_start(sh_thread);
	if (err) {
		if (held)
			tty_call(tty, VFS_CLOSE, 0, 0, buf, NULL);
		if (sh_unit)
			drop();
	}
	return err;
}

int cmd_sh(struct aion_ipc_buffer *buf)
{
	aion_handle_t tty = 0;
	int64_t err = reap();
	/* Right after boot vfsd may not have registered yet: wait a little. */
	int64_t fs = err ? err : init_lookup(SVC_INIT_EP, buf, "vfs", SH_LOOKUP_NS);
	int64_t reap_ep = fs < 0 ? fs : init_lookup(SVC_INIT_EP, buf, VFS_REAP_NAME, SH_LOOKUP_NS);
	int64_t opener = reap_ep < 0 ? reap_ep :
			 init_lookup(SVC_INIT_EP, buf, TTY_NAME, SH_LOOKUP_NS);
	if (opener >= 0) {
		err = tty_call((aion_handle_t)opener, VFS_OPEN, VFS_O_READ | VFS_O_WRITE, 1, buf,
			       &tty);
		aion_handle_close((aion_handle_t)opener);
	}
	err = opener < 0 ? opener : err ? err : start(buf, (aion_handle_t)fs,
							(aion_handle_t)reap_ep, tty);
	if (tty) {
		/* Our own hold: the session's end is procd's and ash's. */
		tty_call(tty, VFS_CLOSE, 0, 0, buf, NULL);
		aion_handle_close(tty);
	}
	if (fs > 0)
		aion_handle_close((aion_handle_t)fs);
	if (reap_ep > 0)
		aion_handle_close((aion_handle_t)reap_ep);
	if (err) {
		aion_printf("error: sh: %s", aion_error_name(err));
		return 1;
	}
	aion_printf("sh: started: the console is busybox's shell until it exits");
	return 0;
}
