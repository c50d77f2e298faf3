/*
 * The hostile-unit fuzzer's generator: random x86-64 machine code. Most
 * operations leave the unit able to go on (so one unit runs many
 * sequences and the run stays fast), and every sequence first loads random
 * registers and flags; a terminal sequence ends with one operation chosen
 * to end the unit in as many ways as the CPU has. Encodings are written by
 * hand, REX and ModRM below; rsp (4) and r12 (12) are never a base register
 * (they would need a SIB byte), and rsp is only ever loaded on purpose.
 */
#include <stddef.h>
#include "aion/object.h"
#include "aion/syscall.h"
#include "common/xorshift.h"
#include "hunit.h"

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

#define SEQ_ROOM        160u    /* bytes one operation may take, at most */
#define RFLAGS_TF       0x100u
#define RFLAGS_NT       0x4000u
/* What popf at CPL 3 may set (IOPL, IF, VM, VIF, VIP are ignored or kept). */
static const uint32_t flag_bits[] = {
	0x1, 0x4, 0x10, 0x40, 0x80, 0x400 /* DF */, 0x800, 0x3000 /* IOPL */,
	RFLAGS_NT, 0x10000 /* RF */, 0x20000 /* VM */, 0x40000 /* AC */,
	0x80000, 0x100000, 0x200000 /* ID */, 0x200 /* IF */,
};

static uint64_t rnd(struct hu_gen *g)
{
	return xorshift64(g->rng);
}

static unsigned pick(struct hu_gen *g, unsigned n)
{
	return (unsigned)(rnd(g) % n);
}

static void b(struct hu_gen *g, uint8_t v)
{
	if (g->len < g->cap)
		g->buf[g->len++] = v;
}

static void bytes(struct hu_gen *g, const uint8_t *p, unsigned n)
{
	while (n--)
		b(g, *p++);
}

static void imm32(struct hu_gen *g, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b(g, (uint8_t)(v >> (8 * i)));
}

static void imm64(struct hu_gen *g, uint64_t v)
{
	imm32(g, (uint32_t)v);
	imm32(g, (uint32_t)(v >> 32));
}

/* Any register but rsp. */
static unsigned data_reg(struct hu_gen *g)
{
	unsigned r = pick(g, 15);
	return r >= RSP ? r + 1 : r;
}

/* A register usable as a base with a disp8: not rsp, not r12. */
static unsigned base_reg(struct hu_gen *g)
{
	static const uint8_t ok[] = { RAX, RCX, RDX, RBX, RBP, RSI, RDI, R8, R9, R10,
				      R11, R13, R14, R15 };
	return ok[pick(g, sizeof(ok))];
}

static void mov_imm(struct hu_gen *g, unsigned r, uint64_t v)
{
	b(g, (uint8_t)(0x48 | (r >> 3)));
	b(g, (uint8_t)(0xb8 + (r & 7)));
	imm64(g, v);
}

/* op r/m64, r64 between two registers (mod 11). */
static void alu_rr(struct hu_gen *g, uint8_t op, unsigned dst, unsigned src)
{
	b(g, (uint8_t)(0x48 | ((src >> 3) << 2) | (dst >> 3)));
	b(g, op);
	b(g, (uint8_t)(0xc0 | ((src & 7) << 3) | (dst & 7)));
}

/* op with /digit on a register. */
static void grp_r(struct hu_gen *g, uint8_t op, unsigned digit, unsigned r)
{
	b(g, (uint8_t)(0x48 | (r >> 3)));
	b(g, op);
	b(g, (uint8_t)(0xc0 | (digit << 3) | (r & 7)));
}

/* op r64, [base + disp8] (either direction, as op says). */
static void mem_op(struct hu_gen *g, const uint8_t *op, unsigned n, unsigned r,
		   unsigned base, int8_t disp)
{
	b(g, (uint8_t)(0x48 | ((r >> 3) << 2) | (base >> 3)));
	bytes(g, op, n);
	b(g, (uint8_t)(0x40 | ((r & 7) << 3) | (base & 7)));
	b(g, (uint8_t)disp);
}

