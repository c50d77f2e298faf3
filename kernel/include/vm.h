/*
 * Address spaces of units (arch/x86_64/vm.c) and kernel stack mappings.
 * The kernel half is shared by every address space; the user half is the
 * unit's own. Page-table frames are charged to the unit.
 */
#ifndef KERNEL_VM_H
#define KERNEL_VM_H

#include <stdint.h>
#include <stdbool.h>

struct unit;

int vm_create(struct unit *u);
/* Frees every user page the unit owns and every table: O(pages mapped). */
void vm_destroy(struct unit *u);

/*
 * Maps one user page. owned: the frame belongs to the unit and is freed
 * (and uncharged) on unmap; borrowed frames (boot modules) are not.
 * -AION_EFAULT outside the user half, -AION_EEXIST when already mapped.
 */
int vm_map(struct unit *u, uint64_t va, uint64_t pa, unsigned prot, bool owned);
#define VM_UNCACHED (1u << 8)           /* with prot: device registers */
int vm_unmap(struct unit *u, uint64_t va);

/*
 * The physical address behind user address va if the unit may access it
 * (write: needs a writable page). -AION_EFAULT otherwise. *owned tells
 * whether the frame is the unit's own (may be NULL).
 */
int vm_translate(struct unit *u, uint64_t va, bool write, uint64_t *pa, bool *owned);

/* Loads the unit's page tables; NULL loads the kernel's. */
void vm_activate(struct unit *u);

/* Kernel stacks: page tables made at boot, then map/unmap one page. */
int vm_kreserve(uint64_t va, uint64_t len);
int vm_kmap(uint64_t va, uint64_t pa);
uint64_t vm_kunmap(uint64_t va);

#endif /* KERNEL_VM_H */
