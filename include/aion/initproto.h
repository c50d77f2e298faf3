/*
 * The protocol of init's endpoint: the local name service and the
 * administration calls the shell uses. Labels go in the IPC tag; names and
 * text go in the payload; a capability travels in caps[0].
 *
 *   NS_REGISTER  payload: name            caps[0]: the capability to publish
 *   NS_LOOKUP    payload: name            reply caps[0]: the capability
 *   NS_LIST      reply payload: "name name ..." (one line)
 *   ADMIN_PS     payload: listing position (decimal, "" = 0)
 *                reply payload: whole lines, one per unit "id name state threads=
 *                frames=used/quota cpus= syscalls= cpu_ms= loads="; a last line "more=K"
 *                when the rest did not fit: ask again from K
 *   ADMIN_CAPS   payload: unit name       reply payload: one line per capability
 *   ADMIN_KILL   payload: unit name       (destroys it; a service restarts)
 *   ADMIN_SERVICES  reply payload: one line per service "name state restarts"
 *   ADMIN_SHUTDOWN  stops every job and service, last started first, then
 *                powers the machine off (docs/services.md). Answered at
 *                once: 0 when it starts, -AION_EBUSY while one is under way
 *
 *   JOB_START    payload: "PROGRAM ARGS"  caps[0]: the job's JOB_MESH_EP
 *                reply w1 = slot; ENOENT (not a job program), ENOSPC, ENOMEM
 *   JOB_STOP     w1 = slot                 (destroys the unit)
 *   JOB_LIST     reply w1 = bit mask of running slots, w2 = units on the node
 *   JOB_INFO     payload: PROGRAM          reply w1 = INIT_JOB_* flags; ENOENT
 *
 * Replies carry w0 = 0 or -AION_E... . Administration needs a capability
 * minted with badge INIT_BADGE_ADMIN (init gives one to the shell only),
 * the JOB calls one with INIT_BADGE_JOBS (meshd only). INIT_BADGE_POWER
 * (the power button driver only) allows ADMIN_SHUTDOWN and nothing else.
 *
 * Names that start with INIT_ADMIN_NAME_PREFIX ("admin.") are a service's
 * administration endpoint (e.g. meshd's "admin.meshd": cluster key
 * rotation): NS_LOOKUP gives them only through an INIT_BADGE_ADMIN
 * capability (else EPERM), and a service of init's manifest may
 * NS_REGISTER only "admin." + its own manifest name (anything else, and
 * any job: EPERM), so no unit can stand in for another's.
 */
#ifndef AION_INITPROTO_H
#define AION_INITPROTO_H

#define INIT_NS_REGISTER        1
#define INIT_NS_LOOKUP          2
#define INIT_NS_LIST            3
#define INIT_ADMIN_PS           16
#define INIT_ADMIN_CAPS         17
#define INIT_ADMIN_KILL         18
#define INIT_ADMIN_SERVICES     19
#define INIT_ADMIN_SHUTDOWN     20
#define INIT_JOB_START          24
#define INIT_JOB_STOP           25
#define INIT_JOB_LIST           26
#define INIT_JOB_INFO           27
#define INIT_JOB_REPLICATED     1       /* JOB_INFO: the program is primary-backup */
#define INIT_ADMIN_NAME_PREFIX  "admin."

#define INIT_BADGE_CLIENT       1
#define INIT_BADGE_ADMIN        2
#define INIT_BADGE_JOBS         3
#define INIT_BADGE_POWER        4
/* Notices from services' fault endpoints carry badge INIT_BADGE_SERVICE + index. */
#define INIT_BADGE_SERVICE      0x100
/* utest's end notice when it runs next to services (aion.test=posix..., vfs...). */
#define INIT_BADGE_UTEST        0x1ff
/* Jobs' notices and name registrations carry INIT_BADGE_JOB + slot. */
#define INIT_BADGE_JOB          0x200
#define INIT_JOBS_MAX           8

#define INIT_NAME_MAX           32

/* Capabilities a service finds in its table when it starts (given in this order). */
#define SVC_INIT_EP             AION_HANDLE(1, 1)      /* init: name service (client badge) */
/*
 * SVC_NEED_FWCFG (space/init/init.h): an I/O port capability for fw_cfg's
 * ports (fwcfg.h: FWCFG_PORT, FWCFG_PORTS), given after every other
 * capability but the disk's regions; for a service whose needs are
 * exactly SVC_NEED_FWCFG it is the second one. Pass it to
 * fwcfg_read_file().
 */
#define SVC_FWCFG_IO            AION_HANDLE(2, 1)
/*
 * utest started for a POSIX or VFS test (aion.test=posix..., vfs...) runs
 * next to the services marked for tests (vfsd): its table holds the platform, then
 * init's endpoint with the client badge, for NS_LOOKUP.
 */
#define UTEST_INIT_EP           AION_HANDLE(2, 1)
/*
 * The disk's region capabilities (aion/blk.h: endpoint copies minted with
 * a region badge, SEND | GRANT) come after every other capability, so a
 * node without a disk gives none and moves nothing else:
 *   SVC_NEED_DISK_MESH  the "mesh" region, read-write: meshd's (4, 1),
 *                       after its jobs endpoint and fw_cfg's ports
 *   SVC_NEED_DISK_TEST  blktest's own table (its only need), below: two
 *                       adjacent test regions at the start of "data"
 *   SVC_NEED_DISK_DATA  the "data" region, read-write: ext2d's (2, 1), its
 *                       only need (space/ext2/ext2d.c)
 */
#define SVC_MESHD_DISK          AION_HANDLE(4, 1)
/*
 * meshd runs as netd's guest in this window of netd's address space
 * (UNIT_COLOCATE; docs/network.md "meshd in netd's address space"):
 * linked there (mesh/meshd/meson.build's --defsym agrees; meshd checks).
 */
#define SVC_MESHD_WINDOW        1u
#define SVC_EXT2D_DISK          AION_HANDLE(2, 1)
#define SVC_DISK_TEST_RW        AION_HANDLE(2, 1)      /* region A (256 blocks), read-write */
#define SVC_DISK_TEST_RO        AION_HANDLE(3, 1)      /* region A again, read-only */
#define SVC_DISK_TEST_NEXT      AION_HANDLE(4, 1)      /* region B, right after A, read-write */
#define SVC_DISK_TEST_DATA      AION_HANDLE(5, 1)      /* "data" (to the disk's end), read-only */
#define SVC_DISK_TEST_NO_REGION AION_HANDLE(6, 1)      /* the endpoint, a badge naming no region */

#endif /* AION_INITPROTO_H */