static void push_r(struct hu_gen *g, unsigned r)
{
	if (r >= 8)
		b(g, 0x41);
	b(g, (uint8_t)(0x50 + (r & 7)));
}

static void pop_r(struct hu_gen *g, unsigned r)
{
	if (r >= 8)
		b(g, 0x41);
	b(g, (uint8_t)(0x58 + (r & 7)));
}

/* An address in the middle of the data page: a base with a disp8 stays inside. */
static uint64_t data_addr(struct hu_gen *g)
{
	return HU_DATA + 4096 + pick(g, 8192);
}

static uint64_t stack_top(struct hu_gen *g)
{
	return HU_STACK + HU_STACK_SIZE / 2 + 8 * pick(g, 16);
}

/* A value worth putting in a register: edges, kernel and non-canonical
 * addresses, our own pages, handles, small numbers, noise. */
static uint64_t value(struct hu_gen *g)
{
	switch (pick(g, 14)) {
	case 0: return 0;
	case 1: return ~0ull;
	case 2: return pick(g, 4096);
	case 3: return rnd(g);
	case 4: return 0xffffffff80000000ull + pick(g, 0x400000);
	case 5: return 0xffff800000000000ull + (rnd(g) & 0xffffffffull);
	case 6: return pick(g, 2) ? HU_EDGE_END - pick(g, 64) : 0x0000800000000000ull - 4096 * pick(g, 3);
	case 7: return 0x8000000000000000ull >> pick(g, 2);
	case 8: return data_addr(g);
	case 9: return HU_CODE + pick(g, HU_CODE_SIZE);
	case 10: return g->handles[pick(g, 4)];
	case 11: return (uint64_t)pick(g, 16) << 32 | (uint64_t)pick(g, 4) << 12;
	case 12: return (uint64_t)pick(g, 1024) * 4096;
	default: return 1ull << pick(g, 64);
	}
}

static uint32_t random_flags(struct hu_gen *g, uint32_t forbid)
{
	uint32_t f = 0x2;
	for (unsigned i = 0; i < sizeof(flag_bits) / sizeof(flag_bits[0]); i++)
		if (pick(g, 3) == 0)
			f |= flag_bits[i];
	return f & ~forbid;
}

static void set_flags(struct hu_gen *g, uint32_t forbid)
{
	b(g, 0x68);                     /* push imm32 */
	imm32(g, random_flags(g, forbid));
	b(g, 0x9d);                     /* popfq */
}

/*
 * Most calls that could block or take long are given short timeouts and
 * small sizes (fuzz-syscalls covers their full ranges); a call that blocks
 * for good is the test's watchdog's business.
 */
static void shape(struct hu_gen *g, uint32_t n)
{
	switch (n) {
	case AION_SYS_SLEEP_UNTIL:
		mov_imm(g, RDI, 0);
		break;
	case AION_SYS_CALL: case AION_SYS_RECV: case AION_SYS_REPLY_RECV: case AION_SYS_WAIT:
	case AION_SYS_SIGNAL_RECV:
		mov_imm(g, R9, 1 + pick(g, 20000));
		break;
	case AION_SYS_DEBUG_LOG:
		mov_imm(g, RSI, pick(g, 2) ? 0 : ~0ull);        /* no flood */
		break;
	case AION_SYS_ANON_MAP: case AION_SYS_ANON_UNMAP:
		mov_imm(g, RSI, HU_SCRATCH + 4096 * pick(g, 64));
		mov_imm(g, RDX, 4096 * (1 + pick(g, 4)));
		break;
	case AION_SYS_MEMORY_CREATE:
		mov_imm(g, RDI, pick(g, 8));
		break;
	case AION_SYS_MEM_WRITE:
		mov_imm(g, R10, pick(g, 8192));
		break;
	case AION_SYS_UNIT_CREATE:
		mov_imm(g, R10, pick(g, 64));
		break;
	}
}

