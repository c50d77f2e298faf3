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
#define AION_BOOT_MODULES_MAX   24
#define AION_BOOT_NAME_MAX      48
#define AION_CMDLINE_MAX        256

struct aion_boot_module {
	uint64_t vaddr;                 /* where it is mapped in init */
	uint64_t size;
	char name[AION_BOOT_NAME_MAX];
};

/*
 * ACPI fixed hardware for the power button and soft-off, as the kernel
 * found it in the FADT and the DSDT's \_S5 package. The kernel only reads
 * tables; init decides what to do with the ports (docs/services.md).
 * `flags` says which fields hold: none of them on a machine without ACPI.
 */
#define AION_ACPI_PM1   (1u << 0)       /* pm1a_*, pm1_*_len, sci_line, smi_cmd, acpi_enable */
#define AION_ACPI_S5    (1u << 1)       /* s5_slp_typ */

struct aion_acpi_power {
	uint32_t flags;                 /* AION_ACPI_* */
	uint16_t pm1a_evt;              /* I/O port: PM1a status (len/2 bytes), then enable */
	uint16_t pm1a_cnt;              /* I/O port: PM1a control (SCI_EN, SLP_TYP, SLP_EN) */
	uint8_t pm1_evt_len;            /* bytes of the event block, even, >= 4 */
	uint8_t pm1_cnt_len;            /* bytes of the control block, >= 2 */
	uint8_t acpi_enable;            /* value for smi_cmd that enters ACPI mode */
	uint8_t s5_slp_typ;             /* SLP_TYPa for soft-off (0..7) */
	uint16_t smi_cmd;               /* I/O port; 0: the machine is always in ACPI mode */
	uint16_t sci_line;              /* I/O APIC input of the SCI, for IRQ_CREATE */
};

struct aion_bootinfo {
	uint64_t magic;
	uint32_t node;                  /* aion.node= */
	uint32_t nmodules;
	uint64_t init_quota_frames;     /* frames init may hand out */
	char cmdline[AION_CMDLINE_MAX];
	struct aion_boot_module mod[AION_BOOT_MODULES_MAX];
	struct aion_acpi_power power;
};

#endif /* AION_BOOTINFO_H */
