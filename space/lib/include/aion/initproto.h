/*
 * The protocol of init's endpoint: the local name service and the
 * administration calls the shell uses. Labels go in the IPC tag; names and
 * text go in the payload; a capability travels in caps[0].
 *
 *   NS_REGISTER  payload: name            caps[0]: the capability to publish
 *   NS_LOOKUP    payload: name            reply caps[0]: the capability
 *   NS_LIST      reply payload: "name name ..." (one line)
 *   ADMIN_PS     reply payload: one line per unit "id name state threads used/quota"
 *   ADMIN_CAPS   payload: unit name       reply payload: one line per capability
 *   ADMIN_KILL   payload: unit name       (destroys it; a service restarts)
 *   ADMIN_SERVICES  reply payload: one line per service "name state restarts"
 *
 * Replies carry w0 = 0 or -AION_E... . Administration needs a capability
 * minted with badge INIT_BADGE_ADMIN (init gives one to the shell only).
 */
#ifndef AION_INITPROTO_H
#define AION_INITPROTO_H

#define INIT_NS_REGISTER        1
#define INIT_NS_LOOKUP          2
#define INIT_NS_LIST            3
#define INIT_ADMIN_PS           16
#define INIT_ADMIN_CAPS         17
#define INIT_ADMIN_KILL         18
#define INIT_ADMIN_SERVICES     19

#define INIT_BADGE_CLIENT       1
#define INIT_BADGE_ADMIN        2
/* Notices from services' fault endpoints carry badge INIT_BADGE_SERVICE + index. */
#define INIT_BADGE_SERVICE      0x100

#define INIT_NAME_MAX           32

/* Capabilities a service finds in its table when it starts (given in this order). */
#define SVC_INIT_EP             AION_HANDLE(1, 1)      /* init: name service (client badge) */
/*
 * SVC_NEED_FWCFG (space/init/init.h): an I/O port capability for fw_cfg's
 * ports (fwcfg.h: FWCFG_PORT, FWCFG_PORTS), given after every other
 * capability; for a service whose needs are exactly SVC_NEED_FWCFG it is
 * the second one. Pass it to fwcfg_read_file().
 */
#define SVC_FWCFG_IO            AION_HANDLE(2, 1)

#endif /* AION_INITPROTO_H */
