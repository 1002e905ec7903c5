/* Unit tests of worker/request: what a connection keeps of a parsed head,
 * and how body bytes, Content-Length or chunked, are taken. */
#include <stdlib.h>
#include <string.h>

#include "../../worker/request.h"
#include "check.h"

static struct http_request parsed;

/* Parse head (whole) and begin a request with it. */
static enum request_step begin(struct request *r, const char *head,
			       int draining)
{
	size_t scan = 0;
	int n = http_parse_request(head, strlen(head), &scan, &parsed);

	CHECK(n == (int)strlen(head));
	memset(r, 0, sizeof *r);
	return request_begin(r, &parsed, draining, 42);
}

static void test_heads(void)
{
	struct request r;

	CHECK(begin(&r, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 0) ==
	      REQUEST_WHOLE);
	CHECK(r.keep_alive && !r.http10 && !r.head_only && !r.peer_closing);
	CHECK(strcmp(r.what, "GET /") == 0 && r.began == 42);
	CHECK(r.route.status == 200 && r.route.kind == ROUTE_TEXT);

	CHECK(begin(&r, "HEAD / HTTP/1.0\r\n\r\n", 0) == REQUEST_WHOLE);
	CHECK(!r.keep_alive && r.http10 && r.head_only && r.peer_closing);

	CHECK(begin(&r, "GET / HTTP/1.1\r\nHost: h\r\n"
		    "Connection: close\r\n\r\n", 0) == REQUEST_WHOLE);
	CHECK(r.peer_closing);

	/* a /sleep's client has had time to send more */
	CHECK(begin(&r, "GET /sleep?ms=5 HTTP/1.1\r\nHost: h\r\n"
		    "Connection: close\r\n\r\n", 0) == REQUEST_WHOLE);
	CHECK(r.route.kind == ROUTE_SLEEP && !r.peer_closing);

	CHECK(begin(&r, "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n", 1) ==
	      REQUEST_FAILED);
	CHECK(r.route.status == 503);

	CHECK(begin(&r, "GET /nowhere HTTP/1.1\r\nHost: h\r\n\r\n", 0) ==
	      REQUEST_FAILED);
	CHECK(r.route.status == 404);

	CHECK(begin(&r, "POST /echo HTTP/1.1\r\nHost: h\r\n"
		    "Content-Length: 1048577\r\n\r\n", 0) == REQUEST_FAILED);
	CHECK(r.route.status == 413 && !r.body);

	/* a long target is cut to fit the log */
	char head[256] = "GET /";
	memset(head + 5, 'a', 150);
	strcpy(head + 155, " HTTP/1.1\r\nHost: h\r\n\r\n");
	CHECK(begin(&r, head, 0) == REQUEST_FAILED);
	CHECK(strlen(r.what) == sizeof r.what - 1);

	request_malformed(&r, 400, 7);
	CHECK(strcmp(r.what, "(malformed)") == 0 && r.began == 7);
	CHECK(r.route.status == 400 && !r.head_only);
}

static void test_length_body(void)
{
	struct request r;
	size_t used;

	CHECK(begin(&r, "POST /echo HTTP/1.1\r\nHost: h\r\n"
		    "Content-Length: 5\r\n\r\n", 0) == REQUEST_BODY);
	CHECK(request_body(&r, "hel", 3, &used) == REQUEST_BODY && used == 3);
	CHECK(request_body(&r, "loGET", 5, &used) == REQUEST_WHOLE &&
	      used == 2);
	CHECK(r.body_len == 5 && memcmp(r.body, "hello", 5) == 0);
	CHECK(!r.peer_closing);
	request_free_body(&r);
	CHECK(!r.body);
}

static void test_chunked_body(void)
{
	struct request r;
	size_t used;
	const char *in = "5\r\nhello\r\n0\r\n\r\nGET";

	CHECK(begin(&r, "POST /echo HTTP/1.1\r\nHost: h\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n", 0) == REQUEST_BODY);
	CHECK(!r.body);		/* grows with what arrives */
	CHECK(request_body(&r, in, 4, &used) == REQUEST_BODY && used == 4);
	CHECK(request_body(&r, in + 4, strlen(in) - 4, &used) ==
	      REQUEST_WHOLE);
	CHECK(used == strlen(in) - 4 - 3);	/* "GET" is the next request */
	CHECK(r.body_len == 5 && memcmp(r.body, "hello", 5) == 0);
	CHECK(r.body_cap < HTTP_BODY_MAX);
	request_free_body(&r);

	CHECK(begin(&r, "POST /echo HTTP/1.1\r\nHost: h\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n", 0) == REQUEST_BODY);
	CHECK(request_body(&r, "zz\r\n", 4, &used) == REQUEST_FAILED);
	CHECK(r.route.status == 400);
	request_free_body(&r);

	CHECK(begin(&r, "POST /echo HTTP/1.1\r\nHost: h\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n", 0) == REQUEST_BODY);
	CHECK(request_body(&r, "100001\r\n", 8, &used) == REQUEST_FAILED);
	CHECK(r.route.status == 413);
	request_free_body(&r);

	/* chunks that add up to more than the limit: two of 512 KiB fill
	 * it, the third is too many */
	size_t half = HTTP_BODY_MAX / 2, piece = 7 + half + 2;
	char *data = malloc(piece);
	CHECK(data != NULL);
	CHECK(begin(&r, "POST /echo HTTP/1.1\r\nHost: h\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n", 0) == REQUEST_BODY);
	for (int i = 0; data && i < 3; i++) {
		memcpy(data, "80000\r\n", 7);
		memset(data + 7, 'x', half);
		memcpy(data + 7 + half, "\r\n", 2);
		enum request_step st = request_body(&r, data, piece, &used);
		CHECK(st == (i < 2 ? REQUEST_BODY : REQUEST_FAILED));
		CHECK(i < 2 ? used == piece : r.route.status == 413);
	}
	free(data);
	request_free_body(&r);
}

int main(void)
{
	test_heads();
	test_length_body();
	test_chunked_body();
	return check_done();
}
