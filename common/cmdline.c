#include "common/cmdline.h"

static bool word_has_key(const char *w, size_t wlen, const char *key,
			 size_t *vstart)
{
	size_t k = 0;
	while (key[k] && k < wlen && w[k] == key[k])
		k++;
	if (key[k])
		return false;
	if (k == wlen) {
		*vstart = wlen;
		return true;
	}
	if (w[k] != '=')
		return false;
	*vstart = k + 1;
	return true;
}

bool cmdline_get(const char *cmdline, const char *key, char *out, size_t n)
{
	bool found = false;
	const char *p = cmdline;

	if (!cmdline || !key || !*key)
		return false;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t wlen = 0;
		while (p[wlen] && p[wlen] != ' ')
			wlen++;
		size_t v;
		if (wlen && word_has_key(p, wlen, key, &v)) {
			found = true;
			if (n) {
				size_t len = wlen - v < n - 1 ? wlen - v : n - 1;
				for (size_t i = 0; i < len; i++)
					out[i] = p[v + i];
				out[len] = '\0';
			}
		}
		p += wlen;
	}
	return found;
}

unsigned long long cmdline_decimal(const char *s)
{
	unsigned long long n = 0;
	for (; *s >= '0' && *s <= '9' && n < (1ull << 59); s++)
		n = n * 10 + (unsigned long long)(*s - '0');
	return n;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

unsigned long long cmdline_hex(const char *s)
{
	unsigned long long n = 0;
	for (unsigned i = 0; i < 16 && hex_digit(s[i]) >= 0; i++)
		n = n << 4 | (unsigned long long)hex_digit(s[i]);
	return n;
}
