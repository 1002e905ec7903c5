/* fate: what becomes of a connection once an answer is sent — kept for
 * the next request, closed at once, or closed lingering.  The one place
 * that decides it, for every answer; the connection (conn.c) acts on it. */
#ifndef FATE_H
#define FATE_H

enum fate {
	FATE_KEEP,	/* no Connection: close; the next request is read */
	FATE_CLOSE,	/* Connection: close, then close(2) at once */
	FATE_LINGER,	/* Connection: close, then a lingering close */
};

/* What is known when the answer is about to be built. */
struct fate_facts {
	unsigned keep_alive : 1;	/* the request allows another: HTTP/1.1
					   without close, HTTP/1.0 with
					   keep-alive */
	unsigned error : 1;		/* the answer is 4xx or 5xx */
	unsigned draining : 1;
	unsigned next_begun : 1;	/* bytes of a next request are held */
	unsigned peer_closing : 1;	/* it said close, and all it sent of
					   this request, body-less, is read */
	unsigned quiet : 1;		/* the socket was found empty, and no
					   event came since */
};

/* fate_decide follows this table, top row first:
 *
 *   keep_alive, no error, not draining              KEEP
 *   keep_alive, no error, draining, next begun      KEEP (SPEC drain steps
 *                                                   3-4: it is answered too)
 *   peer_closing, nothing held, quiet               CLOSE (RFC 9112 §9.6:
 *                                                   no reset to fear)
 *   anything else: not keep_alive, an error, a
 *   drain with nothing behind                       LINGER
 *
 * HEAD and pipelining play no part, but for the drain (next_begun);
 * HTTP/1.0 comes in through keep_alive. */
enum fate fate_decide(const struct fate_facts *f);

#endif
