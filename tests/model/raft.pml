/*
 * Raft leader election and log commit, a model for spin (issue 14).
 *
 * Rules from Ongaro and Ousterhout, "In Search of an Understandable
 * Consensus Algorithm (Extended Version)", 2014: section numbers (§) and
 * Figure 2 refer to that paper. docs/raft-model.md says what is modelled,
 * what is abstracted away, the bounds and the figures measured;
 * check_raft_model.py runs spin on it.
 *
 * One process takes every step, each step atomic, as a server does one
 * thing at a time: a timeout, a send, a restart, or handling one message.
 * The network is a set of messages that receivers read in any order, any
 * number of times, until the network drops one: loss, duplication and
 * reordering.
 *
 * Properties (assertions, raft_properties.pml), checked where a step
 * could first break them:
 *   election safety (§5.2): at most one leader per term;
 *   leader completeness (§5.4): an entry committed in term T is in the log
 *     of every leader of a term >= T, at the same index;
 *   state machine safety (§5.4.3): every commit of index i agrees on its
 *     entry, and no server loses an entry it committed, restarts included.
 *
 * Files: raft_network.pml (messages), raft_properties.pml (ghosts and
 * checks), raft_rules.pml (the paper's rules), raft_symmetry.pml (server
 * renaming), raft_trace.pml (counterexample output), this one (state and
 * the step loop). Variants that break one rule on purpose (-DBUG_...) and
 * witnesses (-DWITNESS_...) are listed in check_raft_model.py.
 */

#define SERVERS 3
#define MAJORITY 2

#ifndef MAXTERM
#define MAXTERM 3       /* no server times out past this term */
#endif
#ifndef MAXLOG
#define MAXLOG 2        /* a leader appends no entry past this index */
#endif
#ifndef NETSLOTS
#define NETSLOTS 2      /* messages in flight at once; more are lost */
#endif
#if MAXTERM > 7 || MAXLOG > 3
#error "terms and indexes are 3-bit message fields; MAXLOG > 3 needs more APPEND choices"
#endif

#define NONE 3          /* votedFor before any vote; leader_of of no leader */

mtype:role = { follower, candidate, leader };

/* Durable state (Figure 2, "persistent state on all servers"). */
byte term[SERVERS];
byte voted_for[SERVERS];
/* log_term[s * (MAXLOG + 1) + i]: term of entry i of server s (1-based);
 * index 0 is the empty prefix, term 0. An entry is only its term: Log
 * Matching (§5.3) makes (index, term) name one entry in every log. */
byte log_term[SERVERS * (MAXLOG + 1)];
byte log_len[SERVERS];

/* Volatile state, lost by a restart (Figure 2, "volatile state"). */
mtype:role role[SERVERS];
byte commit_index[SERVERS];
byte votes[SERVERS];                    /* bit v: v granted its vote */

/* The network: a set of packed messages, sorted descending, 0 = free. */
int net[NETSLOTS];

/* Ghosts: history the properties need, no server reads them. */
byte leader_of[MAXTERM + 1];            /* who led each term, or NONE */
byte committed_term[MAXLOG + 1];        /* entry committed at i, 0 = none */
byte committed_in[MAXLOG + 1];          /* lowest term it was committed in */

/* Scratch for the d_steps: always written before read, so not state. */
hidden byte hs, hv, hj, hk, hn, hcount, hnew;
hidden int hmsg, hin;     /* the message sent, the one received */
hidden byte hok;

#define LOG(s, i)       log_term[(s) * (MAXLOG + 1) + (i)]
#define LAST_TERM(s)    LOG(s, log_len[s])

#include "raft_network.pml"
#include "raft_properties.pml"
#include "raft_rules.pml"
#include "raft_symmetry.pml"

/* The kinds of step (see perform_step). */
#define ELECT           1
#define ASK_VOTES       2
#define CLIENT          3
#define APPEND          4
#define RESTART         5
#define DELIVER         6
#define DROP            7

#include "raft_trace.pml"

/*
 * One step: a choice among the enabled ones (its kind and arguments in
 * step, step_s, step_arg), then the step itself with the network's
 * clean-up and the renaming. All inside one atomic sequence, so only the
 * state after it is stored; the choice fields are zero between steps.
 * Each rule's code appears once, in perform_step.
 */
#define CHOOSE(guard, kind, s, arg) \
        :: d_step { guard -> step = kind; step_s = s; step_arg = arg }

#define SERVER_CHOICES(s) \
        CHOOSE(role[s] != leader && term[s] < MAXTERM, ELECT, s, 0) \
        CHOOSE(role[s] == candidate && NET_TAKES(RV_MSG(s)), ASK_VOTES, s, 0) \
        CHOOSE(role[s] == leader && log_len[s] < MAXLOG, CLIENT, s, 0) \
        CHOOSE(role[s] == leader && NET_TAKES(AE_MSG(s, 0)), APPEND, s, 0) \
        CHOOSE(role[s] == leader && log_len[s] >= 1 && NET_TAKES(AE_MSG(s, 1)), APPEND, s, 1) \
        CHOOSE(role[s] == leader && log_len[s] >= 2 && NET_TAKES(AE_MSG(s, 2)), APPEND, s, 2) \
        CHOOSE(role[s] == leader && log_len[s] >= 3 && NET_TAKES(AE_MSG(s, 3)), APPEND, s, 3) \
        CHOOSE(RESTART_CHANGES(s), RESTART, s, 0)

/* Slot k's message delivered to any server it may reach, or dropped. */
#define NET_CHOICES(k) \
        CHOOSE(RECEIVES(net[k], 0), DELIVER, 0, k) \
        CHOOSE(RECEIVES(net[k], 1), DELIVER, 1, k) \
        CHOOSE(RECEIVES(net[k], 2), DELIVER, 2, k) \
        CHOOSE(net[k] != 0, DROP, 0, k)

inline perform_step() {
        TRACE_STEP();
        if
        :: step == ELECT -> start_election(step_s)
        :: step == ASK_VOTES -> request_vote(step_s)
        :: step == CLIENT -> client_request(step_s)
        :: step == APPEND -> send_append(step_s, step_arg)
        :: step == RESTART -> restart(step_s)
        :: step == DELIVER -> deliver(step_arg, step_s)
        :: step == DROP -> net_drop(step_arg)
        fi;
        net_collect();
#ifndef NO_SYMMETRY
        sym_canonical();
#endif
        TRACE_STATE();
        step = 0; step_s = 0; step_arg = 0
}

init {
        byte step, step_s, step_arg;

        d_step {
                hs = 0;
                do
                :: hs < SERVERS ->
                        voted_for[hs] = NONE; role[hs] = follower; hs++
                :: else -> break
                od;
                hs = 0;
                do
                :: hs <= MAXTERM -> leader_of[hs] = NONE; hs++
                :: else -> break
                od
        }
end:    do
        :: atomic {
                if
                SERVER_CHOICES(0)
                SERVER_CHOICES(1)
                SERVER_CHOICES(2)
                NET_CHOICES(0)
                NET_CHOICES(1)
#if NETSLOTS > 2
                NET_CHOICES(2)
#endif
#if NETSLOTS > 3
                NET_CHOICES(3)
#endif
                fi;
                d_step { perform_step() }
        }
        od
}
