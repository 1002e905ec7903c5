/* linger: closing a connection's socket without a reset (RFC 9112 §9.6).
 * A close(2) with unread bytes in the socket sends an RST, and the peer
 * may then lose the answer it has not read yet.  So: half-close, then read
 * and discard until the peer's EOF (a lingering close) — or close at once
 * when the socket is known to hold nothing. */
#ifndef LINGER_H
#define LINGER_H

#define LINGER_MS 1000		/* the longest a lingering close waits */

/* The FIN: 0, or -1 (close at once then). */
int linger_start(int fd);
/* Read and discard: 0 when the socket is empty for now, -1 at EOF or on
 * an error (then close). */
int linger_discard(int fd);
/* The last check before a close(2) that unread bytes would turn into a
 * reset: 1 when the socket holds none, and lingering is needless. */
int linger_needless(int fd);

#endif
