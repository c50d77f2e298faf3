/*
 * The names of a path, one at a time: the one walk every path parser here
 * shares (vfsd's path.c, ext2d's ext2d_path). Pure, freestanding.
 */
#ifndef COMMON_PATHNAME_H
#define COMMON_PATHNAME_H

#include <stddef.h>

/*
 * The next name of path[0..len) from *i: its first byte in *start and its
 * length (0: only slashes were left). *i moves past the slashes before it
 * and the name itself, never past len.
 */
static inline size_t path_name_next(const char *path, size_t len, size_t *i, size_t *start)
{
	while (*i < len && path[*i] == '/')
		(*i)++;
	*start = *i;
	while (*i < len && path[*i] != '/')
		(*i)++;
	return *i - *start;
}

#endif /* COMMON_PATHNAME_H */
