/*
 * MEMORY_READ and MEMORY_WRITE (docs/abi.md): the kernel copies between a
 * memory object and the caller's memory, so a server never maps a client's
 * object. What each call refuses, that a refused copy changes nothing,
 * and the reason they exist: a holder copying from an object its owner
 * revokes gets an error and goes on, where a mapping's reader faults
 * (revokemem).
 */
#include "utest.h"

#define FAIL(name, ...) do { utest_fail(name, __VA_ARGS__); return; } while (0)

#define OBJ_PAGES               2
#define OBJ_BYTES               (OBJ_PAGES * 4096u)
#define MAP_VADDR               0x0000000053000000ull
#define HOLE_VADDR              0x0000000054000000ull   /* a page, then a hole */
#define READY_BIT               1ull
#define COPIER_LIMIT_NS         (5000 * MS)
#define COPIER_BAD_DATA         3
#define COPIER_NO_REVOKE        4
#define COPIER_EXIT_BASE        100     /* + the error's number */

static uint8_t buf[OBJ_BYTES + 4096];

static uint8_t pattern(unsigned i)
{
	return (uint8_t)(i * 7u + 3u);
}

/* ROLE_MEM_COPIER: copies CHILD_CAP's first page on and on, says so on
 * CHILD_CAP2 after the first; exits COPIER_EXIT_BASE + the first error. */
int64_t mem_copier_role(void)
{
	static uint8_t page[4096];
	uint64_t end = aion_clock_ns() + COPIER_LIMIT_NS;

	for (unsigned n = 0; aion_clock_ns() < end; n++) {
		int64_t err = aion_memory_read(CHILD_CAP, 0, page, sizeof(page));
		if (err)
			return COPIER_EXIT_BASE + (-err);
		if (page[0] != pattern(0) || page[4095] != pattern(4095))
			return COPIER_BAD_DATA;
		if (n == 0)
			aion_signal(CHILD_CAP2, READY_BIT);
	}
	return COPIER_NO_REVOKE;
}

/* What MEMORY_READ and MEMORY_WRITE accept and refuse, in one unit. */
static int64_t calls_checked(aion_handle_t mo, const char **what)
{
	for (unsigned i = 0; i < OBJ_BYTES; i++)
		buf[i] = pattern(i);
	*what = "write";
	int64_t err = aion_memory_write(mo, 0, buf, OBJ_BYTES);
	if (err)
		return err;
	/* The bytes are the object's: a mapping sees them. */
	*what = "mapped";
	if ((err = aion_memory_map(mo, AION_HANDLE_SELF, MAP_VADDR, AION_PROT_READ, 0)))
		return err;
	const uint8_t *m = (const uint8_t *)MAP_VADDR;
	bool same = m[0] == pattern(0) && m[5000] == pattern(5000) &&
		    m[OBJ_BYTES - 1] == pattern(OBJ_BYTES - 1);
	aion_memory_unmap(AION_HANDLE_SELF, MAP_VADDR);
	if (!same)
		return -AION_EMALFORMED;
	/* A read across the pages' boundary, at an odd offset. */
	*what = "read";
	memset(buf, 0, sizeof(buf));
	if ((err = aion_memory_read(mo, 4000, buf, 200)))
		return err;
	for (unsigned i = 0; i < 200; i++)
		if (buf[i] != pattern(4000 + i))
			return -AION_EMALFORMED;

	static const struct {
		const char *what;
		uint64_t off, len;
		int64_t want;
	} bad[] = {
		{ "past-end", OBJ_BYTES - 8, 16, -AION_ERANGE },
		{ "off-past-end", OBJ_BYTES + 1, 0, -AION_ERANGE },
		{ "too-long", 0, AION_MEM_WRITE_MAX + 1, -AION_EINVAL },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		*what = bad[i].what;
		if (aion_memory_read(mo, bad[i].off, buf, bad[i].len) != bad[i].want ||
		    aion_memory_write(mo, bad[i].off, buf, bad[i].len) != bad[i].want)
			return -AION_EMALFORMED;
	}
	*what = "empty-at-end";
	if ((err = aion_memory_read(mo, OBJ_BYTES, buf, 0)))
		return err;
	/* Into a range that runs into a hole, or into read-only memory:
	 * EFAULT, and nothing was copied (the mapped page before the hole
	 * kept its bytes). */
	*what = "hole";
	int64_t own = aion_memory_create(1);
	if (own < 0)
		return own;
	uint8_t *p = (uint8_t *)HOLE_VADDR;
	err = aion_memory_map((aion_handle_t)own, AION_HANDLE_SELF, HOLE_VADDR,
			      AION_PROT_READ | AION_PROT_WRITE, 0);
	if (!err) {
		p[4000] = 0x5a;
		err = aion_memory_read(mo, 0, p + 4000, 200) == -AION_EFAULT &&
		      p[4000] == 0x5a ? 0 : -AION_EMALFORMED;
		aion_memory_unmap(AION_HANDLE_SELF, HOLE_VADDR);
	}
	if (!err) {
		*what = "read-only";
		err = aion_memory_map((aion_handle_t)own, AION_HANDLE_SELF, HOLE_VADDR,
				      AION_PROT_READ, 0);
		if (!err) {
			err = aion_memory_read(mo, 0, p, 16) == -AION_EFAULT && p[4000] == 0x5a ?
			      0 : -AION_EMALFORMED;
			aion_memory_unmap(AION_HANDLE_SELF, HOLE_VADDR);
		}
	}
	aion_handle_close((aion_handle_t)own);
	if (err)
		return err;

	/* Rights: READ reads, WRITE writes, and neither stands in for the other. */
	*what = "rights";
	int64_t ro = aion_cap_copy(mo, AION_RIGHT_READ);
	int64_t wo = aion_cap_copy(mo, AION_RIGHT_WRITE);
	if (ro < 0 || wo < 0)
		return ro < 0 ? ro : wo;
	bool rights = aion_memory_read((aion_handle_t)ro, 0, buf, 16) == 0 &&
		      aion_memory_write((aion_handle_t)ro, 0, buf, 16) == -AION_ERIGHTS &&
		      aion_memory_write((aion_handle_t)wo, 0, buf, 16) == 0 &&
		      aion_memory_read((aion_handle_t)wo, 0, buf, 16) == -AION_ERIGHTS;
	aion_handle_close((aion_handle_t)ro);
	aion_handle_close((aion_handle_t)wo);
	if (!rights)
		return -AION_EMALFORMED;

	/* Device registers are mapped, never copied. */
	*what = "device";
	int64_t dev = aion_device_memory(UTEST_PLATFORM, 0xfe000000ull, 1);
	if (dev < 0)
		return dev;
	err = aion_memory_read((aion_handle_t)dev, 0, buf, 16);
	aion_handle_close((aion_handle_t)dev);
	return err == -AION_EINVAL ? 0 : -AION_EMALFORMED;
}

