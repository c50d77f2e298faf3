#ifndef KERNEL_INIT_UNIT_H
#define KERNEL_INIT_UNIT_H

struct mb2_info;
struct aion_acpi_power;

/* Creates the init unit from the boot module named "init" and starts it;
 * its boot-info page carries node and the ACPI power facts. */
int init_start(const struct mb2_info *bi, unsigned node, const struct aion_acpi_power *power);

#endif /* KERNEL_INIT_UNIT_H */
