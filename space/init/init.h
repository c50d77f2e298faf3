/* init's parts: services (manifest, start, restart), names, administration. */
#ifndef INIT_INIT_H
#define INIT_INIT_H

#include <stdbool.h>
#include "aion/bootinfo.h"
#include "aion/initproto.h"
#include "libaion/lib.h"
#include "libaion/serve.h"
#include "common/time.h"

#define SERVICES_MAX 16

struct service {
	const struct svc_spec *spec;
	aion_handle_t unit, thread;     /* 0 when not running */
	unsigned restarts, failures;    /* failures: in a row, reset after a calm spell */
	uint64_t restart_at;            /* clock time of a pending restart, 0 if none */
	uint64_t started_at;
	bool gave_up;
};

struct svc_spec {
	const char *name;               /* unit name, and module name unless `module` */
	const char *module;
	unsigned prio, quota;
	unsigned needs;                 /* SVC_NEED_* */
	/* Only when the kernel command line has this key; its value goes to
	 * the service's args as key-without-prefix=value (tests, benches). */
	const char *when;
	bool in_tests;                  /* started for utest's POSIX tests too (init.c) */
	const char *tests_prefix;       /* in_tests: only for tests named so (NULL: all) */
	/* A file system's server: before stopping it, init calls VFS_SYNC on
	 * the name it registered (shutdown.c), so the disk is left clean. */
	const char *stop_sync;
	/* A guest of the service named host, in its address space at window
	 * (UNIT_COLOCATE; made by init under the host, on init's quota),
	 * unless the command line has aion.apart. Started once its host runs. */
	const char *host;
	unsigned window;
};

#define SVC_NEED_COM1   (1u << 0)       /* COM1's ports and IRQ 4 */
#define SVC_NEED_ADMIN  (1u << 1)       /* init's endpoint with the admin badge */
#define SVC_NEED_NIC    (1u << 2)       /* the mesh NIC's ports and IRQ (devices.c) */
#define SVC_NEED_NIC1   (1u << 3)       /* the second NIC (node 1's port forward) */
/* The mesh NIC's ports and IRQ for a unit that runs its driver inside
 * (netd: docs/network.md "The NIC inside netd"), unless the command line
 * asks for the driver's own unit (devices_nic_inside). */
#define SVC_NEED_NIC_IN (1u << 12)
#define SVC_NEED_FWCFG  (1u << 4)       /* fw_cfg's ports 0x510-0x511, last but the regions */
#define SVC_NEED_JOBS   (1u << 5)       /* init's endpoint with the jobs badge (meshd) */
#define SVC_NEED_POWER  (1u << 6)       /* power badge, PM1a event ports, SCI (power.c) */
#define SVC_NEED_DISK   (1u << 7)       /* the disk driver: its ports, endpoint, IRQ (devices.c) */
/* A copy of the boot module "initramfs", read-only in its memory (the
 * startup record's data_vaddr/data_size): no capability, vfsd's quota pays. */
#define SVC_NEED_INITRAMFS (1u << 10)
/* Region capabilities of the disk (disk.c), given last: */
#define SVC_NEED_DISK_MESH (1u << 8)    /* "mesh", read-write (meshd) */
#define SVC_NEED_DISK_TEST (1u << 9)    /* blktest's regions (SVC_DISK_TEST_*) */
#define SVC_NEED_DISK_DATA (1u << 11)   /* "data", read-write (ext2d: SVC_EXT2D_DISK) */

extern aion_handle_t init_ep;           /* init's endpoint (all rights) */
extern const struct aion_bootinfo *bootinfo;
extern struct aion_ipc_buffer init_buf; /* the serving thread's */
extern const char *init_test_name;      /* aion.test='s value, in test mode */
extern bool init_test_mode;             /* aion.test=: only in_tests services */

/* serve.c: init's endpoint, forever */
__attribute__((noreturn)) void serve_forever(void);

/* services.c */
void services_start(void);
void service_ended(unsigned index, const struct aion_msg *notice);
/* init.c: utest, when it ran next to services, ended (its notice). */
void utest_ended(const struct aion_msg *notice);
int64_t service_kill(struct service *s);        /* the end notice brings it back */
uint64_t services_next_restart(void);   /* 0: none pending */
void services_restart_due(void);
struct service *service_by_name(const char *name);
unsigned services_count(void);
unsigned services_running(void);
struct service *service_at(unsigned i);
bool services_stop_last(void);          /* shutdown: false when none runs */

/* data_module: a boot module copied read-only into the unit (NULL: none);
 * the unit's quota grows by twice its frames (the copy, what it unpacks). */