/* The holder's copies end with an error when the owner revokes, not a fault. */
static int64_t revoke_race(aion_handle_t mo, struct aion_unit_info *info, int64_t *revoke)
{
	aion_handle_t u = 0, t = 0;
	int64_t n = aion_notify_create();
	if (n < 0)
		return n;
	aion_handle_t caps[2] = { mo, (aion_handle_t)n };
	uint32_t masks[2] = { AION_RIGHT_READ, AION_RIGHT_SEND };
	int64_t err = utest_spawn_with_caps(ROLE_MEM_COPIER, 100, caps, masks, 2, &u, &t);
	uint64_t bits = 0;
	if (!err && !(err = aion_wait((aion_handle_t)n, &bits, 2000 * MS)) && !(bits & READY_BIT))
		err = -AION_EMALFORMED;
	if (!err) {
		aion_sleep_ns(20 * MS);         /* copies under way (its own CPU, or ours) */
		*revoke = aion_cap_revoke(mo);
		err = aion_unit_wait(u, 2000 * MS, info);
	}
	if (u)
		utest_reap(u, t);
	aion_handle_close((aion_handle_t)n);
	return err;
}

void test_memcopy(void)
{
	const char *what = "create";
	struct aion_unit_info info = { 0 };
	int64_t revoke = -AION_EINVAL;
	int64_t mo = aion_memory_create(OBJ_PAGES);
	int64_t err = mo < 0 ? mo : calls_checked((aion_handle_t)mo, &what);
	if (err)
		FAIL("memcopy", "%s: %s", what, aion_error_name(err));
	err = revoke_race((aion_handle_t)mo, &info, &revoke);
	/* Our own copy stays: the owner still reads its bytes. */
	int64_t own = aion_memory_read((aion_handle_t)mo, 4095, buf, 1);
	if (!own && buf[0] != pattern(4095))
		own = -AION_EMALFORMED;
	aion_handle_close((aion_handle_t)mo);
	if (err || revoke || info.state != AION_UNIT_EXITED ||
	    info.exit_code != COPIER_EXIT_BASE + AION_ECAP || own)
		FAIL("memcopy", "race=%s revoke=%s copier_state=%u exit=%d own=%s",
		     aion_error_name(err), aion_error_name(revoke), info.state, info.exit_code,
		     aion_error_name(own));
	utest_ok("memcopy", "refusals=ok copier_exit=%s owner_read=ok",
		 aion_error_name(-(int64_t)(info.exit_code - COPIER_EXIT_BASE)));
}
