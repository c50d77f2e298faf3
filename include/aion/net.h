/*
 * netd's request protocol: the endpoint netd registers with init's name
 * service as "net" (rights SEND|GRANT). Labels go in the IPC tag, text in
 * the payload; replies carry w0 = 0 or -AION_E... . netd answers one call
 * at a time from its event loop; no call carries capabilities.
 *
 *   NET_INFO   reply payload (text, one line, no NUL):
 *                "addr=A mac=M rx=N tx=N rx_dropped=N tx_dropped=N"
 *              A = 10.77.0.N (node N), M = aa:bb:cc:dd:ee:ff; both "none"
 *              when the node has no NIC (loopback only). rx/tx: frames
 *              netd took from / put on the rings; rx_dropped: frames the
 *              driver lost to a full rx ring plus frames netd could not
 *              buffer; tx_dropped: frames lost to a full tx ring.
 *
 *   NET_PING   payload: a dotted IPv4 address, "a.b.c.d" (no NUL needed);
 *              w0 = count (1..NET_PING_COUNT_MAX), w1 = timeout per echo
 *              in ms (1..NET_PING_TIMEOUT_MAX_MS; 0: NET_PING_TIMEOUT_DEF_MS).
 *              netd sends ICMP echo requests one after the other, each as
 *              soon as the previous one came back or timed out, and
 *              replies when all are done:
 *                w0 = 0 (at least one echo came back), -AION_ETIMEDOUT (none
 *                     did), -AION_EINVAL (bad address, count or timeout),
 *                     -AION_ENOENT (no route: not on a NIC's subnet),
 *                     -AION_EBUSY (another ping is in flight: one at a time),
 *                     -AION_ENOMEM (no buffer for the request);
 *                w1 = echoes received, w2 = the last round trip in us.
 *              The caller's CALL timeout should allow
 *              count x timeout + a second.
 */
#ifndef AION_NET_H
#define AION_NET_H

#define NET_INFO                16
#define NET_PING                17

#define NET_PING_COUNT_MAX      10
#define NET_PING_TIMEOUT_MAX_MS 5000
#define NET_PING_TIMEOUT_DEF_MS 1000

#endif /* AION_NET_H */
