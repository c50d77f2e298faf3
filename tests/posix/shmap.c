/*
 * posix-diff (shmap): shared mappings. A file mapped MAP_SHARED and its
 * read and write calls see the same bytes, two mappings of it see each
 * other, a forked child's writes reach the parent through shared
 * anonymous memory (and not through private memory), through a shared
 * file mapping and through shm_open's object; part of a shared mapping
 * unmapped leaves the rest shared; msync; a process-shared semaphore in
 * shared memory wakes a waiter in another process; a named semaphore,
 * which outlives its name (the mapping keeps its bytes); the errors of a
 * read-only fd, a pipe and a name that was unlinked. Run under procd
 * (it forks).
 */
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"
#include "waitstatus.h"

#define PAGE 4096
#define FILE_NAME "tmp/shmap.dat"

static const char *merr(void *p)
{
	return p == MAP_FAILED ? en(errno) : "ok";
}

/* Runs fn in a child and prints how it ended. */
static void in_child(const char *what, void (*fn)(void *), void *arg)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	status(what, st);
}

static void child_writes(void *arg)
{
	char *p = arg;
	strcpy(p, "from the child");
	strcpy(p + 2 * PAGE, "third page");
}

static void child_writes_one(void *arg)
{
	strcpy(arg, "from the child");
}

static void file_mapping(void)
{
	int fd = open(FILE_NAME, O_RDWR | O_CREAT | O_TRUNC, 0600);
	char buf[32] = { 0 };
	for (int i = 0; i < 3000; i++)
		write(fd, "abcdefghij" + i % 10, 1);
	char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("file shared: %s, bytes: %.10s\n", merr(p), p == MAP_FAILED ? "" : p);
	if (p == MAP_FAILED)
		return;
	memcpy(p + 100, "MAPPED", 6);
	pread(fd, buf, 6, 100);
	printf("a write to the map, read(): %s\n", buf);
	pwrite(fd, "WRITTEN", 7, 200);
	printf("write(), seen in the map: %.7s\n", p + 200);
	char *q = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	printf("a second map: %s, sees the first: %.6s\n", merr(q), q == MAP_FAILED ? "" : q + 100);
	printf("msync: %s\n", fails(msync(p, PAGE, MS_SYNC)));
	printf("msync MS_ASYNC|MS_SYNC: %s\n", fails(msync(p, PAGE, MS_ASYNC | MS_SYNC)));
	munmap(q, PAGE);
	/* A child writes through its copy of the mapping. */
	in_child("file child", child_writes_one, p + 300);
	memset(buf, 0, sizeof(buf));
	pread(fd, buf, 14, 300);
	printf("the child's write, read(): %s\n", buf);
	munmap(p, 2 * PAGE);
	close(fd);
	fd = open(FILE_NAME, O_RDONLY);
	memset(buf, 0, sizeof(buf));
	pread(fd, buf, 6, 100);
	printf("after munmap and close, the file: %s\n", buf);
	printf("read-only fd, PROT_WRITE shared: %s\n",
	       merr(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)));
	char *r = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	printf("read-only fd, PROT_READ shared: %s, bytes: %.6s\n", merr(r),
	       r == MAP_FAILED ? "" : r + 100);
	if (r != MAP_FAILED)
		munmap(r, PAGE);
	close(fd);
	unlink(FILE_NAME);
}

static void anon_mapping(void)
{
	char *s = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *priv = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("anonymous shared: %s, zero: %d\n", merr(s), s != MAP_FAILED && s[0] == 0 && s[PAGE] == 0);
	if (s == MAP_FAILED || priv == MAP_FAILED)
		return;
	in_child("anon child", child_writes, s);
	printf("shared after the child: \"%s\", \"%s\"\n", s, s + 2 * PAGE);
	in_child("private child", child_writes_one, priv);
	printf("private after the child: \"%s\"\n", priv);
	/* The middle page out: the pages around it stay shared. */
	printf("munmap of the middle page: %s\n", fails(munmap(s + PAGE, PAGE)));
	memset(s, 0, 32);
	memset(s + 2 * PAGE, 0, 32);
	in_child("split child", child_writes, s);
	printf("both ends after the child: \"%s\", \"%s\"\n", s, s + 2 * PAGE);
	munmap(s, PAGE);
	munmap(s + 2 * PAGE, PAGE);
	munmap(priv, PAGE);
}

