/* The libc functions lwIP needs that libaion does not have (libc/stdlib.h). */
#include <stdlib.h>

/* core/netif.c: netif_find("lo0") parses the interface number. */
int atoi(const char *s)
{
	int neg = 0;
	unsigned v = 0;

	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (unsigned)(*s++ - '0');
	return neg ? -(int)v : (int)v;
}
