/*
 * busy: a job that keeps its node's CPU at 100% ("spawn busy --node N"),
 * for the failure-detection bench (bench/detect): the node's idle loop
 * never halts, so under QEMU TCG its vCPU takes a host core for good and
 * every other unit at its priority or below shares the CPU with it. It
 * says so once and then only spins; stopping it is init's (JOB_STOP).
 *
 * Capabilities: SVC_INIT_EP (1,1), JOB_MESH_EP (2,1) (unused). Args: node=N ...
 */
#include "libaion/lib.h"
#include "common/cmdline.h"

int64_t aion_main(uint64_t arg)
{
	const struct aion_startup *st = (const struct aion_startup *)arg;
	char node[8] = "?";
	volatile uint64_t spins = 0;

	if (st->magic == AION_STARTUP_MAGIC)
		cmdline_get(st->args, "node", node, sizeof(node));
	aion_printf("busy: spinning node=%s", node);
	for (;;)
		spins++;
	return 0;
}
