/*
 * errno by name for the test programs of tests/posix, so a line prints
 * the same text on every libc (Aion's musl, the host's musl-gcc build).
 * Included by each program's one source file: each stays one plain C file
 * and a header, built alike on Linux.
 */
#ifndef TESTS_POSIX_ERRNAME_H
#define TESTS_POSIX_ERRNAME_H

#include <errno.h>

static const char *en(int e)
{
	static const struct { int e; const char *name; } names[] = {
		{ 0, "0" }, { ENOENT, "ENOENT" }, { EEXIST, "EEXIST" }, { ENOTDIR, "ENOTDIR" },
		{ EISDIR, "EISDIR" }, { ENOTEMPTY, "ENOTEMPTY" }, { ENAMETOOLONG, "ENAMETOOLONG" },
		{ EBADF, "EBADF" }, { EACCES, "EACCES" }, { EAGAIN, "EAGAIN" }, { EINVAL, "EINVAL" },
		{ EXDEV, "EXDEV" }, { ENOSYS, "ENOSYS" },
		{ ECONNREFUSED, "ECONNREFUSED" }, { ETIMEDOUT, "ETIMEDOUT" },
		{ ECONNRESET, "ECONNRESET" }, { EPIPE, "EPIPE" }, { EADDRINUSE, "EADDRINUSE" },
		{ ENOTCONN, "ENOTCONN" }, { EAFNOSUPPORT, "EAFNOSUPPORT" }, { ENOTSOCK, "ENOTSOCK" },
		{ EISCONN, "EISCONN" }, { EDESTADDRREQ, "EDESTADDRREQ" }, { EOPNOTSUPP, "EOPNOTSUPP" },
		{ ECHILD, "ECHILD" }, { ENOEXEC, "ENOEXEC" }, { EINTR, "EINTR" }, { ESPIPE, "ESPIPE" },
		{ ESRCH, "ESRCH" }, { EDEADLK, "EDEADLK" }, { ERANGE, "ERANGE" }, { EPERM, "EPERM" },
		{ EBUSY, "EBUSY" }, { ENOMEM, "ENOMEM" }, { EFAULT, "EFAULT" }, { ENODEV, "ENODEV" },
		{ EMLINK, "EMLINK" }, { EIO, "EIO" }, { EROFS, "EROFS" },
	};
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == e)
			return names[i].name;
	return "other";
}

/* The errno a call that must fail left, by name ("none" if it succeeded). */
__attribute__((unused)) static const char *fails(int r)
{
	return r < 0 ? en(errno) : "none";
}

#endif
