/*
 * The rules of Raft (Figure 2 and §5 of the paper) for the model in
 * raft.pml: elections, replication, commit, restarts, and which replies
 * the network may forget.
 */

/* Votes mean nothing outside an election: cleared, so that states
 * differing only in stale votes are one state. */
inline clear_volatile(s) {
        votes[s] = 0
}

/* §5.1: a message of a later term makes any server a follower of it. */
inline step_down(s, t) {
        term[s] = t;
        voted_for[s] = NONE;
        role[s] = follower;
        clear_volatile(s)
}

/* §5.2: a follower or candidate that hears from no leader starts an
 * election in the next term, voting for itself. */
inline start_election(s) {
        term[s]++;
        role[s] = candidate;
        voted_for[s] = s;
        clear_volatile(s);
        votes[s] = 1 << s
}

/* §5.2: a candidate asks every peer for its vote (sent again at will:
 * the RPC is retried while the candidate waits). */
#define RV_MSG(s) PACK(RV, s, 0, term[s], log_len[s], LAST_TERM(s), 0, 0)

inline request_vote(s) {
        hmsg = RV_MSG(s);
        net_send()
}

/* §5.4.1: the candidate's log is at least as up-to-date as the voter's. */
#ifdef BUG_NO_UPTODATE_CHECK
#define UP_TO_DATE(m, v) true
#else
#define UP_TO_DATE(m, v) (F_B(m) > LAST_TERM(v) || \
                          (F_B(m) == LAST_TERM(v) && F_A(m) >= log_len[v]))
#endif

/* Figure 2: one vote per term, first come first served (§5.2). */
#ifdef BUG_VOTE_TWICE
#define MAY_VOTE(m, v) true
#else
#define MAY_VOTE(m, v) (voted_for[v] == NONE || voted_for[v] == F_FROM(m))
#endif

/* Figure 2, RequestVote receiver: v answers the candidate in m. */
inline on_request_vote(m, v) {
        if
        :: F_TERM(m) > term[v] -> step_down(v, F_TERM(m))
        :: else -> skip
        fi;
        hok = F_TERM(m) == term[v] && MAY_VOTE(m, v) && UP_TO_DATE(m, v);
        if
        :: hok -> voted_for[v] = F_FROM(m)
        :: else -> skip
        fi;
        hmsg = PACK(RVR, v, F_FROM(m), term[v], hok, 0, 0, 0);
        net_send()
}

/* §5.2: a candidate with votes from a majority becomes leader; the
 * ghost leader_of[] holds election safety. nextIndex is not state here
 * (see send_append); matchIndex starts at 0 (Figure 2). */
inline become_leader(c) {
        assert(leader_of[term[c]] == NONE);
        leader_of[term[c]] = c;
        role[c] = leader;
        clear_volatile(c);
        check_leader(c)
}

/* A granted vote counts only for a candidate still in that term; a
 * server is candidate at most once per term, so one that does not count
 * now never will. */
#define VOTE_COUNTS(m, c) (F_TERM(m) == term[c] && role[c] == candidate && F_A(m))

inline on_vote(m, c) {
        if
        :: F_TERM(m) > term[c] -> step_down(c, F_TERM(m))
        :: VOTE_COUNTS(m, c) ->
                votes[c] = votes[c] | (1 << F_FROM(m));
                hcount = (votes[c] & 1) + ((votes[c] >> 1) & 1) + ((votes[c] >> 2) & 1);
                if
                :: hcount >= MAJORITY -> become_leader(c)
                :: else -> skip
                fi
        :: else -> skip         /* stale, or refused */
        fi
}

/* §5.3: the leader takes a client command as a new entry of its term. */
inline client_request(l) {
        log_len[l]++;
        LOG(l, log_len[l]) = term[l]
}

/*
 * §5.3: AppendEntries with the entry after prev, or none when prev is the
 * leader's last (a heartbeat). nextIndex[] is abstracted away: the leader
 * may send from any prev index in its log, which includes every value
 * nextIndex can take, so the model has all the real behaviours and more.
 * One entry per message, as sending a longer batch entry by entry.
 */
#define AE_MSG(l, prev) \
        PACK(AE, l, 0, term[l], prev, LOG(l, prev), \
             (prev < log_len[l] -> LOG(l, prev + 1) : 0), commit_index[l])

inline send_append(l, prev) {
        hmsg = AE_MSG(l, prev);
        net_send()
}

/* Empties the slots past the end of f's log after a truncation. */
inline truncate_log(f, new_len) {
        hk = new_len + 1;
        do
        :: hk <= log_len[f] -> check_kept(f, hk); LOG(f, hk) = 0; hk++
        :: else -> break
        od;
        log_len[f] = new_len
}

/* Figure 2, AppendEntries receiver steps 3 and 4, for the one entry of
 * m at index prev + 1: hnew is the index of the last new entry. */
inline store_entry(m, f) {
        hnew = F_A(m) + 1;
        if
        :: log_len[f] >= hnew && LOG(f, hnew) != F_C(m) ->
                truncate_log(f, hnew - 1);      /* step 3: a conflict */
#ifdef WITNESS_TRUNCATE
                assert(false);
#endif
                skip
#ifdef BUG_TRUNCATE_MATCHING
        :: log_len[f] > hnew && LOG(f, hnew) == F_C(m) ->
                truncate_log(f, hnew)   /* drops what follows a matching entry */
#endif
        :: else -> skip
        fi;
        if
        :: log_len[f] < hnew -> log_len[f] = hnew; LOG(f, hnew) = F_C(m)  /* step 4 */
        :: else -> skip
        fi
}