/*
 * A system call with garbage: a number mostly in range (some past it), the
 * argument registers mostly from value(). Calls that block get a short
 * timeout most of the time; the rest are left to the test's watchdog.
 */
static void garbage_syscall(struct hu_gen *g)
{
	static const uint8_t arg_regs[] = { RDI, RSI, RDX, R10, R8, R9 };
	uint32_t n = pick(g, 8) ? pick(g, AION_SYS_COUNT) : (uint32_t)rnd(g);

	for (unsigned i = 0; i < 6; i++)
		if (pick(g, 2))
			mov_imm(g, arg_regs[i], value(g));
	if ((n == AION_SYS_THREAD_EXIT || n == AION_SYS_UNIT_EXIT) && pick(g, 64))
		n = AION_SYS_YIELD;     /* an exit ends the unit: rarely */
	if (pick(g, 64))
		shape(g, n);
	b(g, 0xb8);                     /* mov eax, imm32 */
	imm32(g, n);
	b(g, 0x0f); b(g, 0x05);
}

static void op_alu(struct hu_gen *g)
{
	static const uint8_t rr[] = { 0x01, 0x09, 0x11, 0x19, 0x21, 0x29, 0x31, 0x39, 0x85, 0x87, 0x89 };
	unsigned dst = data_reg(g), src = data_reg(g);

	switch (pick(g, 6)) {
	case 0: case 1: alu_rr(g, rr[pick(g, sizeof(rr))], dst, src); break;
	case 2: grp_r(g, 0xd3, (uint8_t[]){ 0, 1, 4, 5, 7 }[pick(g, 5)], dst); break;
	case 3: grp_r(g, 0xf7, 2 + pick(g, 2), dst); break;          /* not, neg */
	case 4:                                                          /* imul */
		b(g, (uint8_t)(0x48 | ((dst >> 3) << 2) | (src >> 3)));
		b(g, 0x0f); b(g, 0xaf);
		b(g, (uint8_t)(0xc0 | ((dst & 7) << 3) | (src & 7)));
		break;
	default:                                                         /* bswap */
		b(g, (uint8_t)(0x48 | (dst >> 3)));
		b(g, 0x0f); b(g, (uint8_t)(0xc8 + (dst & 7)));
	}
}

static void op_mem(struct hu_gen *g)
{
	static const uint8_t ops[][2] = { { 0x89 }, { 0x8b }, { 0x01 }, { 0x87 },
					  { 0x0f, 0xb1 }, { 0x0f, 0xc1 } };
	unsigned base = base_reg(g), r = data_reg(g), k = pick(g, 6);

	if (r == base)
		r = r == RAX ? RCX : RAX;
	mov_imm(g, base, data_addr(g));
	if (k >= 2 && pick(g, 2))
		b(g, 0xf0);             /* lock */
	mem_op(g, ops[k], k >= 4 ? 2 : 1, r, base, (int8_t)pick(g, 256));
}

static void op_stack(struct hu_gen *g)
{
	switch (pick(g, 4)) {
	case 0: push_r(g, data_reg(g)); break;
	case 1: pop_r(g, data_reg(g)); break;
	case 2: b(g, 0x9c); pop_r(g, data_reg(g)); break;    /* pushf; pop */
	default:                                                /* call next; pop */
		b(g, 0xe8); imm32(g, 0);
		pop_r(g, data_reg(g));
	}
}

