/*
 * The network of the Raft model (raft.pml): message layout, the set of
 * messages in flight, send and drop.
 */

/*
 * Message layout: 3-bit fields in one int. RequestVote and AppendEntries
 * carry no destination: with duplication one broadcast message is the
 * same as one copy per peer, each delivered any number of times or never.
 */
#define RV      1       /* a: last log index, b: last log term */
#define RVR     2       /* to, a: vote granted */
#define AE      3       /* a: prev index, b: prev term, c: entry term or 0, d: leader commit */
#define AER     4       /* to, a: success, b: match index */

#define PACK(type, from, to, t, a, b, c, d) \
        ((type) | ((from) << 3) | ((to) << 6) | ((t) << 9) | \
         ((a) << 12) | ((b) << 15) | ((c) << 18) | ((d) << 21))
#define F_TYPE(m)       ((m) & 7)
#define F_FROM(m)       (((m) >> 3) & 7)
#define F_TO(m)         (((m) >> 6) & 7)
#define F_TERM(m)       (((m) >> 9) & 7)
#define F_A(m)          (((m) >> 12) & 7)
#define F_B(m)          (((m) >> 15) & 7)
#define F_C(m)          (((m) >> 18) & 7)
#define F_D(m)          (((m) >> 21) & 7)

#define BROADCAST(m)    (F_TYPE(m) == RV || F_TYPE(m) == AE)
#define RECEIVES(m, r)  ((m) != 0 && \
                         (BROADCAST(m) -> F_FROM(m) != (r) : F_TO(m) == (r)))

/*
 * Puts hmsg into the set, keeping it sorted so that one set is one state.
 * A message already there is not added twice (the set already models any
 * number of copies); when every slot is taken the message is lost.
 */
inline net_send() {
        hok = true;
        hk = 0;
        do
        :: hk < NETSLOTS && net[hk] == hmsg -> hok = false; break
        :: hk < NETSLOTS && net[hk] != hmsg -> hk++
        :: hk == NETSLOTS -> break
        od;
        if
        :: hok && net[NETSLOTS - 1] == 0 ->
                hk = NETSLOTS - 1;
                do
                :: hk > 0 && net[hk - 1] < hmsg -> net[hk] = net[hk - 1]; hk--
                :: else -> break
                od;
                net[hk] = hmsg
        :: else -> skip
        fi
}

/* Whether sending m would change the set: it has room and lacks m (a
 * send that changes nothing is a message lost, left out as a step). */
#if NETSLOTS == 2
#define NET_TAKES(m)    (net[1] == 0 && net[0] != (m))
#elif NETSLOTS == 3
#define NET_TAKES(m)    (net[2] == 0 && net[0] != (m) && net[1] != (m))
#elif NETSLOTS == 4
#define NET_TAKES(m)    (net[3] == 0 && net[0] != (m) && net[1] != (m) && net[2] != (m))
#else
#error "NETSLOTS must be 2, 3 or 4"
#endif

/* Drops the message in slot k: shifts the rest down, the set stays sorted. */
inline net_drop(k) {
        hk = k;
        do
        :: hk < NETSLOTS - 1 -> net[hk] = net[hk + 1]; hk++
        :: else -> break
        od;
        net[NETSLOTS - 1] = 0
}
