/* request: what a connection keeps of the request it handles — its route,
 * its body, and what its answer must say — taken from the parsed head and
 * from the body bytes that follow it. */
#ifndef REQUEST_H
#define REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "http_parse.h"
#include "router.h"

enum request_step {
	REQUEST_FAILED,		/* answer the error in `route` now */
	REQUEST_WHOLE,		/* head and body are in: serve it */
	REQUEST_BODY,		/* body bytes are still to come */
};

struct request {
	char what[64];		/* "GET /sleep?ms=5", for the log */
	uint64_t began;		/* loop time (ms) its head was parsed */
	struct route route;
	unsigned keep_alive : 1;
	unsigned http10 : 1;
	unsigned head_only : 1;
	unsigned peer_closing : 1;	/* it said close, has no body, and
					   is answered as soon as it is read */
	int chunked;
	struct http_chunked dechunk;
	char *body;
	size_t body_len, body_need, body_cap;
};

/* A head parsed at loop time now.  The router sees `draining`. */
enum request_step request_begin(struct request *r,
				const struct http_request *req, int draining,
				uint64_t now);
/* A head that did not parse: its error status is answered. */
void request_malformed(struct request *r, int status, uint64_t now);
/* Body bytes in[0..len); *used says how many belong to it (the rest is
 * the next request). */
enum request_step request_body(struct request *r, const char *in,
			       size_t len, size_t *used);
/* Answer status instead (408, 503); a HEAD request still gets no body. */
void request_fail(struct request *r, int status);
void request_free_body(struct request *r);

#endif