static void op_string(struct hu_gen *g)
{
	static const uint8_t ops[][3] = {
		{ 0xf3, 0xa4 }, { 0xf3, 0x48, 0xa5 }, { 0xf3, 0xaa }, { 0xf3, 0x48, 0xab },
		{ 0xf3, 0xa6 }, { 0xf2, 0xae }, { 0xac }, { 0x48, 0xad },
	};
	static const uint8_t len[] = { 2, 3, 2, 3, 2, 2, 1, 2 };
	unsigned k = pick(g, 8);

	mov_imm(g, RSI, data_addr(g));
	mov_imm(g, RDI, data_addr(g));
	b(g, 0xb9);                     /* mov ecx, imm32: at most 64 elements */
	imm32(g, pick(g, 65));
	bytes(g, ops[k], len[k]);
}

/* Segment registers: loads that must work in ring 3, and reads. */
static void op_segment(struct hu_gen *g)
{
	static const uint16_t ok[] = { 0, 1, 2, 3, 0x1b };
	unsigned sreg = (uint8_t[]){ 0, 3, 4, 5, 2 }[pick(g, 5)];     /* es ds fs gs ss */
	uint16_t sel = sreg == 2 ? 0x1b : ok[pick(g, 5)];

	switch (pick(g, 4)) {
	case 0: case 1:
		b(g, 0x66); b(g, 0xb8); b(g, (uint8_t)sel); b(g, (uint8_t)(sel >> 8));
		b(g, 0x8e); b(g, (uint8_t)(0xc0 | (sreg << 3)));
		if (sreg == 2 && pick(g, 2))
			garbage_syscall(g);     /* in the mov-ss shadow */
		break;
	case 2:                                                 /* mov r32, sreg: not esp */
		b(g, 0x8c); b(g, (uint8_t)(0xc0 | (pick(g, 6) << 3) | (uint8_t[]){ 0, 1, 2, 3, 5, 6, 7 }[pick(g, 7)]));
		break;
	default:                                                /* push/pop fs or gs */
		b(g, 0x6a); b(g, (uint8_t)ok[pick(g, 5)]);
		b(g, 0x0f); b(g, pick(g, 2) ? 0xa1 : 0xa9);
	}
}

/* Instructions ring 3 may run that read system state. */
static void op_system_read(struct hu_gen *g)
{
	mov_imm(g, RBX, data_addr(g));
	switch (pick(g, 8)) {
	case 0: b(g, 0x0f); b(g, 0x01); b(g, 0x43); b(g, 0); break; /* sgdt [rbx] */
	case 1: b(g, 0x0f); b(g, 0x01); b(g, 0x4b); b(g, 0); break; /* sidt [rbx] */
	case 2: b(g, 0x0f); b(g, 0x00); b(g, 0xc8); break;          /* str eax */
	case 3: b(g, 0x0f); b(g, 0x00); b(g, 0xc0); break;          /* sldt eax */
	case 4: b(g, 0x0f); b(g, 0x01); b(g, 0xe0); break;          /* smsw eax */
	case 5: b(g, 0x0f); b(g, (uint8_t)(0x02 + pick(g, 2))); b(g, 0xc1); break; /* lar/lsl eax, ecx */
	case 6: b(g, 0x0f); b(g, 0x00); b(g, (uint8_t)(0xe1 | (pick(g, 2) << 3))); break; /* verr/verw cx */
	default: b(g, 0x0f); b(g, 0xa2); break;                     /* cpuid */
	}
}

static void op_x87(struct hu_gen *g)
{
	static const uint8_t reg_ops[][2] = {
		{ 0xd9, 0xe8 }, { 0xd9, 0xee }, { 0xde, 0xf9 }, { 0xd9, 0xfa }, { 0xdb, 0xe3 },
		{ 0xdb, 0xe2 }, { 0xd9, 0xc9 }, { 0xde, 0xc1 }, { 0xd9, 0xe0 }, { 0xdf, 0xe0 },
	};
	unsigned k = pick(g, 14);

	if (k < 10) {
		bytes(g, reg_ops[k], 2);
		return;
	}
	/* fldcw, fnstenv, fldenv, fnsave: [rbx + disp8] in the data pages */
	static const uint8_t mem_ops[][2] = { { 0xd9, 5 }, { 0xd9, 6 }, { 0xd9, 4 }, { 0xdd, 6 } };
	mov_imm(g, RBX, HU_DATA + 4096 + pick(g, 4096));
	b(g, mem_ops[k - 10][0]);
	b(g, (uint8_t)(0x40 | (mem_ops[k - 10][1] << 3) | RBX));
	b(g, (uint8_t)pick(g, 128));
}