/* Figure 2, step 5: commit up to the leader's commit index, but not past
 * the last entry this message vouches for. */
#ifdef BUG_COMMIT_PAST_NEW
#define COMMIT_LIMIT(f) log_len[f]
#else
#define COMMIT_LIMIT(f) hnew
#endif

inline accept_append(m, f) {
        if
        :: F_C(m) != 0 -> store_entry(m, f)
        :: else -> hnew = F_A(m)
        fi;
        hn = F_D(m);
        if
        :: COMMIT_LIMIT(f) < hn -> hn = COMMIT_LIMIT(f)
        :: else -> skip
        fi;
        if
        :: hn > commit_index[f] -> commit_to(f, hn)
        :: else -> skip
        fi;
        hmsg = PACK(AER, f, F_FROM(m), term[f], 1, hnew, 0, 0);
        net_send()
}

/* Figure 2, AppendEntries receiver: f handles leader F_FROM(m)'s m. */
inline on_append(m, f) {
        if
        :: F_TERM(m) > term[f] -> step_down(f, F_TERM(m))
        :: else -> skip
        fi;
        if
        :: F_TERM(m) == term[f] && role[f] == candidate ->
                role[f] = follower;     /* §5.2: another won the term */
                clear_volatile(f)
        :: else -> skip
        fi;
        if
        /* Step 1, stale; a leader takes no entries (another leader of its
         * term would already have failed election safety); step 2. */
        :: F_TERM(m) < term[f] || role[f] == leader ||
           F_A(m) > log_len[f] || LOG(f, F_A(m)) != F_B(m) ->
                hmsg = PACK(AER, f, F_FROM(m), term[f], 0, 0, 0, 0);
                net_send()
        :: else -> accept_append(m, f)
        fi
}

/*
 * §5.3, §5.4.2: the leader commits index n once a majority stores it, and
 * only an entry of its own term by counting replicas (Figure 8); earlier
 * entries are committed with it. With 3 servers the majority is the
 * leader and one follower, so a success reply that covers n settles the
 * count for n: the reply is counted at once and matchIndex[] is not kept
 * (it could only repeat a count already made).
 */
#ifdef BUG_COMMIT_OLD_TERM
#define COMMITTABLE(l, n) true
#else
#define COMMITTABLE(l, n) (LOG(l, n) == term[l])
#endif

inline advance_commit(l, replicated) {
        hcount = 1 + 1;         /* replicas up to replicated: leader, replier */
        hn = replicated;
        do
        :: hn > commit_index[l] && hcount >= MAJORITY ->
                if
                :: COMMITTABLE(l, hn) -> commit_to(l, hn); break
                :: else -> hn--
                fi
        :: else -> break
        od
}

/*
 * Figure 2, leader: a success reply of its term means the follower's log
 * matches the leader's up to the reply's match index. It counts only while
 * its leader leads that term (a server leads a term at most once), past
 * the commit index (which only grows while it leads), up to an entry it
 * may commit: terms never go down along a log, so if the last entry the
 * reply covers is not committable, none before it is.
 */
#define APPEND_COUNTS(m, l) (F_TERM(m) == term[l] && role[l] == leader && F_A(m) && \
                             F_B(m) > commit_index[l] && COMMITTABLE(l, F_B(m)))

inline on_append_reply(m, l) {
        if
        :: F_TERM(m) > term[l] -> step_down(l, F_TERM(m))
        :: APPEND_COUNTS(m, l) ->
                advance_commit(l, F_B(m))
        :: else -> skip         /* stale, or a failed prev check */
        fi
}

inline deliver(k, r) {
        hin = net[k];
        if
        :: F_TYPE(hin) == RV -> on_request_vote(hin, r)
        :: F_TYPE(hin) == RVR -> on_vote(hin, r)
        :: F_TYPE(hin) == AE -> on_append(hin, r)
        :: F_TYPE(hin) == AER -> on_append_reply(hin, r)
        fi
}

/*
 * §5.5: a crash and restart keeps the durable state (term, vote, log)
 * and loses the rest; messages in flight stay in the network.
 */
inline restart(s) {
        role[s] = follower;
        commit_index[s] = 0;
#ifdef BUG_VOLATILE_VOTE
        voted_for[s] = NONE;
#endif
        clear_volatile(s)
}

#ifdef BUG_VOLATILE_VOTE
#define RESTART_CHANGES(s) (role[s] != follower || commit_index[s] != 0 || voted_for[s] != NONE)
#else
#define RESTART_CHANGES(s) (role[s] != follower || commit_index[s] != 0)
#endif

/*
 * A reply that can change nothing, now or later, is forgotten at once: it
 * is the network dropping it, and a state with such a reply in flight
 * differs from the one without it only by a busy slot.
 */
#define REPLY_MATTERS(m) (BROADCAST(m) || F_TERM(m) > term[F_TO(m)] || \
                          (F_TYPE(m) == RVR -> VOTE_COUNTS(m, F_TO(m)) : \
                                               APPEND_COUNTS(m, F_TO(m))))

inline net_collect() {
        hv = 0;
        do
        :: hv < NETSLOTS && net[hv] != 0 && !REPLY_MATTERS(net[hv]) -> net_drop(hv)
        :: hv < NETSLOTS && (net[hv] == 0 || REPLY_MATTERS(net[hv])) -> hv++
        :: hv == NETSLOTS -> break
        od;
        skip    /* a d_step may not end on a loop's exit */
}
