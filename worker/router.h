/* router: which endpoint a request names, and what it answers. */
#ifndef ROUTER_H
#define ROUTER_H

#include <stddef.h>

#include "http_parse.h"

#define ROUTER_SLEEP_MAX_MS 60000L
#define ROUTER_EVENT_MAX_S 86400L
#define ROUTER_EVENT_RANDOM_S 20	/* no delay given: 0..19 s, as the seed */

enum route_kind {
	ROUTE_TEXT,		/* answer `text` now */
	ROUTE_ECHO,		/* answer the request body */
	ROUTE_SLEEP,		/* answer after `arg` ms */
	ROUTE_EVENT,		/* answer `text` now, log an event in `arg` s */
};

struct route {
	enum route_kind kind;
	int status;
	const char *allow;
	long arg;
	size_t text_len;
	char text[64];
};

void router_route(const struct http_request *req, int draining,
		  struct route *r);

/* An error answer: status and its reason as the text. */
void router_error(struct route *r, int status);

/* The body of a "slept N ms" answer, for when the sleep is over. */
void router_slept(struct route *r);

#endif
