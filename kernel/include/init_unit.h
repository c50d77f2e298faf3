#ifndef KERNEL_INIT_UNIT_H
#define KERNEL_INIT_UNIT_H

struct mb2_info;

/* Creates the init unit from the boot module named "init" and starts it. */
int init_start(const struct mb2_info *bi, unsigned node);

#endif /* KERNEL_INIT_UNIT_H */
