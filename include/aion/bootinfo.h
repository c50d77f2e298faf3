/*
 * The boot-info page the kernel maps read-only into init, and the startup
 * record a parent writes into a child unit. Both are plain data.
 */
#ifndef AION_BOOTINFO_H
#define AION_BOOTINFO_H

#include <stdint.h>

#define AION_BOOTINFO_MAGIC     0x41494f4e424f4f54ull  /* "AIONBOOT" */
#define AION_BOOTINFO_VADDR     0x0000000000200000ull  /* init: rdi */
#define AION_MODULES_VADDR      0x0000000100000000ull  /* init: modules, read-only */
#define AION_BOOT_MODULES_MAX   16
#define AION_BOOT_NAME_MAX      48
#define AION_CMDLINE_MAX        256

struct aion_boot_module {
	uint64_t vaddr;                 /* where it is mapped in init */
	uint64_t size;
	char name[AION_BOOT_NAME_MAX];
};

struct aion_bootinfo {
	uint64_t magic;
	uint32_t node;                  /* aion.node= */
	uint32_t nmodules;
	uint64_t init_quota_frames;     /* frames init may hand out */
	char cmdline[AION_CMDLINE_MAX];
	struct aion_boot_module mod[AION_BOOT_MODULES_MAX];
};

#endif /* AION_BOOTINFO_H */
