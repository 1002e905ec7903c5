/* phase: the worker's phases on the way to its exit, and what each stop
 * signal does in each.  Pure: drain.c acts on the answer.
 *
 *   event \ phase        SERVING          DELAYING    DRAINING
 *   SIGTERM, SIGQUIT     DELAY (D > 0),   IGNORE      IGNORE
 *                        else DRAIN
 *   SIGINT               DRAIN            DRAIN       IGNORE
 *   the delay ran out    -                DRAIN       -
 *
 * DELAY (--stop-delay D, lame duck): go on accepting and answering for
 * D, /healthz 503 and every keep-alive answer with Connection: close, so
 * that a load balancer takes the worker out and its keep-alive clients
 * reconnect elsewhere.  Under the supervisor D is a backstop: the
 * supervisor ends the delay with SIGINT once its own has run. */
#ifndef PHASE_H
#define PHASE_H

enum phase { PHASE_SERVING, PHASE_DELAYING, PHASE_DRAINING };

enum phase_event {
	PHASE_EV_TERM,		/* SIGTERM, SIGQUIT */
	PHASE_EV_INT,		/* SIGINT */
	PHASE_EV_DELAY_OVER,	/* the delay's timer */
};

enum phase_do { PHASE_DO_NOTHING, PHASE_DO_DELAY, PHASE_DO_DRAIN,
		PHASE_DO_IGNORE };

/* What ev does in phase p, for a worker whose delay is delay_ms. */
enum phase_do phase_decide(enum phase p, enum phase_event ev, long delay_ms);

#endif
