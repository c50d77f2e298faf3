/*
 * posix-diff (faults): a process's own faults as signals, the same lines
 * on Linux and on Aion. A SIGSEGV handler that siglongjmps away after a
 * write to a PROT_READ page (SEGV_ACCERR) and a read of an munmapped one
 * (SEGV_MAPERR), each with si_addr; a handler that mprotects a
 * PROT_NONE page and returns, so the write runs again and lands
 * (SEGV_ACCERR); SIGBUS past a file mapping's end;
 * SIGILL from ud2; SIGFPE from an integer division by zero; the mask
 * restored after each jump; SA_RESETHAND (the second fault ends the
 * child); and forked children that fault with SIGSEGV blocked or with no
 * handler, each ended by signal 11.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "waitstatus.h"

#define FILE_NAME "tmp/faults.dat"

static sigjmp_buf back;
static volatile sig_atomic_t got_sig, got_code, handled;
static void *volatile got_addr;
/* Low addresses no process maps (volatile: the compiler cannot see them). */
static char *volatile low_a = (char *)8, *volatile low_b = (char *)16;

static void note(int sig, const siginfo_t *si)
{
	got_sig = sig;
	got_code = si->si_code;
	got_addr = si->si_addr;
	handled++;
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	note(sig, si);
	siglongjmp(back, 1);
}

static void catch(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigaction(sig, &sa, NULL);
}

static const char *code_name(int sig, int code)
{
	if (sig == SIGSEGV)
		return code == SEGV_MAPERR ? "SEGV_MAPERR" : code == SEGV_ACCERR ? "SEGV_ACCERR" :
		       code == SI_KERNEL ? "SI_KERNEL" : "other";
	if (sig == SIGBUS)
		return code == BUS_ADRERR ? "BUS_ADRERR" : "other";
	if (sig == SIGILL)
		return code == ILL_ILLOPN ? "ILL_ILLOPN" : "other";
	if (sig == SIGFPE)
		return code == FPE_INTDIV ? "FPE_INTDIV" : "other";
	return "other";
}

/* One line: the signal, its code, whether si_addr is want (NULL: not checked). */
static void report(const char *what, int jumped, void *want)
{
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	int blocked = sigismember(&cur, got_sig);
	const char *code = code_name(got_sig, got_code);
	const char *addr = !want ? "-" : got_addr == want ? "right" : "wrong";
	printf("%s: jumped %d signal %d code %s addr %s blocked after %d\n", what, jumped,
	       (int)got_sig, code, addr, blocked);
}

static void write_readonly(void)
{
	char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	catch(SIGSEGV, on_fault, 0);
	int jumped = sigsetjmp(back, 1);
	if (!jumped)
		*(volatile char *)p = 1;
	report("write PROT_READ", jumped, p);
	munmap(p, 4096);
}

static void read_unmapped(void)
{
	char *p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(p + 4096, 4096);
	int jumped = sigsetjmp(back, 1);
	if (!jumped)
		(void)*(volatile char *)(p + 4096 + 8);
	report("read munmapped", jumped, p + 4096 + 8);
	munmap(p, 4096);
}

/* A handler that opens the page and returns: the write runs again and
 * lands. volatile: the address must be stored before the write faults. */
static char *volatile reserved;

static void open_page(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	note(sig, si);
	mprotect(reserved, 4096, PROT_READ | PROT_WRITE);
}

static void fix_and_return(void)
{
	catch(SIGSEGV, open_page, 0);
	reserved = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	((volatile char *)reserved)[10] = 42;
	int value = ((volatile char *)reserved)[10];
	printf("PROT_NONE written after the handler: %d\n", value);
	report("PROT_NONE", 0, reserved + 10);
	munmap(reserved, 4096);
}

static void past_eof(void)
{
	int fd = open(FILE_NAME, O_RDWR | O_CREAT | O_TRUNC, 0600);
	char bytes[100];
	memset(bytes, 'x', sizeof(bytes));
	ssize_t n = write(fd, bytes, sizeof(bytes));
	char *p = mmap(NULL, 2 * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	printf("file: wrote %zd, mapped %s\n", n, p == MAP_FAILED ? "no" : "yes");
	catch(SIGBUS, on_fault, 0);
	char first = p[99], tail = p[100];
	int jumped = sigsetjmp(back, 1);
	if (!jumped)
		(void)*(volatile char *)(p + 4096 + 5);
	printf("file: byte 99 %c, byte 100 %d\n", first, tail);
	report("past the file's end", jumped, p + 4096 + 5);
	munmap(p, 2 * 4096);
	unlink(FILE_NAME);
}

static void illegal(void)
{
	catch(SIGILL, on_fault, 0);
	int jumped = sigsetjmp(back, 1);
	if (!jumped)
		__asm__ volatile("ud2");
	report("ud2", jumped, NULL);
}

static void divide(void)
{
	volatile int a = 7, b = 0;
	catch(SIGFPE, on_fault, 0);
	int jumped = sigsetjmp(back, 1);
	if (!jumped)
		a = a / b;
	report("divide by zero", jumped, NULL);
}

/* A child that faults as how says; its wait status. */
static void child_fault(const char *what, int how)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (how == 1) {
			sigset_t s;
			catch(SIGSEGV, on_fault, 0);
			sigemptyset(&s);
			sigaddset(&s, SIGSEGV);
			sigprocmask(SIG_BLOCK, &s, NULL);
		} else if (how == 2) {
			signal(SIGSEGV, SIG_DFL);
		} else {
			catch(SIGSEGV, on_fault, SA_RESETHAND);
			if (!sigsetjmp(back, 1))
				(void)*(volatile char *)low_a;
			printf("%s: handled %d\n", what, (int)handled);
			fflush(stdout);
		}
		(void)*(volatile char *)low_b;
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	status(what, st);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	write_readonly();
	read_unmapped();
	fix_and_return();
	past_eof();
	illegal();
	divide();
	printf("handled %d\n", (int)handled);
	child_fault("SIGSEGV blocked", 1);
	child_fault("no handler", 2);
	child_fault("SA_RESETHAND", 3);
	return 0;
}
