/*
 * The mesh protocol for units: calls on meshd's endpoint, which meshd
 * registers with init as "mesh" (see docs/mesh.md).
 *
 *   MESHD_REGISTER  payload = name (1..MESH_NAME_MAX-1 bytes, no NUL needed),
 *                   caps[0] = the service's endpoint (SEND, and GRANT if
 *                   callers may pass capabilities)      -> w0 = 0
 *                   EINVAL (bad name), ETYPE (not an endpoint), ENOSPC
 *                   A name registered again on the same node is replaced.
 *   MESHD_LOOKUP    payload = name -> w0 = 0, w1 = node of the service,
 *                   caps[0] = the service (the registered capability when
 *                   it is local, a proxy when remote); ENOENT when no live
 *                   node has it, ETIMEDOUT when live nodes did not answer
 *   MESHD_NODES     -> payload: the membership table, text, one line per node
 *   MESHD_STATS     -> payload: receive counters (drops by cause), text
 *   MESHD_SERVICES  -> payload: cluster-wide names, text, "name=N node=K"
 *
 * A proxy is a capability to meshd's endpoint: a call on it is carried to
 * the owner node and performed there on the original capability; the
 * reply (label, words, payload, capabilities) comes back as the reply to
 * the caller. Transport failures come back as a reply whose w0 is
 *   -AION_EHOSTDOWN  the owner node is dead (or became dead mid-call)
 *   -AION_EDEAD      the owner node restarted: the object is gone
 *   -AION_ERANGE     payload larger than MESH_CALL_DATA_MAX
 *   -AION_EBUSY      too many calls in flight
 * Each remote call executes at most once on the owner node.
 */
#ifndef AION_MESH_H
#define AION_MESH_H

#define MESHD_REGISTER          48
#define MESHD_LOOKUP            49
#define MESHD_NODES             50
#define MESHD_STATS             51
#define MESHD_SERVICES          52

#define MESH_NAME_MAX           32
/* Most payload bytes a remote call or reply carries (a mesh packet must
 * fit one socket datagram of AION_IPC_PAYLOAD_MAX bytes). */
#define MESH_CALL_DATA_MAX      360

/* Label of simple text request/reply services (the shell's `call`). */
#define MESH_TEXT_CALL          1

/* The UDP port every meshd listens on. */
#define MESH_PORT               7946

#endif /* AION_MESH_H */
