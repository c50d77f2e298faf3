/*
 * Trace output with -DTRACE, printed when spin replays a counterexample
 * (spin -t; pan itself prints nothing): each step, then the state it led
 * to. Left out of the checks, where it would only cost time. Unless built
 * with -DNO_SYMMETRY, the servers are renamed after each step (see
 * raft_symmetry.pml): read each step against the state printed before.
 */
inline show_message(m) {
        if
        :: F_TYPE(m) == RV ->
                printf("RequestVote from s%d term %d last entry %d of term %d",
                       F_FROM(m), F_TERM(m), F_A(m), F_B(m))
        :: F_TYPE(m) == RVR ->
                printf("vote s%d to s%d term %d granted %d",
                       F_FROM(m), F_TO(m), F_TERM(m), F_A(m))
        :: F_TYPE(m) == AE ->
                printf("AppendEntries from s%d term %d prev %d of term %d entry term %d commit %d",
                       F_FROM(m), F_TERM(m), F_A(m), F_B(m), F_C(m), F_D(m))
        :: F_TYPE(m) == AER ->
                printf("append reply s%d to s%d term %d success %d match %d",
                       F_FROM(m), F_TO(m), F_TERM(m), F_A(m), F_B(m))
        fi
}

inline show_step() {
        if
        :: step == ELECT -> printf("STEP s%d times out\n", step_s)
        :: step == ASK_VOTES -> printf("STEP s%d sends RequestVote\n", step_s)
        :: step == CLIENT -> printf("STEP s%d appends a client entry\n", step_s)
        :: step == APPEND -> printf("STEP s%d sends AppendEntries prev %d\n", step_s, step_arg)
        :: step == RESTART -> printf("STEP s%d restarts\n", step_s)
        :: step == DELIVER ->
                printf("STEP s%d receives ", step_s);
                show_message(net[step_arg]); printf("\n")
        :: step == DROP ->
                printf("STEP the network drops ");
                show_message(net[step_arg]); printf("\n")
        fi
}

inline show_state() {
        hs = 0;
        do
        :: hs < SERVERS ->
                printf("  s%d term %d %e", hs, term[hs], role[hs]);
                if
                :: voted_for[hs] == NONE -> printf(" voted -")
                :: else -> printf(" voted s%d", voted_for[hs])
                fi;
                printf(" commit %d log", commit_index[hs]);
                hj = 1;
                do
                :: hj <= log_len[hs] -> printf(" %d", LOG(hs, hj)); hj++
                :: else -> break
                od;
                printf("\n");
                hs++
        :: else -> break
        od;
        hk = 0;
        do
        :: hk < NETSLOTS && net[hk] != 0 ->
                printf("  in flight: "); show_message(net[hk]);
                printf("\n"); hk++
        :: else -> break
        od
}

#ifdef TRACE
#define TRACE_STEP()    show_step()
#define TRACE_STATE()   show_state()
#else
#define TRACE_STEP()    skip
#define TRACE_STATE()   skip
#endif
