/*
 * libaion's serving table, the pure part (libaion/serve.h): which op takes
 * a call. Plain C with no system call, so the host test
 * (tests/unit/test_serve.c) drives the very code servers run.
 */
#include <stddef.h>
#include "aion/error.h"
#include "libaion/serve.h"

static bool label_fits(const struct aion_serve_op *op, uint32_t label)
{
	return op->label == AION_SERVE_ANY_LABEL || op->label == label;
}

static bool badge_fits(const struct aion_serve_op *op, uint64_t badge)
{
	if (!op->badge_min && !op->badge_max)
		return true;
	return badge >= op->badge_min && badge <= op->badge_max;
}

static bool caps_fit(const struct aion_serve_op *op, unsigned ncaps)
{
	switch (op->caps) {
	case AION_SERVE_CAPS_NONE:
		return ncaps == 0;
	case AION_SERVE_CAPS_ONE:
		return ncaps == 1;
	default:
		return true;
	}
}

const struct aion_serve_op *aion_serve_find(const struct aion_serve_table *t, uint32_t label,
					    uint64_t badge, unsigned ncaps, int64_t *status)
{
	bool named = false;     /* an op names this very label (not ANY) */

	for (unsigned i = 0; i < t->nops; i++) {
		const struct aion_serve_op *op = &t->ops[i];
		if (!label_fits(op, label))
			continue;
		named = named || op->label == label;
		if (!badge_fits(op, badge))
			continue;
		if (caps_fit(op, ncaps))
			return op;
		*status = -AION_EINVAL;
		return NULL;
	}
	*status = named ? -AION_EPERM : t->unknown;
	return NULL;
}
