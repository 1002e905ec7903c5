/* request: the route, body and answer facts of one request. */
#include "request.h"

#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

/* What the request is, kept for the log: method and target, cut to fit.
 * Two copies, no formatting: it runs for every request. */
static void request_remember(struct request *r, const struct http_request *req,
			     uint64_t now)
{
	size_t m = req->method_len < 16 ? req->method_len : 16;
	size_t room = sizeof r->what - m - 2;
	size_t t = req->target_len < room ? req->target_len : room;

	memcpy(r->what, req->method_str, m);
	r->what[m] = ' ';
	memcpy(r->what + m + 1, req->target, t);
	r->what[m + 1 + t] = '\0';
	r->began = now;
}

void request_fail(struct request *r, int status)
{
	router_error(&r->route, status);
}

void request_malformed(struct request *r, int status, uint64_t now)
{
	r->head_only = 0;	/* nothing parsed: not a HEAD */
	memcpy(r->what, "(malformed)", sizeof "(malformed)");
	r->began = now;
	request_fail(r, status);
}

enum request_step request_begin(struct request *r,
				const struct http_request *req, int draining,
				uint64_t now)
{
	r->keep_alive = req->keep_alive;
	r->http10 = req->minor_version == 0;
	r->head_only = req->method == HTTP_HEAD;
	r->peer_closing = 0;
	log_debug("request: %.*s %.*s", (int)req->method_len, req->method_str,
		  (int)req->target_len, req->target);
	request_remember(r, req, now);
	router_route(req, draining, &r->route);
	if (req->content_length > HTTP_BODY_MAX) {
		request_fail(r, 413);
		return REQUEST_FAILED;
	}
	if (r->route.status >= 400)
		return REQUEST_FAILED;	/* the lingering close eats any body */
	r->chunked = req->chunked;
	r->body_len = 0;
	r->body_need = req->content_length > 0 ?
		       (size_t)req->content_length : 0;
	if (!r->chunked && r->body_need == 0) {
		/* A /sleep's client has had time to send more. */
		r->peer_closing = !r->keep_alive &&
				  r->route.kind != ROUTE_SLEEP;
		return REQUEST_WHOLE;
	}
	/* A chunked body has no length up front: its buffer grows with
	 * what arrives (request_reserve), not the 1 MiB limit at once. */
	r->body = r->chunked ? NULL : malloc(r->body_need);
	r->body_cap = r->chunked ? 0 : r->body_need;
	if (!r->chunked && !r->body) {
		request_fail(r, 503);
		return REQUEST_FAILED;
	}
	memset(&r->dechunk, 0, sizeof r->dechunk);
	return REQUEST_BODY;
}

/* Room for need bytes of chunked body: the decoder never writes more
 * than the input it is given, and never past HTTP_BODY_MAX (then 413). */
static int request_reserve(struct request *r, size_t need)
{
	size_t cap = r->body_cap ? r->body_cap : 4096;
	char *body;

	if (need > HTTP_BODY_MAX)
		need = HTTP_BODY_MAX;
	if (r->body && r->body_cap >= need)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > HTTP_BODY_MAX)
		cap = HTTP_BODY_MAX;
	if (!(body = realloc(r->body, cap)))
		return -1;
	r->body = body;
	r->body_cap = cap;
	return 0;
}

static enum request_step request_chunks(struct request *r, const char *in,
					size_t len, size_t *used)
{
	long n;

	if (request_reserve(r, r->body_len + len) < 0) {
		request_fail(r, 503);
		return REQUEST_FAILED;
	}
	n = http_chunked_decode(&r->dechunk, in, len, r->body, HTTP_BODY_MAX);
	if (n < 0) {
		request_fail(r, r->dechunk.status);
		return REQUEST_FAILED;
	}
	*used = (size_t)n;
	r->body_len = r->dechunk.body_len;
	return r->dechunk.state == CHUNK_DONE ? REQUEST_WHOLE : REQUEST_BODY;
}

enum request_step request_body(struct request *r, const char *in,
			       size_t len, size_t *used)
{
	size_t n = r->body_need - r->body_len;

	*used = 0;
	if (r->chunked)
		return request_chunks(r, in, len, used);
	if (n > len)
		n = len;
	memcpy(r->body + r->body_len, in, n);
	r->body_len += n;
	*used = n;
	return r->body_len == r->body_need ? REQUEST_WHOLE : REQUEST_BODY;
}

void request_free_body(struct request *r)
{
	free(r->body);
	r->body = NULL;
}
