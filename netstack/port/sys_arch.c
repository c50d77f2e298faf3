/*
 * lwIP port for Aion, NO_SYS=1: the clock lwIP's timers run on, its
 * diagnostics and assertions, and its random numbers.
 */
#include <stdarg.h>
#include "lwip/opt.h"
#include "lwip/sys.h"
#include "libaion/lib.h"
#include "common/format.h"

/* Milliseconds of the monotonic clock; lwIP copes with the 49-day wrap. */
u32_t sys_now(void)
{
	return (u32_t)(aion_clock_ns() / 1000000u);
}

void netstack_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	aion_vprintf(fmt, ap);          /* the kernel drops a trailing '\n' */
	va_end(ap);
}

void netstack_assert(const char *msg, const char *file, int line)
{
	aion_printf("lwip assert \"%s\" at %s:%d", msg, file, line);
	aion_thread_exit(NETSTACK_ASSERT_EXIT);
}

/*
 * xorshift64* seeded from the boot clock on first use. Good enough for
 * ephemeral ports and initial sequence numbers against accidents, not
 * against an attacker: the mesh authenticates its own packets.
 */
static uint64_t rand_state;

uint32_t netstack_rand(void)
{
	if (rand_state == 0) {
		uint64_t z = aion_clock_ns() + 0x9e3779b97f4a7c15ull;  /* splitmix64 */
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		rand_state = (z ^ (z >> 31)) | 1;
	}
	rand_state ^= rand_state >> 12;
	rand_state ^= rand_state << 25;
	rand_state ^= rand_state >> 27;
	return (uint32_t)((rand_state * 0x2545f4914f6cdd1dull) >> 32);
}
