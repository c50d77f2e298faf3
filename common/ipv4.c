/* IPv4 addresses as text (common/ipv4.h). Pure: no system calls, no libc. */
#include "common/ipv4.h"

bool ipv4_parse(const char *text, size_t len, uint32_t *addr)
{
	uint32_t a = 0, v = 0;
	unsigned dots = 0, digits = 0;

	if (!text || !addr)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (c >= '0' && c <= '9') {
			if (digits == 1 && v == 0)
				return false;   /* a leading zero: "01" */
			v = v * 10 + (uint32_t)(c - '0');
			if (++digits > 3 || v > 255)
				return false;
		} else if (c == '.' && digits && dots < 3) {
			a = a << 8 | v;
			dots++;
			v = 0;
			digits = 0;
		} else {
			return false;
		}
	}
	if (dots != 3 || !digits)
		return false;
	*addr = a << 8 | v;
	return true;
}
