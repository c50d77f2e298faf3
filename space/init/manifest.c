/*
 * The services every node runs, in start order. The manifest lives in the
 * image (this table), so every node boots the same set. Each service gets
 * init's endpoint as its first capability (SVC_INIT_EP) and only what its
 * `needs` name besides.
 */
#include "init.h"

const struct svc_spec manifest[] = {
	{ "netd", 120, 2048, 0 },       /* lwIP: 4 MiB heap in its bss */
	{ "shell", 120, 512, SVC_NEED_ADMIN },
	{ "serial", 130, 256, SVC_NEED_COM1 },
	{ "virtio-net", 125, 320, SVC_NEED_NIC },
};

const unsigned manifest_len = sizeof(manifest) / sizeof(manifest[0]);
