/* response: the status line and headers of a response, built in one
 * buffer so that head and body leave in one write. */
#ifndef RESPONSE_H
#define RESPONSE_H

#include <stddef.h>

#define RESPONSE_HEAD_MAX 512
#define RESPONSE_FIXED_BODY_MAX 64

struct response {
	int status;
	size_t content_length;
	const char *allow;	/* the Allow field of a 405, or NULL */
	int close;		/* Connection: close */
	int keep_alive;		/* Connection: keep-alive (an HTTP/1.0 client) */
};

/* Writes the head into buf (RESPONSE_HEAD_MAX bytes); returns its length. */
size_t response_head(char *buf, const struct response *r);
/* The whole response, head and body (no body when head_only), for a body
 * of r->content_length bytes of at most RESPONSE_FIXED_BODY_MAX; it stays
 * valid until the next call.  NULL when the body is longer. */
const char *response_fixed(const struct response *r, const char *body,
			   int head_only, size_t *len);
const char *response_reason(int status);

#endif