static void shm_object(void)
{
	char SHM_NAME[32];      /* the host's /dev/shm is shared by every run */
	snprintf(SHM_NAME, sizeof(SHM_NAME), "/aion-shmap-%d", (int)getpid());
	int fd = shm_open(SHM_NAME, O_RDWR | O_CREAT | O_EXCL, 0600);
	printf("shm_open: %s\n", fd < 0 ? en(errno) : "ok");
	if (fd < 0)
		return;
	printf("ftruncate: %s\n", fails(ftruncate(fd, 3 * PAGE)));
	char *p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("shm mmap: %s\n", merr(p));
	if (p != MAP_FAILED) {
		in_child("shm child", child_writes, p);
		printf("shm after the child: \"%s\", \"%s\"\n", p, p + 2 * PAGE);
		munmap(p, 3 * PAGE);
	}
	/* Another open of the name sees the bytes. */
	int fd2 = shm_open(SHM_NAME, O_RDONLY, 0);
	char buf[16] = { 0 };
	pread(fd2, buf, 14, 0);
	printf("shm reopened, read(): %s\n", buf);
	close(fd2);
	close(fd);
	printf("shm_unlink: %s\n", fails(shm_unlink(SHM_NAME)));
	printf("shm_open after unlink: %s\n", shm_open(SHM_NAME, O_RDWR, 0) < 0 ? en(errno) : "ok");
}

static void child_posts(void *arg)
{
	nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
	sem_post(arg);
}

/* The parent waits (at most 10 s) on a semaphore the child posts. */
static void shared_semaphore(void)
{
	sem_t *sem = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sem == MAP_FAILED || sem_init(sem, 1, 0)) {
		printf("sem_init: %s\n", en(errno));
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		child_posts(sem);
		_exit(0);
	}
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	int r = sem_timedwait(sem, &until);
	printf("sem_timedwait, woken by the child's sem_post: %s\n", r ? en(errno) : "ok");
	int st = 0, v = -1;
	waitpid(pid, &st, 0);
	status("sem child", st);
	sem_getvalue(sem, &v);
	printf("value after: %d\n", v);
	sem_destroy(sem);
	munmap(sem, PAGE);
}

/* A named semaphore (musl: a file under /dev/shm, made with link). */
static void named_semaphore(void)
{
	char name[32];
	snprintf(name, sizeof(name), "/aion-sem-%d", (int)getpid());
	sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0600, 2);
	printf("sem_open: %s\n", s == SEM_FAILED ? en(errno) : "ok");
	if (s == SEM_FAILED)
		return;
	sem_t *again = sem_open(name, 0);
	int v = -1;
	sem_wait(again);
	sem_getvalue(s, &v);
	printf("a second sem_open, sem_wait there, value here: %d\n", v);
	printf("O_EXCL of it: %s\n", sem_open(name, O_CREAT | O_EXCL, 0600, 0) == SEM_FAILED ?
	       en(errno) : "ok");
	sem_close(again);
	/* The name goes, the semaphore stays for those that have it open. */
	printf("sem_unlink: %s\n", fails(sem_unlink(name)));
	sem_post(s);
	sem_getvalue(s, &v);
	printf("after the unlink, sem_post, value: %d\n", v);
	sem_close(s);
	printf("sem_open after unlink: %s\n", sem_open(name, 0) == SEM_FAILED ? en(errno) : "ok");
}

int main(void)
{
	file_mapping();
	anon_mapping();
	shm_object();
	shared_semaphore();
	named_semaphore();
	int fds[2];
	pipe(fds);
	printf("a pipe, shared: %s\n", merr(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fds[0], 0)));
	return 0;
}