static void op_misc(struct hu_gen *g)
{
	static const uint8_t ops[][4] = {
		{ 0x0f, 0x31 }, { 0x0f, 0x31 }, { 0xf3, 0x90 }, { 0x0f, 0xae, 0xe8 },
		{ 0x0f, 0xae, 0xf0 }, { 0x0f, 0xae, 0xf8 }, { 0x90 }, { 0x0f, 0x1f, 0x00 },
		{ 0x9b }, { 0xf3, 0x0f, 0x1e, 0xfa }, { 0x0f, 0x0d, 0x08 }, { 0xd7 },
	};
	static const uint8_t len[] = { 2, 2, 2, 3, 3, 3, 1, 3, 1, 4, 3, 1 };
	unsigned k = pick(g, 12);

	if (k == 7 || k == 10 || k == 11)       /* nop [rax], prefetchw [rax], xlat [rbx] */
		mov_imm(g, k == 11 ? RBX : RAX, data_addr(g));
	bytes(g, ops[k], len[k]);
}

/* iretq or lretq to the next instruction, still in ring 3: the frame's
 * flags random (bar TF and NT, which end the unit: see terminal). An iret
 * with NT set now is a task return, refused in long mode: cleared first. */
static void op_far_return(struct hu_gen *g, int nt)
{
	int iret = nt || pick(g, 3) != 0;

	if (iret) {
		if (!nt)
			set_flags(g, RFLAGS_TF | RFLAGS_NT);
		b(g, 0x6a); b(g, 0x1b);                         /* ss */
		mov_imm(g, RAX, stack_top(g));
		push_r(g, RAX);                                 /* rsp */
		b(g, 0x68); imm32(g, random_flags(g, RFLAGS_TF | RFLAGS_NT));
	}
	b(g, 0x6a); b(g, 0x23);                                 /* cs */
	b(g, 0x48); b(g, 0x8d); b(g, 0x05); imm32(g, 3);        /* lea rax, [rip + 3] */
	push_r(g, RAX);                                         /* rip */
	b(g, 0x48); b(g, iret ? 0xcf : 0xcb);
}

/* rsp made garbage for a few system calls (interrupts meet it too), then back. */
static void op_bad_stack(struct hu_gen *g)
{
	mov_imm(g, RSP, value(g));
	for (unsigned i = pick(g, 3) + 1; i; i--)
		garbage_syscall(g);
	mov_imm(g, RSP, stack_top(g));
}

