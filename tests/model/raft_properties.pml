/*
 * The properties of the Raft model (raft.pml): the ghost record of every
 * commit, and the assertions, placed where a step could first break them.
 */

/* A witness that the model reaches a state of interest: spin must find
 * this "violation" (a model that cannot reach it would check nothing). */
#ifdef WITNESS_ALL_COMMITTED
#define WITNESS() assert(!(commit_index[0] == MAXLOG && commit_index[1] == MAXLOG && \
                           commit_index[2] == MAXLOG && committed_in[MAXLOG] == MAXTERM && \
                           committed_in[1] < MAXTERM))
#else
#define WITNESS() skip
#endif

/* Leader completeness (§5.4.1): a leader of term T holds every entry
 * committed in a term <= T. Checked when a server is elected and when
 * the committed record grows; in between a leader only appends. */
inline check_leader(s) {
        hj = 1;
        do
        :: hj <= MAXLOG ->
                assert(committed_term[hj] == 0 || committed_in[hj] > term[s] ||
                       (log_len[s] >= hj && LOG(s, hj) == committed_term[hj]));
                hj++
        :: else -> break
        od
}

inline check_leaders() {
        hs = 0;
        do
        :: hs < SERVERS ->
                if
                :: role[hs] == leader -> check_leader(hs)
                :: else -> skip
                fi;
                hs++
        :: else -> break
        od
}

/*
 * Records what server s commits up to index n: the first commit of an
 * index fixes its entry for ever, every later one must agree (state
 * machine safety, §5.4.3). committed_in[] keeps the lowest term any
 * server committed the index in. commit_index never decreases (Figure 2).
 */
inline commit_to(s, n) {
        hj = commit_index[s] + 1;
        do
        :: hj <= n ->
                if
                :: committed_term[hj] == 0 ->
                        committed_term[hj] = LOG(s, hj);
                        committed_in[hj] = term[s]
                :: else ->
                        assert(committed_term[hj] == LOG(s, hj));
                        if
                        :: committed_in[hj] > term[s] -> committed_in[hj] = term[s]
                        :: else -> skip
                        fi
                fi;
                hj++
        :: else -> break
        od;
        commit_index[s] = n;
        check_leaders();
        WITNESS()
}

/*
 * No committed prefix ever changes: checked where a log loses entries,
 * the only way an entry changes (truncation, then append). A server that
 * committed index j did so in a term >= committed_in[j], and its term
 * never goes down, restarts included: so no server in such a term may
 * lose the committed entry. (That also holds for servers that hold it
 * without having committed it: a leader of their term has it, and Log
 * Matching then forbids a conflict before it.)
 */
inline check_kept(f, j) {
        assert(committed_term[j] == 0 || committed_in[j] > term[f] ||
               LOG(f, j) != committed_term[j])
}
