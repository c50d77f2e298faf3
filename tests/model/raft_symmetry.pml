/*
 * Symmetry. Servers are interchangeable: the rules only compare ids for
 * equality and every property is the same for any renaming. So after
 * each step the servers are renamed into the order of their own state
 * (term, role, vote, commit index, log); states that differ only by a
 * renaming mostly become one. Ties keep their order: the result is not
 * always the one representative of its class, which costs states, never
 * soundness, as every state kept is a renaming of a reachable one.
 * -DNO_SYMMETRY turns it off (counterexamples keep their server names).
 */
hidden int sym_sig[SERVERS];
hidden byte sym_id[SERVERS];            /* old id at each new position */
hidden byte sym_at[SERVERS];            /* new position of each old id */
hidden byte sym_term[SERVERS], sym_vote[SERVERS], sym_len[SERVERS];
hidden byte sym_commit[SERVERS], sym_votes[SERVERS], sym_role[SERVERS];
hidden byte sym_log[SERVERS * (MAXLOG + 1)];

#define ROLE_CODE(s)    (role[s] == leader -> 2 : (role[s] == candidate -> 1 : 0))
#define VOTE_CODE(s)    (voted_for[s] == NONE -> 0 : (voted_for[s] == (s) -> 1 : 2))
#define RENAME(v)       ((v) == NONE -> NONE : sym_at[v])

inline sym_signature(s) {
        sym_sig[s] = ((term[s] * 4 + ROLE_CODE(s)) * 4 + VOTE_CODE(s)) * 8 +
                     commit_index[s];
        hj = 1;
        do
        :: hj <= MAXLOG -> sym_sig[s] = sym_sig[s] * 8 + LOG(s, hj); hj++
        :: else -> break
        od
}

/* Sorts the ids by signature, stably (three compare-exchanges on
 * sym_id, the id at each position), then inverts into sym_at. */
inline sym_order() {
        hs = 0;
        do
        :: hs < SERVERS -> sym_signature(hs); sym_id[hs] = hs; hs++
        :: else -> break
        od;
        sym_exchange(0, 1);
        sym_exchange(1, 2);
        sym_exchange(0, 1);
        hs = 0;
        do
        :: hs < SERVERS -> sym_at[sym_id[hs]] = hs; hs++
        :: else -> break
        od
}

inline sym_exchange(a, b) {
        if
        :: sym_sig[sym_id[a]] > sym_sig[sym_id[b]] ->
                hv = sym_id[a]; sym_id[a] = sym_id[b]; sym_id[b] = hv
        :: else -> skip
        fi
}

inline sym_save() {
        hs = 0;
        do
        :: hs < SERVERS ->
                sym_term[hs] = term[hs]; sym_vote[hs] = voted_for[hs];
                sym_len[hs] = log_len[hs]; sym_commit[hs] = commit_index[hs];
                sym_votes[hs] = votes[hs]; sym_role[hs] = ROLE_CODE(hs);
                hj = 1;
                do
                :: hj <= MAXLOG -> sym_log[hs * (MAXLOG + 1) + hj] = LOG(hs, hj); hj++
                :: else -> break
                od;
                hs++
        :: else -> break
        od
}

/* Writes old server hs's saved state at its new position hv. */
inline sym_restore_one() {
        hv = sym_at[hs];
        term[hv] = sym_term[hs]; voted_for[hv] = RENAME(sym_vote[hs]);
        log_len[hv] = sym_len[hs]; commit_index[hv] = sym_commit[hs];
        if
        :: sym_role[hs] == 2 -> role[hv] = leader
        :: sym_role[hs] == 1 -> role[hv] = candidate
        :: else -> role[hv] = follower
        fi;
        votes[hv] = 0;
        hj = 0;
        do
        :: hj < SERVERS ->
                if
                :: sym_votes[hs] & (1 << hj) -> votes[hv] = votes[hv] | (1 << sym_at[hj])
                :: else -> skip
                fi;
                hj++
        :: else -> break
        od;
        hj = 1;
        do
        :: hj <= MAXLOG -> LOG(hv, hj) = sym_log[hs * (MAXLOG + 1) + hj]; hj++
        :: else -> break
        od
}

/* Renames the ids in every message, then sorts the set again. */
inline sym_rename_net() {
        hk = 0;
        do
        :: hk < NETSLOTS && net[hk] != 0 ->
                hin = net[hk];
                hmsg = (hin & ~(63 << 3)) | (sym_at[F_FROM(hin)] << 3);
                if
                :: !BROADCAST(hin) -> hmsg = hmsg | (sym_at[F_TO(hin)] << 6)
                :: else -> skip
                fi;
                net[hk] = 0;
                hcount = hk;    /* insert hmsg into the sorted prefix */
                do
                :: hcount > 0 && net[hcount - 1] < hmsg ->
                        net[hcount] = net[hcount - 1]; hcount--
                :: else -> break
                od;
                net[hcount] = hmsg;
                hk++
        :: else -> break
        od
}

inline sym_canonical() {
        sym_order();
        if
        :: sym_at[0] != 0 || sym_at[1] != 1 ->
                sym_save();
                hs = 0;
                do
                :: hs < SERVERS -> sym_restore_one(); hs++
                :: else -> break
                od;
                hs = 0;
                do
                :: hs <= MAXTERM -> leader_of[hs] = RENAME(leader_of[hs]); hs++
                :: else -> break
                od;
                sym_rename_net()
        :: else -> skip
        fi
}
