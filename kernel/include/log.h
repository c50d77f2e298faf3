/*
 * Kernel log: one line per event, parseable by the host scripts:
 *
 *   [    1.234567] node0 kernel: <event> key=value ...
 *   [    1.234567] node0 init: <what the unit wrote>
 *
 * The time is the monotonic clock (0 before calibration); the node number
 * comes from the boot command line (aion.node=N).
 */
#ifndef KERNEL_LOG_H
#define KERNEL_LOG_H

void log_set_node(unsigned node);
void klog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A line on behalf of a unit (its DEBUG_LOG system call). */
void ulog(const char *unit, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Raw console output without a prefix, for continuation of a dump. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* KERNEL_LOG_H */
