/* router: which endpoint a request names, and what it answers. */
#include "router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "response.h"

enum endpoint { EP_NONE, EP_ROOT, EP_EVENT, EP_SLEEP, EP_HEALTHZ, EP_ECHO };

static const struct {
	const char *path;
	enum endpoint ep;
} router_paths[] = {
	{ "/", EP_ROOT }, { "/event", EP_EVENT }, { "/sleep", EP_SLEEP },
	{ "/healthz", EP_HEALTHZ }, { "/echo", EP_ECHO },
};

static void route_text(struct route *r, int status, const char *text)
{
	r->kind = ROUTE_TEXT;
	r->status = status;
	r->text_len = (size_t)snprintf(r->text, sizeof r->text, "%s", text);
}

void router_error(struct route *r, int status)
{
	r->kind = ROUTE_TEXT;
	r->status = status;
	r->allow = NULL;	/* a 413 for a routed PUT is no 405 */
	r->text_len = (size_t)snprintf(r->text, sizeof r->text, "%s\n",
				       response_reason(status));
}

/* The path of an origin-form or absolute-form target (RFC 9112 §3.2.1,
 * §3.2.2), up to the query; *query gets what follows '?', or NULL. */
static void split_target(const char *t, size_t len, const char **path,
			 size_t *path_len, const char **query, size_t *qlen)
{
	const char *end = t + len, *q;

	if (len > 7 && (strncasecmp(t, "http://", 7) == 0 ||
			strncasecmp(t, "https://", 8) == 0)) {
		const char *p = (const char *)memchr(t, ':', len) + 3;
		while (p < end && *p != '/' && *p != '?')
			p++;
		t = p;
	}
	q = memchr(t, '?', (size_t)(end - t));
	*path = t;
	*path_len = (size_t)((q ? q : end) - t);
	if (*path_len == 0)
		*path = "/", *path_len = 1;	/* "http://host?x" */
	*query = q ? q + 1 : NULL;
	*qlen = q ? (size_t)(end - q - 1) : 0;
}

/* The decimal value of parameter `name` in [0, max]: 1, 0 when the
 * parameter is absent, -1 when it is not such a number. */
static int query_long(const char *q, size_t qlen, const char *name,
		      long max, long *out)
{
	size_t nlen = strlen(name);
	const char *end;

	if (!q)
		return 0;
	for (end = q + qlen; q < end;) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		const char *e = amp ? amp : end;
		if ((size_t)(e - q) > nlen && memcmp(q, name, nlen) == 0 &&
		    q[nlen] == '=') {
			long v = 0;
			const char *p = q + nlen + 1;
			if (p == e)
				return -1;
			for (; p < e; p++) {
				if (*p < '0' || *p > '9')
					return -1;
				v = v * 10 + (*p - '0');
				if (v > max)
					return -1;
			}
			*out = v;
			return 1;
		}
		q = amp ? amp + 1 : end;
	}
	return 0;
}

static enum endpoint router_find(const char *path, size_t len)
{
	for (size_t i = 0; i < sizeof router_paths / sizeof *router_paths; i++)
		if (strlen(router_paths[i].path) == len &&
		    memcmp(router_paths[i].path, path, len) == 0)
			return router_paths[i].ep;
	return EP_NONE;
}

static void route_get(enum endpoint ep, const char *q, size_t qlen,
		      int draining, struct route *r)
{
	long v = 0;
	int found;

	switch (ep) {
	case EP_ROOT:
		route_text(r, 200, "Hello World\n");
		break;
	case EP_HEALTHZ:
		route_text(r, draining ? 503 : 200,
			   draining ? "draining\n" : "ok\n");
		break;
	case EP_SLEEP:
		if (query_long(q, qlen, "ms", ROUTER_SLEEP_MAX_MS, &v) != 1) {
			router_error(r, 400);
			break;
		}
		r->kind = ROUTE_SLEEP;
		r->status = 200;
		r->arg = v;
		router_slept(r);
		break;
	case EP_EVENT:
		found = query_long(q, qlen, "delay", ROUTER_EVENT_MAX_S, &v);
		if (found < 0) {
			router_error(r, 400);
			break;
		}
		if (!found)
			v = random() % ROUTER_EVENT_RANDOM_S;
		r->kind = ROUTE_EVENT;
		r->status = 200;
		r->arg = v;
		r->text_len = (size_t)snprintf(r->text, sizeof r->text,
					       "Hello World %ld\n", v);
		break;
	default:
		router_error(r, 404);
	}
}

void router_slept(struct route *r)
{
	r->text_len = (size_t)snprintf(r->text, sizeof r->text,
				       "slept %ld ms\n", r->arg);
}

void router_route(const struct http_request *req, int draining,
		  struct route *r)
{
	const char *path, *q;
	size_t plen, qlen;
	enum endpoint ep;

	r->allow = NULL;
	r->arg = 0;
	if (req->method == HTTP_UNKNOWN) {
		router_error(r, 501);
		return;
	}
	split_target(req->target, req->target_len, &path, &plen, &q, &qlen);
	ep = router_find(path, plen);
	if (ep == EP_NONE) {
		router_error(r, 404);
	} else if (ep == EP_ECHO) {
		if (req->method == HTTP_POST) {
			r->kind = ROUTE_ECHO;
			r->status = 200;
		} else {
			router_error(r, 405);
			r->allow = "POST";
		}
	} else if (req->method == HTTP_GET || req->method == HTTP_HEAD) {
		route_get(ep, q, qlen, draining, r);
	} else {
		router_error(r, 405);
		r->allow = "GET, HEAD";
	}
}