/* host: 0, or the unit to make it a guest of, at window (struct aion_spawn). */
int64_t unit_from_module(const char *name, const char *module, const char *data_module,
			 unsigned quota, unsigned prio, const struct aion_startup *st,
			 aion_handle_t host, unsigned window,
			 aion_handle_t *unit, aion_handle_t *thread);
void unit_discard(aion_handle_t *unit, aion_handle_t *thread);
int64_t give_init_ep(aion_handle_t unit, uint32_t rights, uint64_t badge);

/* jobs.c: units the cluster scheduler places here (meshd asks) */
struct job_spec {
	const char *name;               /* program = boot module */
	unsigned prio, quota;
	unsigned flags;                 /* INIT_JOB_* */
};
extern const struct job_spec job_programs[];
extern const unsigned job_programs_len;
/* meshd's calls (serve.c's table): JOB_START, JOB_STOP, JOB_LIST, JOB_INFO */
int64_t jobs_start_call(struct aion_serve_req *r);
int64_t jobs_stop_call(struct aion_serve_req *r);
int64_t jobs_list_call(struct aion_serve_req *r);
int64_t jobs_info_call(struct aion_serve_req *r);
void job_ended(unsigned slot, const struct aion_msg *notice);
unsigned jobs_running(void);
aion_handle_t job_unit(unsigned slot);  /* 0: slot free */
int64_t jobs_kill(const char *program); /* the first job running it: 0 or -AION_ENOENT */
bool jobs_stop_last(void);              /* shutdown: false when none runs */

/* devices.c */
void devices_scan(void);
/* NIC i's startup args (before spawning), then its ports and IRQ (next two slots). */
bool devices_have_nic(unsigned i);
int64_t devices_nic_args(unsigned i, char *args, unsigned size);
int64_t devices_give_nic(unsigned i, aion_handle_t unit);
/* The mesh NIC goes to netd (SVC_NEED_NIC_IN): there is one, and neither
 * aion.nicunit nor aion.nicselftest asks for the driver's own unit. */
bool devices_nic_inside(void);
/* Gives unit ports [base, base+count) (READ|WRITE) and an IRQ (READ|CONTROL). */
int64_t give_ports_irq(aion_handle_t unit, uint16_t base, uint16_t count, unsigned line);
/* Ports init itself uses from now on (0 or -AION_E...). */
int64_t devices_enable_ports(uint16_t base, uint16_t count);
/* The disk: found, and its endpoint made (disk.c). The driver's startup
 * args, then its ports, endpoint and IRQ (the next slots). */
bool devices_have_disk(void);
int64_t devices_disk_args(char *args, unsigned size);
int64_t devices_give_disk(aion_handle_t unit);
/* Before the disk driver's unit goes: the device stops using its memory. */
void devices_disk_quiesce(void);

/* msix.c: PCI function a raises IRQ line (message-signalled) through
 * entry 0 of its MSI-X table, mapped at init's slot; its INTx goes off.
 * 0, or -AION_ENOENT (no MSI-X) or another error, INTx left on. */
struct pci_addr;
int64_t msix_route(struct pci_addr a, unsigned slot, unsigned line);

/* disk.c: the driver's endpoint (init keeps it) and the region capabilities */
int64_t disk_setup(void);
aion_handle_t disk_endpoint(void);      /* 0: no disk */
/* The regions needs (SVC_NEED_DISK_*) ask for, into unit; none without a disk. */
int64_t disk_give_regions(unsigned needs, aion_handle_t unit);

/* power.c: ACPI mode, the power-button driver's capabilities, soft-off */
void power_setup(void);
bool power_button_usable(void);
void power_args(char *args, unsigned size);
int64_t power_give(aion_handle_t unit);
int64_t power_off(void);                /* returns only on failure */

/* shutdown.c */
bool shutdown_active(void);
int64_t shutdown_request(uint64_t badge);       /* 0, or -AION_EBUSY if under way */
/* After each receive (quiet: it timed out): during a shutdown, now and
 * then stops one unit; after the last, powers off and does not return. */
void shutdown_turn(bool quiet);

/* names.c */
int64_t names_register(const char *name, aion_handle_t cap, int owner);
int64_t names_lookup(const char *name, aion_handle_t *cap);
int64_t names_list(char *out, unsigned size);       /* 0 */
void names_drop_owner(int owner);

/* admin.c: fills the reply payload; returns 0 or -AION_E... */
int64_t admin_ps(const char *from, char *out, unsigned size);
int64_t admin_caps(const char *unit, char *out, unsigned size);
int64_t admin_kill(const char *unit);
int64_t admin_services(char *out, unsigned size);


#endif /* INIT_INIT_H */
