/*
 * User address spaces: 4-level page tables whose upper half (PML4 entries
 * 256..511) is copied from the kernel's, so kernel mappings are shared.
 * The kernel only ever adds mappings below existing upper-half PDPTs, so
 * the copy never goes stale.
 *
 * A guest (UNIT_COLOCATE) has no PML4 of its own: it uses its parent's,
 * and owns the one entry of its window (PTE_WINDOW marks it) and all
 * below, charged to it. Its parent may not map there, it may map nowhere
 * else; both read and write each other's pages (docs/abi.md).
 */
#include "aion/error.h"
#include "aion/object.h"
#include "arch.h"
#include "arch/cpu.h"
#include "arch/percpu.h"
#include "common/string.h"
#include "layout.h"
#include "memory.h"
#include "unit.h"
#include "hot.h"

#define PTE_P           (1ull << 0)
#define PTE_W           (1ull << 1)
#define PTE_U           (1ull << 2)
#define PTE_PWT         (1ull << 3)
#define PTE_PCD         (1ull << 4)
#define PTE_PS          (1ull << 7)
#define PTE_BORROWED    (1ull << 9)     /* software bit: frame not the unit's */
#define PTE_DEVICE      (1ull << 10)    /* software bit: device registers, not RAM */
#define PTE_WINDOW      (1ull << 11)    /* software bit, PML4: a guest's window */
#define PTE_NX          (1ull << 63)
#define PTE_ADDR        0x000ffffffffff000ull

extern uint64_t arch_kernel_pml4_phys(void);
extern uint64_t arch_pte_nx(void);

static uint64_t *table_of(uint64_t entry)
{
	return phys_to_virt(entry & PTE_ADDR);
}

static unsigned idx(uint64_t va, int level)
{
	return (va >> (12 + 9 * level)) & 511;
}

/* A page u may map or unmap: its window if a guest, else any but a guest's. */
static bool user_page(const struct unit *u, uint64_t va)
{
	if (va < AION_USER_MIN || va >= AION_USER_END || (va & (PAGE_SIZE - 1)))
		return false;
	if (u->window)
		return idx(va, 3) == u->window;
	const uint64_t *pml4 = phys_to_virt(u->pml4);
	return !(pml4[idx(va, 3)] & PTE_WINDOW);
}

int arch_vm_create(struct unit *u)
{
	int64_t pa = unit_frame_alloc(u);
	if (pa < 0)
		return (int)pa;
	uint64_t *pml4 = phys_to_virt((uint64_t)pa);
	const uint64_t *kpml4 = phys_to_virt(arch_kernel_pml4_phys());
	for (unsigned i = 256; i < 512; i++)
		pml4[i] = kpml4[i];
	u->pml4 = (uint64_t)pa;
	return 0;
}

/* The level-0 entry for va, creating tables on the way when create. */
static int walk(struct unit *u, uint64_t va, bool create, uint64_t **pte)
{
	uint64_t *t = phys_to_virt(u->pml4);

	for (int level = 3; level > 0; level--) {
		uint64_t *e = &t[idx(va, level)];
		if (!(*e & PTE_P)) {
			if (!create)
				return -AION_EFAULT;
			int64_t pa = unit_frame_alloc(u);
			if (pa < 0)
				return (int)pa;
			*e = (uint64_t)pa | PTE_P | PTE_W | PTE_U;
		}
		t = table_of(*e);
	}
	*pte = &t[idx(va, 0)];
	return 0;
}

int arch_vm_map(struct unit *u, uint64_t va, uint64_t pa, unsigned prot, bool owned)
{
	uint64_t *pte;

	if (!user_page(u, va))
		return -AION_EFAULT;
	int err = walk(u, va, true, &pte);
	if (err)
		return err;
	if (*pte & PTE_P)
		return -AION_EEXIST;
	*pte = pa | PTE_P | PTE_U | ((prot & AION_PROT_WRITE) ? PTE_W : 0) |
	       ((prot & AION_PROT_EXEC) ? 0 : arch_pte_nx()) |
	       ((prot & VM_DEVICE) ? PTE_PCD | PTE_PWT | PTE_DEVICE : 0) |
	       (owned ? 0 : PTE_BORROWED);
	return 0;
}

static void release_leaf(struct unit *u, uint64_t pte)
{
	if (!(pte & PTE_BORROWED))
		unit_frame_free(u, pte & PTE_ADDR);
}

int arch_vm_unmap(struct unit *u, uint64_t va)
{
	uint64_t *pte;

	if (!user_page(u, va))
		return -AION_EFAULT;
	if (walk(u, va, false, &pte) || !(*pte & PTE_P))
		return -AION_ENOENT;
	uint64_t old = *pte;
	*pte = 0;
	if (read_cr3() == u->pml4)
		invlpg(va);
	arch_tlb_shootdown(u);          /* before the frame can be reused */
	release_leaf(u, old);
	return 0;
}

