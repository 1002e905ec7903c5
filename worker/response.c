/* response: a response's head, and the cache of fixed answers. */
#include "response.h"

#include <string.h>
#include <time.h>

#define DATE_LEN (sizeof "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n" - 1)

static struct {
	time_t second;
	char line[DATE_LEN + 1];
} date_cache = { (time_t)-1, "" };

/* The Date field is formatted once a second, not per response.  Returns
 * the second the field shows. */
static time_t response_clock(void)
{
	time_t now = time(NULL);
	struct tm tm;

	if (now != date_cache.second && gmtime_r(&now, &tm)) {
		strftime(date_cache.line, sizeof date_cache.line,
			 "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
		date_cache.second = now;
	}
	return date_cache.second;
}

const char *response_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 417: return "Expectation Failed";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

static char *put(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

static char *put_uint(char *p, size_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

size_t response_head(char *buf, const struct response *r)
{
	char *p = buf;

	p = put(p, "HTTP/1.1 ");
	p = put_uint(p, (size_t)r->status);
	*p++ = ' ';
	p = put(p, response_reason(r->status));
	p = put(p, "\r\n");
	response_clock();
	p = put(p, date_cache.line);
	p = put(p, "Content-Type: text/plain; charset=utf-8\r\n"
		   "Content-Length: ");
	p = put_uint(p, r->content_length);
	p = put(p, "\r\n");
	if (r->allow) {
		p = put(p, "Allow: ");
		p = put(p, r->allow);
		p = put(p, "\r\n");
	}
	/* A 503 is a bound reached (--max-events) or memory short: worth
	 * another try soon (RFC 9110 §10.2.3). */
	if (r->status == 503)
		p = put(p, "Retry-After: 1\r\n");
	if (r->close)
		p = put(p, "Connection: close\r\n");
	else if (r->keep_alive)
		p = put(p, "Connection: keep-alive\r\n");
	p = put(p, "\r\n");
	return (size_t)(p - buf);
}

/* Every answer but /echo is one of a few, repeated byte for byte within a
 * second: each is built once a second here and sent from here. */
#define FIXED_SLOTS 8

struct fixed {
	time_t second;		/* of its Date; 0: never built */
	struct response r;
	int head_only;
	char body[RESPONSE_FIXED_BODY_MAX];
	size_t len;
	char bytes[RESPONSE_HEAD_MAX + RESPONSE_FIXED_BODY_MAX];
};

static struct fixed fixed_cache[FIXED_SLOTS];
static unsigned fixed_next;	/* the slot to build next */

/* r->allow is one of the router's constant strings: its address names it. */
static int fixed_matches(const struct fixed *f, time_t second,
			 const struct response *r, const char *body,
			 int head_only)
{
	return f->second == second && f->r.status == r->status &&
	       f->r.content_length == r->content_length &&
	       f->r.close == r->close && f->r.keep_alive == r->keep_alive &&
	       f->r.allow == r->allow && f->head_only == head_only &&
	       memcmp(f->body, body, r->content_length) == 0;
}

static void fixed_build(struct fixed *f, time_t second,
			const struct response *r, const char *body,
			int head_only)
{
	f->second = second;
	f->r = *r;
	f->head_only = head_only;
	memcpy(f->body, body, r->content_length);
	f->len = response_head(f->bytes, r);
	if (!head_only) {
		memcpy(f->bytes + f->len, body, r->content_length);
		f->len += r->content_length;
	}
}

const char *response_fixed(const struct response *r, const char *body,
			   int head_only, size_t *len)
{
	time_t second = response_clock();
	struct fixed *f;

	if (r->content_length > RESPONSE_FIXED_BODY_MAX)
		return NULL;
	for (f = fixed_cache; f < fixed_cache + FIXED_SLOTS; f++)
		if (fixed_matches(f, second, r, body, head_only))
			break;
	if (f == fixed_cache + FIXED_SLOTS) {
		f = &fixed_cache[fixed_next++ % FIXED_SLOTS];
		fixed_build(f, second, r, body, head_only);
	}
	*len = f->len;
	return f->bytes;
}
