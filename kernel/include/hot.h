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

#endif /* KERNEL_HOT_H */
