/* The local name service: a small table of name -> capability. */
#include "common/format.h"
#include "init.h"

#define NAMES_MAX 32

static struct {
	char name[INIT_NAME_MAX];
	aion_handle_t cap;              /* 0: free */
	int owner;                      /* service index, -1 for init */
} names[NAMES_MAX];

int64_t names_register(const char *name, aion_handle_t cap, int owner)
{
	int free = -1;

	for (int i = 0; i < NAMES_MAX; i++) {
		if (names[i].cap && strcmp(names[i].name, name) == 0) {
			aion_handle_close(names[i].cap);        /* a restart re-registers */
			free = i;
			break;
		}
		if (!names[i].cap && free < 0)
			free = i;
	}
	if (free < 0)
		return -AION_ENOSPC;
	fmt_snprintf(names[free].name, INIT_NAME_MAX, "%s", name);
	names[free].cap = cap;
	names[free].owner = owner;
	aion_printf("names register name=%s owner=%d", name, owner);
	return 0;
}

int64_t names_lookup(const char *name, aion_handle_t *cap)
{
	for (int i = 0; i < NAMES_MAX; i++)
		if (names[i].cap && strcmp(names[i].name, name) == 0) {
			*cap = names[i].cap;
			return 0;
		}
	return -AION_ENOENT;
}

int64_t names_list(char *out, unsigned size)
{
	for (int i = 0; i < NAMES_MAX; i++)
		if (names[i].cap)
			aion_text_add(out, size, "%s ", names[i].name);
	return 0;
}

void names_drop_owner(int owner)
{
	for (int i = 0; i < NAMES_MAX; i++)
		if (names[i].cap && names[i].owner == owner) {
			aion_handle_close(names[i].cap);
			names[i].cap = 0;
		}
}
