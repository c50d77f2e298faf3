/*
 * Recovery at mount (docs/storage.md "Recovery at mount"): ext2d runs
 * e2fsck on a file system that was not cleanly synced, as a Linux
 * initramfs runs fsck before mounting root. e2fsck is Debian's
 * e2fsprogs 1.47, unedited (fsck.h, fsck_io.c), carried in ext2d's image
 * (fsck_image.S) and started as a child unit of ext2d: its table holds only
 * the data region, it pays from ext2d's quota, and its output goes to the
 * log as any program's without a terminal.
 */
#include "aion/error.h"
#include "ext2d.h"
#include "fsck.h"
#include "libaion/lib.h"

extern const char ext2_fsck_image[], ext2_fsck_image_end[];

/* A check of the whole region takes seconds on TCG; this only stops a
 * child that hangs from keeping the node without its file system. */
#define FSCK_TIMEOUT_NS         (600ull * 1000000000ull)
#define FSCK_KEEP_FRAMES        64      /* ext2d's own, while the child runs */
#define FSCK_STACK_PAGES        64      /* 256 KiB: e2fsck's passes recurse */

static int64_t start(aion_handle_t region, const char *option, aion_handle_t *unit,
		     aion_handle_t *thread)
{
	const char *const argv[] = { "e2fsck", option, EXT2_FSCK_DEVICE, NULL };
	/* No mount table on Aion: e2fsck's mount check is told that is fine. */
	static const char *const envp[] = { "EXT2FS_NO_MTAB_OK=1", NULL };
	static char block[256];
	struct aion_unit_info self;
	struct aion_startup st = { 0 };
	uint32_t argc, envc;

	int64_t len = aion_argv_pack(block, sizeof(block), argv, envp, &argc, &envc);
	int64_t err = len < 0 ? len : aion_unit_info(AION_HANDLE_SELF, &self);
	if (err)
		return err;
	if (self.quota_frames < self.used_frames + 2 * FSCK_KEEP_FRAMES)
		return -AION_ENOMEM;
	struct aion_spawn sp = {
		.name = "e2fsck", .image = ext2_fsck_image,
		.image_size = (size_t)(ext2_fsck_image_end - ext2_fsck_image),
		.quota_frames = self.quota_frames - self.used_frames - FSCK_KEEP_FRAMES,
		.max_prio = self.max_prio, .prio = self.max_prio,
		.startup = &st, .argv_block = block, .argv_len = (size_t)len,
		.argc = argc, .envc = envc, .no_start = 1, .stack_pages = FSCK_STACK_PAGES,
	};
	if ((err = aion_spawn(&sp, unit, thread)))
		return err;
	int64_t h = aion_cap_give(*unit, region, AION_RIGHT_SEND | AION_RIGHT_GRANT);
	err = h < 0 ? h : h != EXT2_FSCK_REGION ? -AION_EINVAL : aion_thread_start(*thread);
	if (err) {
		aion_unit_destroy(*unit);
		aion_handle_close(*unit);
		aion_handle_close(*thread);
	}
	return err;
}

int ext2d_fsck(aion_handle_t region, const char *option)
{
	aion_handle_t unit, thread;
	struct aion_unit_info info;
	uint64_t t0 = aion_clock_ns();
	int64_t err = start(region, option, &unit, &thread);

	if (err) {
		aion_printf("ext2d: check not started option=%s err=%s", option,
			    aion_error_name(err));
		return (int)err;
	}
	err = aion_unit_wait(unit, FSCK_TIMEOUT_NS, &info);
	if (!err && info.state != AION_UNIT_EXITED)
		err = -AION_EFAULT;
	aion_printf("ext2d: check ended option=%s exit=%d state=%s ms=%llu", option,
		    err ? -1 : info.exit_code,
		    err == -AION_ETIMEDOUT ? "timeout" : err ? "faulted" : "exited",
		    (unsigned long long)((aion_clock_ns() - t0) / 1000000));
	aion_unit_destroy(unit);
	aion_handle_close(unit);
	aion_handle_close(thread);
	return err ? (int)err : info.exit_code;
}