/* One operation likely to end the unit, and which way it went. */
static void terminal(struct hu_gen *g)
{
	static const uint8_t priv[][4] = {
		{ 0xf4 }, { 0xfa }, { 0xfb }, { 0xe4, 0x80 }, { 0xe6, 0x80 }, { 0xec },
		{ 0x0f, 0x01, 0x10 }, { 0x0f, 0x01, 0x18 }, { 0x0f, 0x22, 0xd8 }, { 0x0f, 0x20, 0xc0 },
		{ 0x0f, 0x23, 0xf8 }, { 0x0f, 0x21, 0xc0 }, { 0x0f, 0x30 }, { 0x0f, 0x32 },
		{ 0x0f, 0x01, 0x38 }, { 0x0f, 0x06 }, { 0x0f, 0x01, 0xf8 }, { 0x0f, 0x07 },
		{ 0x48, 0x0f, 0x07 }, { 0x0f, 0x00, 0xd8 }, { 0x0f, 0x00, 0xd0 }, { 0x0f, 0x08 },
		{ 0x0f, 0x09 }, { 0x0f, 0x33 }, { 0xcc }, { 0xce }, { 0xf1 }, { 0x0f, 0x0b },
		{ 0x0f, 0x34 }, { 0x0f, 0x35 }, { 0x0f, 0x01, 0xc1 }, { 0x0f, 0x01, 0xc8 },
		{ 0x0f, 0x01, 0xc9 }, { 0x44, 0x0f, 0x22, 0xc0 }, { 0x0f, 0x01, 0xd0 },
		{ 0x0f, 0x01, 0xd1 }, { 0x0f, 0xae, 0x10 }, { 0x66, 0x0f, 0x58, 0xc0 },
		{ 0x0f, 0x01, 0xca }, { 0x0f, 0xff }, { 0x8e, 0xc8 }, { 0x1e }, { 0x62 },
		{ 0xd6 }, { 0x0f, 0x01, 0xd4 }, { 0xcf }, { 0x0f, 0xc7, 0xf0 }, { 0x0f, 0x01, 0xf9 },
	};
	static const uint8_t priv_len[] = {
		1, 1, 1, 2, 2, 1, 3, 3, 3, 3, 3, 3, 2, 2, 3, 2, 3, 2, 3, 3, 3, 2, 2, 2,
		1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 3, 3, 3, 4, 3, 2, 2, 1, 1, 1, 3, 1, 3, 3,
	};
	_Static_assert(sizeof(priv_len) == sizeof(priv) / sizeof(priv[0]), "one length each");
	unsigned base = base_reg(g), k;

	switch (pick(g, 13)) {
	case 0: case 1:                                 /* privileged or invalid */
		k = pick(g, sizeof(priv_len));
		bytes(g, priv[k], priv_len[k]);
		break;
	case 2:                                         /* int n */
		b(g, 0xcd); b(g, (uint8_t)rnd(g));
		break;
	case 3:                                         /* TF: #DB after the next one */
		b(g, 0x68); imm32(g, random_flags(g, 0) | RFLAGS_TF); b(g, 0x9d);
		if (pick(g, 2))
			garbage_syscall(g);
		b(g, 0x90);
		break;
	case 4:                                         /* a random far return */
		for (unsigned i = 0; i < 5; i++) {
			b(g, 0x68);
			imm32(g, pick(g, 2) ? (uint32_t)value(g) :
			      (uint32_t[]){ 0x1b, 0x23, 0x2b, 0x08, 0x10, 0x18 }[pick(g, 6)]);
		}
		b(g, (uint8_t[]){ 0x48, 0x66, 0x90 }[pick(g, 3)]);     /* iretq, iretw, iretd */
		b(g, pick(g, 3) ? 0xcf : 0xcb);
		break;
	case 5:                                         /* NT then iretq to ourselves */
		b(g, 0x68); imm32(g, random_flags(g, RFLAGS_TF) | RFLAGS_NT); b(g, 0x9d);
		op_far_return(g, 1);
		break;
	case 6:                                         /* an access anywhere */
		mov_imm(g, base, value(g));
		b(g, (uint8_t)(0x48 | (base >> 3)));
		b(g, (uint8_t[]){ 0x8b, 0x89, 0xff, 0xff }[k = pick(g, 4)]);
		b(g, (uint8_t)((k == 2 ? 0xe0 : k == 3 ? 0xd0 : 0x40) | (base & 7)));
		if (k < 2)
			b(g, 0);
		break;
	case 7:                                         /* a push with garbage rsp */
		mov_imm(g, RSP, value(g));
		push_r(g, RAX);
		break;
	case 8:                                         /* divide by zero, or overflow */
		mov_imm(g, RCX, pick(g, 2) ? 0 : ~0ull);
		mov_imm(g, RAX, 0x8000000000000000ull);
		mov_imm(g, RDX, ~0ull);
		b(g, 0x48); b(g, 0xf7); b(g, 0xf9);    /* idiv rcx */
		break;
	case 9:                                         /* the canonical edge */
		mov_imm(g, RBX, HU_EDGE_END - 1 - pick(g, 16));
		b(g, 0xff); b(g, 0xe3);                 /* jmp rbx */
		break;
	case 10:                                        /* a far jump through memory */
		mov_imm(g, RBX, data_addr(g));
		mov_imm(g, RAX, value(g));
		mem_op(g, (const uint8_t[]){ 0x89 }, 1, RAX, RBX, 0);
		b(g, 0x66); b(g, 0xc7); b(g, 0x43); b(g, 8);  /* mov word [rbx+8], imm16 */
		b(g, (uint8_t)rnd(g)); b(g, (uint8_t)pick(g, 2));
		b(g, 0x48); b(g, 0xff); b(g, pick(g, 2) ? 0x2b : 0x1b);       /* jmp/call far [rbx] */
		break;
	case 11:                                        /* any selector, any segment register */
		b(g, 0x66); b(g, 0xb8); b(g, (uint8_t)rnd(g)); b(g, (uint8_t)pick(g, 2));
		b(g, 0x8e); b(g, (uint8_t)(0xc0 | (pick(g, 6) << 3)));
		break;
	default:                                        /* random bytes */
		for (unsigned i = pick(g, 32) + 1; i; i--)
			b(g, (uint8_t)rnd(g));
	}
}

