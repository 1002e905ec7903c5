/* Unit tests of worker/http_parse: every valid shape, every bad-input
 * class, every split of every valid input, chunked bodies, limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../worker/http_parse.h"

static int passed, failed;

#define CHECK(cond, ...)                                                  \
	do {                                                              \
		if (cond) {                                               \
			passed++;                                         \
		} else {                                                  \
			failed++;                                         \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);       \
			printf(__VA_ARGS__);                              \
			printf("\n");                                     \
		}                                                         \
	} while (0)

struct valid {
	const char *raw;
	enum http_method method;
	const char *target;
	int minor;
	size_t headers;
	long content_length;
	int chunked, keep_alive, expect_continue;
	size_t tail;		/* bytes after the head (a body, a next request) */
};

static const struct valid valid[] = {
	{ "GET / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_GET, "/", 1, 1, -1, 0, 1, 0, 0 },
	{ "GET / HTTP/1.0\r\n\r\n", HTTP_GET, "/", 0, 0, -1, 0, 0, 0, 0 },
	{ "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", HTTP_GET, "/", 0, 1, -1, 0, 1, 0, 0 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n", HTTP_GET, "/", 1, 2, -1, 0, 0, 0, 0 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade, close\r\n\r\n", HTTP_GET, "/", 1, 2, -1, 0, 0, 0, 0 },
	{ "\r\n\r\nGET /x?y=1 HTTP/1.1\r\nhost:a\r\n\r\n", HTTP_GET, "/x?y=1", 1, 1, -1, 0, 1, 0, 0 },
	{ "HEAD /healthz HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_HEAD, "/healthz", 1, 1, -1, 0, 1, 0, 0 },
	{ "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", HTTP_POST, "/echo", 1, 2, 5, 0, 1, 0, 5 },
	{ "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", HTTP_POST, "/echo", 1, 3, 5, 0, 1, 0, 0 },
	{ "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", HTTP_POST, "/echo", 1, 2, -1, 1, 1, 0, 5 },
	{ "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n", HTTP_POST, "/echo", 1, 3, 1, 0, 1, 1, 0 },
	{ "GET http://example.com:8080/a?b HTTP/1.1\r\nHost: example.com\r\n\r\n", HTTP_GET, "http://example.com:8080/a?b", 1, 1, -1, 0, 1, 0, 0 },
	{ "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_OPTIONS, "*", 1, 1, -1, 0, 1, 0, 0 },
	{ "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", HTTP_CONNECT, "a.example:443", 1, 1, -1, 0, 1, 0, 0 },
	{ "BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_UNKNOWN, "/pot", 1, 1, -1, 0, 1, 0, 0 },
	{ "DELETE / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Tab:\t v \t\r\n\r\n", HTTP_DELETE, "/", 1, 3, -1, 0, 1, 0, 0 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX-Utf8: D\xc3\xbcsseldorf\r\n\r\nGET / HTTP/1.1\r\n", HTTP_GET, "/", 1, 2, -1, 0, 1, 0, 16 },
	{ "PATCH / HTTP/1.1\r\nHost: a\r\nContent-Length: 003\r\n\r\nabc", HTTP_PATCH, "/", 1, 2, 3, 0, 1, 0, 3 },
	{ "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", HTTP_GET, "/", 1, 1, -1, 0, 1, 0, 0 },
	{ "GET / HTTP/1.1\r\nHost: a-b.c_d~e%41:80\r\n\r\n", HTTP_GET, "/", 1, 1, -1, 0, 1, 0, 0 },
	{ "GET / HTTP/1.1\r\nHost:\r\n\r\n", HTTP_GET, "/", 1, 1, -1, 0, 1, 0, 0 },
	{ "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", HTTP_POST, "/echo", 1, 4, 1, 0, 1, 1, 0 },
};

static int parse_all(const char *raw, size_t len, struct http_request *req)
{
	size_t scan = 0;

	return http_parse_request(raw, len, &scan, req);
}

static void same_request(const struct valid *v, const struct http_request *r,
			 int got, size_t len)
{
	CHECK(got == (int)(len - v->tail), "%s: consumed %d", v->raw, got);
	if (got < 0)
		return;
	CHECK(r->method == v->method, "%s: method", v->raw);
	CHECK(r->target_len == strlen(v->target) &&
	      memcmp(r->target, v->target, r->target_len) == 0,
	      "%s: target %.*s", v->raw, (int)r->target_len, r->target);
	CHECK(r->minor_version == v->minor, "%s: minor", v->raw);
	CHECK(r->num_headers == v->headers, "%s: %zu headers", v->raw,
	      r->num_headers);
	CHECK(r->content_length == v->content_length, "%s: CL", v->raw);
	CHECK(r->chunked == v->chunked, "%s: chunked", v->raw);
	CHECK(r->keep_alive == v->keep_alive, "%s: keep-alive", v->raw);
	CHECK(r->expect_continue == v->expect_continue, "%s: expect", v->raw);
}

static void test_valid(void)
{
	static struct http_request req;

	for (size_t i = 0; i < sizeof valid / sizeof *valid; i++) {
		const struct valid *v = &valid[i];
		size_t len = strlen(v->raw), head = len - v->tail, scan = 0;

		same_request(v, &req, parse_all(v->raw, len, &req), len);
		/* Every split: a prefix is incomplete, never an error. */
		for (size_t k = 0; k < head; k++) {
			int r = parse_all(v->raw, k, &req);
			CHECK(r == HTTP_INCOMPLETE, "%s: prefix %zu gave %d",
			      v->raw, k, r);
		}
		/* Resumed byte by byte with one scan position, as a
		 * connection feeds it. */
		for (size_t k = 1; k < head; k++)
			CHECK(http_parse_request(v->raw, k, &scan, &req) ==
			      HTTP_INCOMPLETE, "%s: resumed at %zu", v->raw, k);
		same_request(v, &req, http_parse_request(v->raw, len, &scan,
							 &req), len);
	}
	const struct http_header *h;
	parse_all(valid[15].raw, strlen(valid[15].raw), &req);
	h = http_find_header(&req, "x-tab");
	CHECK(h && h->value_len == 1 && h->value[0] == 'v', "OWS trimmed");
	h = http_find_header(&req, "X-EMPTY");
	CHECK(h && h->value_len == 0, "empty value");
}

struct bad {
	const char *what, *raw;
	int status;
};

static const struct bad bad[] = {
	{ "no Host in 1.1", "GET / HTTP/1.1\r\n\r\n", 400 },
	{ "two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
	{ "bare LF ends request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400 },
	{ "bare LF ends field", "GET / HTTP/1.1\r\nHost: a\n\r\n", 400 },
	{ "bare LF first", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "bare CR in value", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400 },
	{ "bare CR in line", "GET / HTTP/1.1\r\nFoo: 1\rBar: 2\r\nHost: a\r\n\r\n", 400 },
	{ "bare CR leading", "\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", 400 },
	{ "space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400 },
	{ "empty name", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", 400 },
	{ "no colon", "GET / HTTP/1.1\r\nHost: a\r\nfoo\r\n\r\n", 400 },
	{ "CTL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: \x0c\r\n\r\n", 400 },
	{ "DEL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", 400 },
	{ "NUL in name", "GET / HTTP/1.1\r\nHost: a\r\nX\x01Y: b\r\n\r\n", 400 },
	{ "two spaces", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "trailing space", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400 },
	{ "no version", "GET /\r\n\r\n", 400 },
	{ "lower-case version", "GET / http/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "version junk", "GET / HTTP/1.1x\r\nHost: a\r\n\r\n", 400 },
	{ "RTSP", "OPTIONS / RTSP/1.0\r\n\r\n", 400 },
	{ "HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505 },
	{ "HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", 505 },
	{ "control in target", "GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "non-ASCII target", "GET /\xc3\xbc HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "non-token method", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "CL and TE", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
	{ "conflicting CL", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400 },
	{ "CL list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\n", 400 },
	{ "non-numeric CL", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4 2\r\n\r\n", 400 },
	{ "negative CL", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400 },
	{ "empty CL", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400 },
	{ "overflowing CL", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000000000000000000\r\n\r\n", 400 },
	{ "unknown TE", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: pigeons\r\n\r\n", 501 },
	{ "gzip, chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501 },
	{ "chunked not last", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400 },
	{ "chunked twice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
	{ "empty TE", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", 400 },
	{ "TE in 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
	{ "Expect other", "GET / HTTP/1.1\r\nHost: a\r\nExpect: the-unexpected\r\n\r\n", 417 },
	/* Expect's field lines form one list (RFC 9110 §5.3), in any order. */
	{ "Expect other, then 100-continue", "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: foo\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", 417 },
	{ "Expect 100-continue, then other", "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nExpect: foo\r\nContent-Length: 1\r\n\r\n", 417 },
	{ "Expect list with other", "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, foo\r\nContent-Length: 1\r\n\r\n", 417 },
	/* Host = uri-host [ ":" port ] (RFC 9112 §3.2). */
	{ "Host with space, slash, @", "GET / HTTP/1.1\r\nHost: a b/c@d\r\n\r\n", 400 },
	{ "Host with a bad port", "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", 400 },
	{ "Host, unclosed IP-literal", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400 },
	/* Origin-form, absolute-form with a host, "*" for OPTIONS only. */
	{ "target without /", "GET foo HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "absolute-form without host", "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "target with fragment", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "asterisk for GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
};

static void test_bad(void)
{
	static struct http_request req;

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		const struct bad *b = &bad[i];
		size_t len = strlen(b->raw);
		int r = parse_all(b->raw, len, &req);
		CHECK(r == HTTP_ERROR && req.status == b->status,
		      "%s: got %d status %d", b->what, r, req.status);
		/* No prefix of a bad request is ever a good one. */
		for (size_t k = 0; k < len; k++) {
			r = parse_all(b->raw, k, &req);
			CHECK(r == HTTP_INCOMPLETE ||
			      (r == HTTP_ERROR && req.status == b->status),
			      "%s: prefix %zu gave %d", b->what, k, r);
		}
	}
}

static void test_limits(void)
{
	static struct http_request req;
	static char buf[3 * HTTP_HEAD_MAX];
	size_t n;

	/* A target of exactly the limit is fine; one more byte is 414. */
	for (int extra = 0; extra <= 1; extra++) {
		n = (size_t)sprintf(buf, "GET /");
		memset(buf + n, 'a', HTTP_TARGET_MAX - 1 + (size_t)extra);
		n += HTTP_TARGET_MAX - 1 + (size_t)extra;
		n += (size_t)sprintf(buf + n, " HTTP/1.1\r\nHost: a\r\n\r\n");
		int r = parse_all(buf, n, &req);
		CHECK(extra ? r == HTTP_ERROR && req.status == 414 : r > 0,
		      "target of limit%+d: %d", extra, r);
	}
	/* An endless request line is 414 before the buffer fills. */
	memset(buf, 'a', sizeof buf);
	memcpy(buf, "GET /", 5);
	CHECK(parse_all(buf, HTTP_HEAD_MAX, &req) == HTTP_ERROR &&
	      req.status == 414, "endless target");
	/* Header section: 8 KiB of fields is 431, complete or not. */
	n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
	memset(buf + n, 'b', HTTP_FIELDS_MAX);
	n += HTTP_FIELDS_MAX;
	CHECK(parse_all(buf, n, &req) == HTTP_ERROR && req.status == 431,
	      "endless fields");
	n += (size_t)sprintf(buf + n, "\r\n\r\n");
	CHECK(parse_all(buf, n, &req) == HTTP_ERROR && req.status == 431,
	      "big fields");
	/* Too many field lines. */
	n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 0; i < HTTP_HEADERS_MAX; i++)
		n += (size_t)sprintf(buf + n, "X%d: y\r\n", i);
	n += (size_t)sprintf(buf + n, "\r\n");
	CHECK(parse_all(buf, n, &req) == HTTP_ERROR && req.status == 431,
	      "too many fields");
	/* Endless empty lines before a request are not a way to stall. */
	for (n = 0; n < HTTP_FIELDS_MAX + 4; n += 2)
		memcpy(buf + n, "\r\n", 2);
	CHECK(parse_all(buf, n, &req) == HTTP_ERROR, "endless empty lines");
}

struct chunked_case {
	const char *what, *raw, *body;
	size_t tail;		/* bytes after the body left unused */
	int status;		/* 0: valid */
};

static const struct chunked_case chunked[] = {
	{ "one chunk", "5\r\nhello\r\n0\r\n\r\n", "hello", 0, 0 },
	{ "two chunks, upper hex", "A\r\n0123456789\r\n1\r\n!\r\n000\r\n\r\n", "0123456789!", 0, 0 },
	{ "extensions", "5;a=b;c;d=\"q \\\" ;\"\r\nhello\r\n0;last\r\n\r\n", "hello", 0, 0 },
	{ "trailers", "5\r\nhello\r\n0\r\nVary: *\r\nX-T: 1\r\n\r\n", "hello", 0, 0 },
	{ "then a next request", "1\r\na\r\n0\r\n\r\nGET / HTTP/1.1\r\n", "a", 16, 0 },
	{ "empty", "0\r\n\r\n", "", 0, 0 },
	{ "space after size", "5 \r\nhello\r\n0\r\n\r\n", NULL, 0, 400 },
	{ "junk after size", "2 erf\r\naa\r\n0\r\n\r\n", NULL, 0, 400 },
	{ "empty extension", "2;\r\naa\r\n0\r\n\r\n", NULL, 0, 400 },
	{ "open quote", "2;a=\"b\r\naa\r\n0\r\n\r\n", NULL, 0, 400 },
	{ "no size", "\r\nhello\r\n0\r\n\r\n", NULL, 0, 400 },
	{ "data too long", "3\r\nfoo\r\n\r\n", NULL, 0, 400 },
	{ "data without CRLF", "5\r\nABCDE0\r\n\r\n", NULL, 0, 400 },
	{ "bare LF after size", "5\nhello\r\n0\r\n\r\n", NULL, 0, 400 },
	{ "bare CR after size", "5\r\rhello\r\n0\r\n\r\n", NULL, 0, 400 },
	{ "non-hex", "g\r\n", NULL, 0, 400 },
	{ "overflow", "1000000000000000000\r\n", NULL, 0, 400 },
	{ "too big", "100001\r\n", NULL, 0, 413 },
	{ "trailer obs-fold", "0\r\nA: b\r\n c\r\n\r\n", NULL, 0, 400 },
	{ "trailer without colon", "0\r\nAb\r\n\r\n", NULL, 0, 400 },
	{ "trailer bare LF", "0\r\nA: b\n\r\n", NULL, 0, 400 },
};

/* Feeds raw in two pieces split at k; returns the decode result. */
static long decode_split(const struct chunked_case *c, size_t k, char *out,
			 struct http_chunked *d)
{
	size_t len = strlen(c->raw);
	long a, b;

	memset(d, 0, sizeof *d);
	a = http_chunked_decode(d, c->raw, k, out, HTTP_BODY_MAX);
	if (a < 0)
		return a;
	if (d->state == CHUNK_DONE)
		return a;
	CHECK((size_t)a == k, "%s: split %zu used %ld", c->what, k, a);
	b = http_chunked_decode(d, c->raw + k, len - k, out, HTTP_BODY_MAX);
	return b < 0 ? b : a + b;
}

static void test_chunked(void)
{
	static char out[HTTP_BODY_MAX];

	for (size_t i = 0; i < sizeof chunked / sizeof *chunked; i++) {
		const struct chunked_case *c = &chunked[i];
		size_t len = strlen(c->raw);
		for (size_t k = 0; k <= len; k++) {
			struct http_chunked d;
			long r = decode_split(c, k, out, &d);
			if (c->status) {
				CHECK(r == HTTP_ERROR && d.status == c->status,
				      "%s: split %zu: %ld status %d", c->what,
				      k, r, d.status);
				continue;
			}
			CHECK(r == (long)(len - c->tail) &&
			      d.state == CHUNK_DONE &&
			      d.body_len == strlen(c->body) &&
			      memcmp(out, c->body, d.body_len) == 0,
			      "%s: split %zu: %ld", c->what, k, r);
		}
	}
	/* Byte by byte, as the slowest client sends it. */
	struct http_chunked d = { 0 };
	const char *raw = chunked[3].raw;
	for (size_t i = 0; raw[i]; i++)
		CHECK(http_chunked_decode(&d, raw + i, 1, out, 16) == 1,
		      "byte %zu", i);
	CHECK(d.state == CHUNK_DONE && d.body_len == 5, "byte by byte");
	/* The body limit counts across chunks. */
	memset(&d, 0, sizeof d);
	CHECK(http_chunked_decode(&d, "3\r\nabc\r\n3\r\n", 11, out, 5) ==
	      HTTP_ERROR && d.status == 413, "limit across chunks");
}

int main(void)
{
	test_valid();
	test_bad();
	test_limits();
	test_chunked();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
