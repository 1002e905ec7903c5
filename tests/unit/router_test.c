/* Unit tests of worker/router: which status and answer each request gets. */
#include <stdio.h>
#include <string.h>

#include "../../worker/router.h"

static int passed, failed;

struct rcase {
	enum http_method method;
	const char *target;
	int draining;
	int status;
	enum route_kind kind;
	const char *text;	/* NULL: not checked */
	const char *allow;
};

static const struct rcase cases[] = {
	{ HTTP_GET, "/", 0, 200, ROUTE_TEXT, "Hello World\n", NULL },
	{ HTTP_HEAD, "/", 0, 200, ROUTE_TEXT, "Hello World\n", NULL },
	{ HTTP_GET, "http://h:1/", 0, 200, ROUTE_TEXT, "Hello World\n", NULL },
	{ HTTP_GET, "HTTPS://h", 0, 200, ROUTE_TEXT, "Hello World\n", NULL },
	{ HTTP_GET, "/?x=1", 0, 200, ROUTE_TEXT, "Hello World\n", NULL },
	{ HTTP_GET, "/healthz", 0, 200, ROUTE_TEXT, "ok\n", NULL },
	{ HTTP_GET, "/healthz", 1, 503, ROUTE_TEXT, NULL, NULL },
	{ HTTP_GET, "/event?delay=7", 0, 200, ROUTE_EVENT, "Hello World 7\n", NULL },
	{ HTTP_GET, "/event?a=b&delay=0", 0, 200, ROUTE_EVENT, "Hello World 0\n", NULL },
	{ HTTP_GET, "/event", 0, 200, ROUTE_EVENT, NULL, NULL },
	{ HTTP_GET, "/event?delay=x", 0, 400, ROUTE_TEXT, NULL, NULL },
	{ HTTP_GET, "/event?delay=86401", 0, 400, ROUTE_TEXT, NULL, NULL },
	{ HTTP_GET, "/sleep?ms=250", 0, 200, ROUTE_SLEEP, "slept 250 ms\n", NULL },
	{ HTTP_GET, "/sleep?ms=60000", 0, 200, ROUTE_SLEEP, NULL, NULL },
	{ HTTP_GET, "/sleep?ms=60001", 0, 400, ROUTE_TEXT, NULL, NULL },
	{ HTTP_GET, "/sleep", 0, 400, ROUTE_TEXT, NULL, NULL },
	{ HTTP_GET, "/sleep?ms=", 0, 400, ROUTE_TEXT, NULL, NULL },
	{ HTTP_GET, "/sleep?msec=1", 0, 400, ROUTE_TEXT, NULL, NULL },
	{ HTTP_POST, "/echo", 0, 200, ROUTE_ECHO, NULL, NULL },
	{ HTTP_GET, "/echo", 0, 405, ROUTE_TEXT, NULL, "POST" },
	{ HTTP_POST, "/", 0, 405, ROUTE_TEXT, NULL, "GET, HEAD" },
	{ HTTP_DELETE, "/sleep?ms=1", 0, 405, ROUTE_TEXT, NULL, "GET, HEAD" },
	{ HTTP_GET, "/nowhere", 0, 404, ROUTE_TEXT, "Not Found\n", NULL },
	{ HTTP_GET, "/healthz/", 0, 404, ROUTE_TEXT, NULL, NULL },
	{ HTTP_OPTIONS, "*", 0, 404, ROUTE_TEXT, NULL, NULL },
	{ HTTP_CONNECT, "h:443", 0, 404, ROUTE_TEXT, NULL, NULL },
	{ HTTP_UNKNOWN, "/", 0, 501, ROUTE_TEXT, "Not Implemented\n", NULL },
};

int main(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct rcase *c = &cases[i];
		struct http_request req = { .method = c->method };
		struct route r;

		req.target = c->target;
		req.target_len = strlen(c->target);
		router_route(&req, c->draining, &r);
		int ok = r.status == c->status && r.kind == c->kind &&
			 (!c->text || (r.text_len == strlen(c->text) &&
				       memcmp(r.text, c->text, r.text_len) == 0)) &&
			 (c->allow ? r.allow && strcmp(r.allow, c->allow) == 0
				   : r.allow == NULL);
		if (ok) {
			passed++;
		} else {
			failed++;
			printf("FAIL %s (%d): status %d kind %d text %.*s\n",
			       c->target, c->method, r.status, r.kind,
			       (int)r.text_len, r.text);
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