void hu_edge_page(uint8_t *page, uint64_t resume)
{
	unsigned at = (unsigned)(HU_EDGE_SAFE - HU_EDGE_PAGE);

	for (unsigned i = 0; i < 4096; i++)
		page[i] = 0x90;
	/* syscall; movabs r11, resume; jmp r11 (rcx and r11 are the syscall's) */
	const uint8_t head[] = { 0x0f, 0x05, 0x49, 0xbb };
	for (unsigned i = 0; i < 4; i++)
		page[at++] = head[i];
	for (unsigned i = 0; i < 8; i++)
		page[at++] = (uint8_t)(resume >> (8 * i));
	page[at++] = 0x41; page[at++] = 0xff; page[at++] = 0xe3;
	page[4094] = 0x0f;
	page[4095] = 0x05;
}

unsigned hu_generate(struct hu_gen *g, int is_terminal)
{
	static const uint8_t regs[] = { RAX, RCX, RDX, RBX, RBP, RSI, RDI, R8, R9, R10,
					R11, R12, R13, R14, R15 };
	g->len = 0;
	mov_imm(g, RSP, stack_top(g));
	for (unsigned i = 0; i < sizeof(regs); i++)
		if (pick(g, 2))
			mov_imm(g, regs[i], value(g));
	set_flags(g, RFLAGS_TF);
	for (unsigned n = 4 + pick(g, 21); n && g->len + SEQ_ROOM < g->cap; n--) {
		unsigned k = pick(g, 100);
		if (k < 55)
			garbage_syscall(g);
		else if (k < 62)
			op_alu(g);
		else if (k < 66)
			set_flags(g, RFLAGS_TF);
		else if (k < 68)
			op_mem(g);
		else if (k < 74)
			op_stack(g);
		else if (k < 79)
			op_string(g);
		else if (k < 83)
			op_segment(g);
		else if (k < 86)
			op_system_read(g);
		else if (k < 90)
			op_x87(g);
		else if (k < 94)
			op_misc(g);
		else if (k < 97)
			op_far_return(g, 0);
		else
			op_bad_stack(g);
	}
	if (is_terminal) {
		terminal(g);
	} else if (pick(g, 50) == 0) {                  /* a system call at the edge */
		b(g, 0xb8); imm32(g, AION_SYS_CLOCK_NS);
		mov_imm(g, RBX, HU_EDGE_SAFE);
		b(g, 0xff); b(g, 0xe3);
		return g->len;
	}
	mov_imm(g, RAX, g->resume);
	b(g, 0xff); b(g, 0xe0);                         /* jmp rax */
	return g->len;
}
