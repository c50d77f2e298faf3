#include <stdbool.h>
#include "aion/error.h"
#include "ksyms.h"

static const char *table;
static size_t table_len;

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parses "<hex> <name>" in line[0..len); false if the line is not that. */
static bool parse_line(const char *line, size_t len, uint64_t *addr,
		       size_t *name_at)
{
	size_t i = 0;
	uint64_t v = 0;
	int d;

	while (i < len && i < 16 && (d = hex_digit(line[i])) >= 0) {
		v = v << 4 | (uint64_t)d;
		i++;
	}
	if (i == 0 || i >= len || line[i] != ' ' || i + 1 >= len)
		return false;
	*addr = v;
	*name_at = i + 1;
	return true;
}

int ksyms_lookup_in(const char *text, size_t len, uint64_t addr,
		    char *name, size_t n, uint64_t *off)
{
	uint64_t best = 0;
	const char *best_name = NULL;
	size_t best_len = 0;
	size_t pos = 0;

	while (pos < len) {
		size_t end = pos;
		while (end < len && text[end] != '\n')
			end++;
		uint64_t a;
		size_t at;
		if (parse_line(text + pos, end - pos, &a, &at) && a <= addr &&
		    (!best_name || a >= best)) {
			best = a;
			best_name = text + pos + at;
			best_len = end - pos - at;
		}
		pos = end + 1;
	}
	if (!best_name)
		return -AION_ENOENT;
	if (n) {
		size_t k = best_len < n - 1 ? best_len : n - 1;
		for (size_t i = 0; i < k; i++)
			name[i] = best_name[i];
		name[k] = '\0';
	}
	*off = addr - best;
	return 0;
}

void ksyms_set(const char *text, size_t len)
{
	table = text;
	table_len = len;
}

int ksyms_lookup(uint64_t addr, char *name, size_t n, uint64_t *off)
{
	if (!table)
		return -AION_ENOENT;
	return ksyms_lookup_in(table, table_len, addr, name, n, off);
}
