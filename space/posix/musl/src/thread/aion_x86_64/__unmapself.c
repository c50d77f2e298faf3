/*
 * __unmapself for Aion (arch aion_x86_64): a detached thread unmaps its
 * stack and TLS, then exits. musl's generic version makes its exit call
 * after the unmap from C, and the POSIX layer's exit reads the thread's
 * tid word from its TLS, gone by then; the POSIX layer does both steps
 * on static storage instead (space/posix/thread.c).
 */
#include <stddef.h>

_Noreturn void __aion_unmapself(void *base, size_t size)
	__attribute__((__visibility__("hidden")));

void __unmapself(void *base, size_t size)
{
	__aion_unmapself(base, size);
}
