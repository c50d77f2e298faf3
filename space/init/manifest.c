/*
 * The services every node runs, in start order. The manifest lives in the
 * image (this table), so every node boots the same set. Each service gets
 * init's endpoint as its first capability (SVC_INIT_EP) and only what its
 * `needs` name besides.
 */
#include "aion/vfs.h"
#include "init.h"

const struct svc_spec manifest[] = {
	/* The ACPI power button: asks init for an orderly shutdown. First, so
	 * that it is stopped last and answers a second press meanwhile. */
	{ .name = "power", .prio = 125, .quota = 64, .needs = SVC_NEED_POWER },
	/* The node's disk (docs/storage.md), when the VM has one. Before its
	 * clients, so that a shutdown stops it after them. */
	{ .name = "virtio-blk", .prio = 124, .quota = 128, .needs = SVC_NEED_DISK },
	/* The disk's file system, ext2/3/4 in the "data" region through
	 * lib/ext2fs (docs/storage.md "The data file system"); vfsd's /data
	 * leads there. 768 frames: lib/ext2fs's bitmaps, caches and heap;
	 * 1280 more for e2fsck (its copy in ext2d's image, then the child
	 * unit it runs at mount after an unclean stop: ext2d_fsck.c).
	 * Before every unit that may write files (the shell's processes, jobs,
	 * vfsd), so that a shutdown stops it after them, once it has synced. */
	{ .name = "ext2d", .prio = 118, .quota = 2048, .needs = SVC_NEED_DISK_DATA,
	  .stop_sync = VFS_DATA_NAME },
	/* lwIP: 4 MiB heap in its bss. The mesh NIC's driver runs inside it
	 * (SVC_NEED_NIC_IN; 320 frames of the quota are the driver's, as for
	 * its own unit below, which runs with aion.nicunit or aion.nicselftest).
	 * In utest's sockets tests too (posixsock*): without a NIC it serves
	 * loopback (docs/posix.md "Sockets"). */
	{ .name = "netd", .prio = 120, .quota = 2368, .in_tests = true,
	  .tests_prefix = "posixsock", .needs = SVC_NEED_NIC_IN },
	/* 512 frames its own, 4096 for `sh`'s procd and its processes
	 * (posixsh.c: the shell, a pipeline's commands, an exec's two images). */
	{ .name = "shell", .prio = 120, .quota = 4608, .needs = SVC_NEED_ADMIN },
	/* COM1's input and the terminal (docs/posix.md "The terminal"); also in
	 * utest's POSIX tests, whose programs may be given the terminal. */
	{ .name = "serial", .prio = 130, .quota = 256, .needs = SVC_NEED_COM1, .in_tests = true },
	{ .name = "virtio-net", .prio = 125, .quota = 320, .needs = SVC_NEED_NIC },
	{ .name = "virtio-net1", .module = "virtio-net", .prio = 125, .quota = 320,
	  .needs = SVC_NEED_NIC1 },
	/* AionMesh: membership, remote calls, cluster-wide names (docs/mesh.md);
	 * the disk's "mesh" region for its Raft log (its log and snapshot
	 * buffers take about 1 MiB; bulk transfers' buffers 0.5 MiB). In
	 * netd's address space, so that a packet between them writes no CR3
	 * (docs/network.md "meshd in netd's address space"). */
	{ .name = "meshd", .prio = 119, .quota = 1280,
	  .needs = SVC_NEED_JOBS | SVC_NEED_FWCFG | SVC_NEED_DISK_MESH,
	  .host = "netd", .window = SVC_MESHD_WINDOW },
	/* Files (docs/fs.md): the root tree from the initramfs, the name "vfs".
	 * 1536 frames (6 MiB) for its heap, pipes' buffers and the files
	 * programs write; unit_from_module adds twice the initramfs's frames
	 * (the archive's copy, given back after unpacking, and the tree, a
	 * frame a file page: space/fs/pages.c): about 3,800 in all for today's
	 * 4.4 MiB archive, more for the PTS ISO's (deploy/pts).
	 * Also in utest's POSIX tests, whose programs get its root directory. */
	{ .name = "vfsd", .prio = 118, .quota = 1536, .needs = SVC_NEED_INITRAMFS,
	  .in_tests = true },
	/* Network tests between units (tests/cluster): aion.nettest=ROLES. */
	{ .name = "nettest", .prio = 110, .quota = 512, .when = "aion.nettest" },
	/* utest as a service, for POSIX programs on a node with its NIC and
	 * services (tests/cluster/cluster_posix_sock.py): aion.posixtest=NAME[:ARG]. */
	{ .name = "posixtest", .module = "utest", .prio = 110, .quota = 2048,
	  .when = "aion.posixtest" },
	/* 512: 64 KiB payload buffers per thread (meshtest's bulk.c). */
	{ .name = "meshtest", .prio = 110, .quota = 512, .when = "aion.meshtest" },
	/* Disk tests (tests/boot/boot_disk.py): aion.blktest=MODE. */
	{ .name = "blktest", .prio = 110, .quota = 320, .needs = SVC_NEED_DISK_TEST,
	  .when = "aion.blktest" },
};

const unsigned manifest_len = sizeof(manifest) / sizeof(manifest[0]);

/* Programs the cluster scheduler may place on this node (jobs.c). */
const struct job_spec job_programs[] = {
	{ .name = "kv", .prio = 110, .quota = 256, .flags = INIT_JOB_REPLICATED },
	{ .name = "echod", .prio = 110, .quota = 96 },  /* "echo": answers text calls */
	{ .name = "busy", .prio = 110, .quota = 32 },   /* spins: a CPU hog for bench/detect */
};

const unsigned job_programs_len = sizeof(job_programs) / sizeof(job_programs[0]);