KERNEL_HOT
int arch_vm_translate(struct unit *u, uint64_t va, bool write, uint64_t *pa, bool *owned)
{
	uint64_t *pte;

	if (va < AION_USER_MIN || va >= AION_USER_END)
		return -AION_EFAULT;
	if (walk(u, va & ~(PAGE_SIZE - 1), false, &pte))
		return -AION_EFAULT;
	uint64_t e = *pte;
	if (!(e & PTE_P) || !(e & PTE_U) || (write && !(e & PTE_W)) || (e & PTE_DEVICE))
		return -AION_EFAULT;
	*pa = (e & PTE_ADDR) | (va & (PAGE_SIZE - 1));
	if (owned)
		*owned = !(e & PTE_BORROWED);
	return 0;
}

static void spend(uint64_t *budget)
{
	if (*budget)
		(*budget)--;
}

/*
 * Frees what lies below a table entry, at most about *budget pages and
 * tables (each spends one), clearing every entry it frees, so that the
 * next call goes on where this one stopped. True when all below is free.
 */
static bool free_below(struct unit *u, uint64_t entry, int level, uint64_t *budget)
{
	uint64_t *t = table_of(entry);

	for (unsigned i = 0; i < 512; i++) {
		if (!(t[i] & PTE_P))
			continue;
		if (!*budget)
			return false;
		if (level == 0)
			release_leaf(u, t[i]);
		else if (free_below(u, t[i], level - 1, budget))
			unit_frame_free(u, t[i] & PTE_ADDR);
		else
			return false;
		spend(budget);
		t[i] = 0;
	}
	return true;
}

/*
 * A guest's window: cut off from its parent's PML4 first, and every CPU
 * on those tables flushed, so that no TLB still reaches the pages the
 * slices then free (the parent's threads may run meanwhile).
 */
static bool window_destroy_some(struct unit *u, uint64_t *budget)
{
	if (!u->window_table) {
		uint64_t *pml4 = phys_to_virt(u->pml4);
		u->window_table = pml4[u->window];
		pml4[u->window] = 0;
		if (read_cr3() == u->pml4)
			write_cr3(u->pml4);
		arch_tlb_shootdown(u);
	}
	if (!free_below(u, u->window_table, 2, budget))
		return false;
	unit_frame_free(u, u->window_table & PTE_ADDR);
	u->window_table = 0;
	u->pml4 = 0;
	return true;
}

bool arch_vm_destroy_some(struct unit *u, uint64_t *budget)
{
	if (!u->pml4)
		return true;
	if (u->window)
		return window_destroy_some(u, budget);
	if (read_cr3() == u->pml4)
		arch_vm_activate(NULL);
	arch_vm_release(u);             /* idle CPUs keep the last tables (sched.c) */
	uint64_t *pml4 = phys_to_virt(u->pml4);
	for (unsigned i = 0; i < 256; i++) {
		if (!(pml4[i] & PTE_P))
			continue;
		if (!free_below(u, pml4[i], 2, budget))
			return false;
		unit_frame_free(u, pml4[i] & PTE_ADDR);
		pml4[i] = 0;
	}
	unit_frame_free(u, u->pml4);
	u->pml4 = 0;
	return true;
}

void arch_vm_destroy(struct unit *u)
{
	uint64_t all = UINT64_MAX;

	arch_vm_destroy_some(u, &all);
}

int arch_vm_colocate(struct unit *guest, struct unit *host, unsigned w)
{
	const uint64_t *own = phys_to_virt(guest->pml4);
	uint64_t *pml4 = phys_to_virt(host->pml4);

	for (unsigned i = 0; i < 256; i++)
		if (own[i] & PTE_P)
			return -AION_EBUSY;
	if (pml4[w] & PTE_P)
		return -AION_EBUSY;
	int64_t pa = unit_frame_alloc(guest);
	if (pa < 0)
		return (int)pa;
	pml4[w] = (uint64_t)pa | PTE_P | PTE_W | PTE_U | PTE_WINDOW;
	unit_frame_free(guest, guest->pml4);
	guest->pml4 = host->pml4;
	guest->window = (uint8_t)w;
	return 0;
}

KERNEL_HOT
void arch_vm_activate(struct unit *u)
{
	uint64_t want = u ? u->pml4 : arch_kernel_pml4_phys();
	/* Published before the tables are walked: a shootdown that reads the
	 * old value cleared its entries before this store (smp.c). A guest
	 * publishes its parent: theirs are one set of tables. */
	__atomic_store_n(&this_cpu()->vm_unit, u ? unit_space(u) : NULL, __ATOMIC_SEQ_CST);
	if (read_cr3() == want)
		return;
	write_cr3(want);
	if (u)          /* counted for `ps`: under TCG each costs a TLB flush */
		__atomic_fetch_add(&u->loads, 1, __ATOMIC_RELAXED);
}
