/*
 * KERNEL_HOT marks the functions of the paths every IPC, switch and
 * interrupt runs. GCC puts them in .text.hot, which the linker script
 * places first, all together: under QEMU TCG each address-space switch
 * empties the software TLB, so every page of kernel code a path then
 * runs costs a page-table walk in the emulator (docs/network.md, "Hot
 * kernel code together"). Spread over the image, a call and its reply
 * ran code on 12 pages.
 */
#ifndef KERNEL_HOT_H
#define KERNEL_HOT_H

#define KERNEL_HOT __attribute__((hot))

/*
 * KERNEL_HOT_INLINE folds a small step of the IPC path into its caller.
 * The CR3 write also empties TCG's jump cache, so after it each return
 * and each call to another page is looked up again in the emulator's
 * table of translated blocks: a call and its reply with dequeue,
 * deliver_call, answer, drop_reply_to and check_tag out of line took
 * 1.16 times two bare switches, folded 1.13 (docs/network.md).
 */
#define KERNEL_HOT_INLINE __attribute__((hot, always_inline)) inline

#endif /* KERNEL_HOT_H */
