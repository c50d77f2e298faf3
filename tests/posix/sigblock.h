/*
 * block(sig, how): sigprocmask of one signal, for the test programs of
 * tests/posix (each one plain C file and headers, built alike on Linux).
 */
#ifndef TESTS_POSIX_SIGBLOCK_H
#define TESTS_POSIX_SIGBLOCK_H

#include <signal.h>

static void block(int sig, int how)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(how, &s, NULL);
}

#endif
