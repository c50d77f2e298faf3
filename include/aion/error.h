/*
 * Aion error codes: the one definition shared by the kernel, userspace
 * services and host tools.
 *
 * Every operation that can fail returns 0 (or a non-negative result) on
 * success and a negative -AION_E... value on failure. Each code has a
 * stable number (part of the ABI: never renumber) and a name string that
 * logs and test output print, so a failure always reads as a name.
 */
#ifndef AION_ERROR_H
#define AION_ERROR_H

/* X(name, number, description) */
#define AION_ERRORS(X)                                                  \
	X(EPERM,      1, "operation not permitted")                     \
	X(ENOENT,     2, "no such object")                              \
	X(EINVAL,     3, "invalid argument")                            \
	X(ENOMEM,     4, "out of memory")                               \
	X(EFAULT,     5, "bad address")                                 \
	X(ERANGE,     6, "value out of range")                          \
	X(EEXIST,     7, "already exists")                              \
	X(EBUSY,      8, "busy")                                        \
	X(EAGAIN,     9, "try again")                                   \
	X(ETIMEDOUT, 10, "timed out")                                   \
	X(ENOSYS,    11, "no such system call")                         \
	X(ECAP,      12, "invalid capability handle")                   \
	X(ETYPE,     13, "capability has the wrong object type")        \
	X(ERIGHTS,   14, "capability lacks a required right")           \
	X(EDEAD,     15, "peer is dead")                                \
	X(EHOSTDOWN, 16, "node is down")                                \
	X(ENOSPC,    17, "no space left")                               \
	X(EMALFORMED,18, "malformed input")                             \
	X(EOVERLAP,  19, "ranges overlap")                              \
	X(ETRUNC,    20, "input truncated")                             \
	X(EDOUBLE,   21, "already freed")                               \
	X(ENOEXEC,   22, "not an executable for this machine")           \
	X(ECONNREFUSED, 23, "connection refused")                       \
	X(ECONNRESET, 24, "connection reset by peer")                   \
	X(ENETUNREACH, 25, "network unreachable")                       \
	X(ENOTCONN,  26, "not connected")                               \
	X(EADDRINUSE, 27, "address in use")                            \
	X(EINDOUBT,  28, "the callee ended after it took the call: it may have executed") \
	X(ENOQUORUM, 29, "no majority of the cluster's nodes is reachable") \
	X(ECONFLICT, 30, "value differs from the expected one")        \
	X(EIO,       31, "device reported an input/output error")       \
	X(ENOTLEADER, 32, "this server does not lead: ask the leader")  \
	X(ECORRUPT,  33, "stored data fails its check")                 \
	X(ENOTDIR,   34, "a path component is not a directory")         \
	X(EISDIR,    35, "is a directory")                              \
	X(ENAMETOOLONG, 36, "name or path too long")                    \
	X(ENOTEMPTY, 37, "directory not empty")                         \
	X(EBADF,     38, "closed or foreign open-object badge, or wrong mode") \
	X(EACCES,    39, "permission bits refuse it")                   \
	X(EFBIG,     40, "file too large")                              \
	X(EXDEV,     41, "crosses file systems or capabilities")         \
	X(EPIPE,     42, "the other end of a pipe or stream is closed") \
	X(EINTR,     43, "interrupted (THREAD_INTERRUPT)")                \
	X(EREDIRECT, 44, "the path goes on in another server's directory") \
	X(EROFS,     45, "file system mounted read-only")

enum aion_error {
	AION_OK = 0,
#define AION_ERROR_ENUM(name, num, desc) AION_##name = num,
	AION_ERRORS(AION_ERROR_ENUM)
#undef AION_ERROR_ENUM
};

/*
 * Name of an error code, positive or negative: "AION_EFAULT".
 * Unknown codes read as "AION_E?" rather than NULL so callers can print
 * the result unconditionally.
 */
static inline const char *aion_error_name(long err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0: return "AION_OK";
#define AION_ERROR_CASE(name, num, desc) case num: return "AION_" #name;
	AION_ERRORS(AION_ERROR_CASE)
#undef AION_ERROR_CASE
	}
	return "AION_E?";
}

#endif /* AION_ERROR_H */
