/*
 * posix-diff (dirs): directories through the POSIX calls a shell's
 * utilities make: mkdir (and its errors), readdir, rename, link (a
 * second name, its link count, the data kept by it), chdir and getcwd, rmdir, and the errors of paths through files and missing
 * names. Paths are relative (tmp/...), so the host's run and Aion's
 * (each from its own root) print the same.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *err(int r)
{
	static char buf[32];
	if (r >= 0)
		return "ok";
	snprintf(buf, sizeof(buf), "%s", errno == EEXIST ? "EEXIST" : errno == ENOENT ? "ENOENT" :
		 errno == ENOTDIR ? "ENOTDIR" : errno == ENOTEMPTY ? "ENOTEMPTY" :
		 errno == EISDIR ? "EISDIR" : errno == EINVAL ? "EINVAL" : errno == EBUSY ? "EBUSY" :
		 errno == EPERM ? "EPERM" : strerror(errno));
	return buf;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in path, sorted, without "." and "..". */
static void list(const char *path)
{
	char *names[64];
	int n = 0;
	DIR *d = opendir(path);
	if (!d) {
		printf("opendir %s: %s\n", path, err(-1));
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) && n < 64)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	printf("%s:", path);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf(" (%d)\n", n);
}

static void touch(const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd >= 0) {
		write(fd, path, strlen(path));
		close(fd);
	}
}

int main(void)
{
	struct stat st;
	char cwd[512];

	printf("mkdir tmp/d: %s\n", err(mkdir("tmp/d", 0755)));
	printf("mkdir again: %s\n", err(mkdir("tmp/d", 0755)));
	printf("mkdir tmp/d/a/b (no a): %s\n", err(mkdir("tmp/d/a/b", 0755)));
	printf("mkdir tmp/d/a: %s\n", err(mkdir("tmp/d/a", 0755)));
	printf("mkdir tmp/d/a/b: %s\n", err(mkdir("tmp/d/a/b", 0755)));
	touch("tmp/d/f1");
	touch("tmp/d/zeta");
	touch("tmp/d/a/inner");
	list("tmp/d");
	list("tmp/d/a");
	int isdir = stat("tmp/d/a", &st) == 0 && S_ISDIR(st.st_mode);
	printf("stat tmp/d/a is a directory: %d\n", isdir);
	int isreg = stat("tmp/d/f1", &st) == 0 && S_ISREG(st.st_mode);
	printf("tmp/d/f1 is a file of %lld bytes: %d\n", (long long)st.st_size, isreg);
	printf("mkdir under a file: %s\n", err(mkdir("tmp/d/f1/x", 0755)));
	printf("open through a file: %s\n", err(open("tmp/d/f1/x", O_RDONLY)));
	printf("open a missing name: %s\n", err(open("tmp/d/nope", O_RDONLY)));
	printf("open a directory for writing: %s\n", err(open("tmp/d/a", O_WRONLY)));
	printf("open a file with O_DIRECTORY: %s\n", err(open("tmp/d/f1", O_RDONLY | O_DIRECTORY)));
	printf("rmdir a non-empty directory: %s\n", err(rmdir("tmp/d/a")));
	printf("rmdir a file: %s\n", err(rmdir("tmp/d/f1")));
	printf("unlink a directory: %s\n", err(unlink("tmp/d/a") ? -1 : 0));
	printf("rename tmp/d/a to tmp/d/c: %s\n", err(rename("tmp/d/a", "tmp/d/c")));
	printf("rename a directory into itself: %s\n", err(rename("tmp/d/c", "tmp/d/c/b/x")));
	printf("rename a file over a directory: %s\n", err(rename("tmp/d/f1", "tmp/d/c")));
	printf("rename a file over a file: %s\n", err(rename("tmp/d/zeta", "tmp/d/f1")));
	list("tmp/d");
	list("tmp/d/c");

	printf("link tmp/d/f1 to tmp/d/c/hard: %s\n", err(link("tmp/d/f1", "tmp/d/c/hard")));
	printf("link count: %d\n", stat("tmp/d/f1", &st) ? -1 : (int)st.st_nlink);
	printf("link over a name: %s\n", err(link("tmp/d/f1", "tmp/d/c/hard")));
	printf("link of a missing file: %s\n", err(link("tmp/d/none", "tmp/d/c/x")));
	printf("link of a directory: %s\n", err(link("tmp/d/c", "tmp/d/c2")));
	printf("link into a missing folder: %s\n", err(link("tmp/d/f1", "tmp/d/none/x")));
	printf("unlink the first name: %s\n", err(unlink("tmp/d/f1")));
	int hard = open("tmp/d/c/hard", O_RDONLY);
	char hb[8] = { 0 };
	long got = read(hard, hb, 7);
	int count = fstat(hard, &st) ? -1 : (int)st.st_nlink;
	printf("the second name: %s, %ld bytes, count %d\n", err(hard), got, count);
	close(hard);
	printf("rename it back: %s\n", err(rename("tmp/d/c/hard", "tmp/d/f1")));

	int top = open(".", O_RDONLY | O_DIRECTORY);
	printf("chdir tmp/d/c: %s\n", err(chdir("tmp/d/c")));
	char *base = getcwd(cwd, sizeof(cwd)) ? strrchr(cwd, '/') : NULL;
	printf("getcwd ends in: %s\n", base ? base : "?");
	printf("chdir ..: %s\n", err(chdir("..")));
	printf("chdir c/b: %s\n", err(chdir("c/b")));
	base = getcwd(cwd, sizeof(cwd)) ? strrchr(cwd, '/') : NULL;
	printf("getcwd ends in: %s\n", base ? base : "?");
	printf("a relative open from here: %s\n", err(open("../inner", O_RDONLY)));
	printf("chdir to a file: %s\n", err(chdir("../inner")));
	printf("fchdir back: %s\n", err(fchdir(top)));
	close(top);
	printf("stat tmp/d/c/inner: %s\n", err(stat("tmp/d/c/inner", &st)));

	unlink("tmp/d/c/inner");
	printf("rmdir tmp/d/c/b: %s\n", err(rmdir("tmp/d/c/b")));
	printf("rmdir tmp/d/c: %s\n", err(rmdir("tmp/d/c")));
	unlink("tmp/d/f1");
	printf("rmdir tmp/d: %s\n", err(rmdir("tmp/d")));
	printf("stat tmp/d after: %s\n", err(stat("tmp/d", &st)));
	return 0;
}
