/* http_parse: strict HTTP/1.x request heads and chunked bodies. */
#include "http_parse.h"

#include <ctype.h>
#include <string.h>

/* tchar (RFC 9110 §5.6.2): the characters of a token. */
static const unsigned char http_tchar[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
	['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
	['`'] = 1, ['|'] = 1, ['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

static int is_tchar(unsigned char c) { return http_tchar[c]; }
static int is_ows(unsigned char c) { return c == ' ' || c == '\t'; }

/* field-vchar / obs-text, SP and HTAB: what a field value may hold
 * (RFC 9110 §5.5).  Every other control character, CR included, is 400. */
static const unsigned char http_field_char[256] = {
	['\t'] = 1, [' ' ... '~'] = 1, [0x80 ... 0xff] = 1,
};

static int is_field_char(unsigned char c) { return http_field_char[c]; }

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int fail(struct http_request *req, int status)
{
	req->status = status;
	return HTTP_ERROR;
}

#define METHOD(name) { #name, sizeof #name - 1, HTTP_##name }
static const struct {
	const char *name;
	size_t len;
	enum http_method method;
} http_methods[] = {
	METHOD(GET), METHOD(HEAD), METHOD(POST), METHOD(PUT), METHOD(DELETE),
	METHOD(CONNECT), METHOD(OPTIONS), METHOD(TRACE), METHOD(PATCH),
};
#undef METHOD

/* Methods are case-sensitive (RFC 9110 §9.1). */
static enum http_method method_lookup(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof http_methods / sizeof *http_methods; i++)
		if (http_methods[i].len == len &&
		    memcmp(http_methods[i].name, s, len) == 0)
			return http_methods[i].method;
	return HTTP_UNKNOWN;
}

/* Skip the empty lines a client may send before a request (RFC 9112 §2.2).
 * Returns the offset of the request line, HTTP_INCOMPLETE or HTTP_ERROR. */
static long skip_empty_lines(const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len && buf[i] == '\r') {
		if (i + 1 == len)
			return HTTP_INCOMPLETE;
		if (buf[i + 1] != '\n')
			return HTTP_ERROR;
		i += 2;
		if (i > HTTP_FIELDS_MAX)
			return HTTP_ERROR;
	}
	if (i < len && buf[i] == '\n')
		return HTTP_ERROR;	/* bare LF */
	return (long)i;
}

/* Find the end of the head that starts at start: the offset just past its
 * empty line, or HTTP_INCOMPLETE / HTTP_ERROR.  Every LF must follow a CR;
 * a lone CR is caught by the character checks of the full parse. */
static long find_head_end(const char *buf, size_t len, size_t start,
			  size_t *scan, struct http_request *req)
{
	size_t pos = *scan > start ? *scan : start;
	const char *lf;

	while ((lf = memchr(buf + pos, '\n', len - pos)) != NULL) {
		size_t at = (size_t)(lf - buf);
		if (at == start || buf[at - 1] != '\r')
			return fail(req, 400);
		if (at == pos + 1 && pos > start)
			return (long)(at + 1);	/* the empty line */
		pos = at + 1;
	}
	*scan = pos;
	lf = memchr(buf + start, '\n', len - start);
	if (!lf || (size_t)(lf - (buf + start)) > HTTP_HEAD_MAX - HTTP_FIELDS_MAX)
		return len - start > HTTP_HEAD_MAX - HTTP_FIELDS_MAX ?
		       fail(req, 414) : HTTP_INCOMPLETE;
	if (len - (size_t)(lf + 1 - buf) >= HTTP_FIELDS_MAX)
		return fail(req, 431);
	return HTTP_INCOMPLETE;
}

/* request-line = method SP request-target SP HTTP-version CRLF
 * (RFC 9112 §3), with exactly one SP each.  Returns the offset past CRLF. */
static long parse_request_line(const char *buf, size_t start, size_t end,
			       struct http_request *req)
{
	const unsigned char *p = (const unsigned char *)buf + start;
	const unsigned char *m = p, *t;

	while (is_tchar(*p))
		p++;
	if (p == m || *p != ' ')
		return fail(req, 400);
	req->method_str = (const char *)m;
	req->method_len = (size_t)(p - m);
	req->method = method_lookup(req->method_str, req->method_len);
	t = ++p;
	while (*p > ' ' && *p < 0x7f)
		p++;
	req->target = (const char *)t;
	req->target_len = (size_t)(p - t);
	if (req->target_len > HTTP_TARGET_MAX)
		return fail(req, 414);
	if (p == t || *p != ' ')
		return fail(req, 400);
	p++;
	if ((size_t)((const unsigned char *)buf + end - p) < 10 ||
	    memcmp(p, "HTTP/", 5) != 0 || p[5] < '0' || p[5] > '9' ||
	    p[6] != '.' || p[7] < '0' || p[7] > '9' || p[8] != '\r' ||
	    p[9] != '\n')
		return fail(req, 400);
	if (p[5] != '1')
		return fail(req, 505);
	req->minor_version = p[7] - '0';
	return (long)((const char *)p + 10 - buf);
}

/* field-line = field-name ":" OWS field-value OWS CRLF (RFC 9112 §5).
 * No whitespace before the colon (§5.1), no obs-fold (§5.2). */
static long parse_field_line(const char *buf, size_t pos,
			     struct http_request *req)
{
	const unsigned char *p = (const unsigned char *)buf + pos;
	const unsigned char *n = p, *ne, *v, *e;

	while (is_tchar(*p))
		p++;
	if (p == n || *p != ':')
		return fail(req, 400);
	ne = p++;
	while (is_ows(*p))
		p++;
	v = p;
	while (is_field_char(*p))
		p++;
	if (p[0] != '\r' || p[1] != '\n')
		return fail(req, 400);	/* CTL, or a lone CR */
	for (e = p; e > v && is_ows(e[-1]); e--)
		;
	if (req->num_headers == HTTP_HEADERS_MAX)
		return fail(req, 431);
	struct http_header *h = &req->headers[req->num_headers++];
	h->name = (const char *)n;
	h->name_len = (size_t)(ne - n);
	h->value = (const char *)v;
	h->value_len = (size_t)(e - v);
	return (long)((const char *)p + 2 - buf);
}

static unsigned char ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* Field names and tokens are case-insensitive (RFC 9110 §5.1, §5.6.2),
 * in ASCII only: no locale. */
static int case_equal(const char *a, const char *b, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x != y && ascii_lower(x) != ascii_lower(y))
			return 0;
	}
	return 1;
}

static int token_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && case_equal(s, word, len);
}

const struct http_header *http_find_header(const struct http_request *req,
					   const char *name)
{
	for (size_t i = 0; i < req->num_headers; i++) {
		const struct http_header *h = &req->headers[i];
		if (token_is(h->name, h->name_len, name))
			return h;
	}
	return NULL;
}

enum field {
	FIELD_OTHER, FIELD_HOST, FIELD_CONTENT_LENGTH,
	FIELD_TRANSFER_ENCODING, FIELD_CONNECTION, FIELD_EXPECT,
};

/* The fields the parser acts on.  Told apart by length first, any other
 * field costs one comparison at most. */
static enum field field_lookup(const struct http_header *h)
{
	static const struct {
		const char *name;
		enum field field;
	} by_len[] = {
		[4] = { "host", FIELD_HOST },
		[6] = { "expect", FIELD_EXPECT },
		[10] = { "connection", FIELD_CONNECTION },
		[14] = { "content-length", FIELD_CONTENT_LENGTH },
		[17] = { "transfer-encoding", FIELD_TRANSFER_ENCODING },
	};

	if (h->name_len >= sizeof by_len / sizeof *by_len ||
	    !by_len[h->name_len].name ||
	    !case_equal(h->name, by_len[h->name_len].name, h->name_len))
		return FIELD_OTHER;
	return by_len[h->name_len].field;
}

/* Calls fn for each element of a comma-separated list (RFC 9110 §5.6.1),
 * without surrounding whitespace; empty elements are skipped. */
static void list_each(const struct http_header *h,
		      void (*fn)(const char *s, size_t len, void *arg),
		      void *arg)
{
	const char *p = h->value, *end = h->value + h->value_len;

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma ? comma : end;
		const char *s = p;
		while (s < e && is_ows((unsigned char)*s))
			s++;
		const char *t = e;
		while (t > s && is_ows((unsigned char)t[-1]))
			t--;
		if (t > s)
			fn(s, (size_t)(t - s), arg);
		p = comma ? comma + 1 : end;
	}
}

struct conn_tokens { int close, keep_alive; };

static void on_connection_token(const char *s, size_t len, void *arg)
{
	struct conn_tokens *t = arg;

	if (token_is(s, len, "close"))
		t->close = 1;
	else if (token_is(s, len, "keep-alive"))
		t->keep_alive = 1;
}

struct codings { int count, chunked_at, chunked_count, other; };

static void on_coding(const char *s, size_t len, void *arg)
{
	struct codings *c = arg;

	c->count++;
	if (token_is(s, len, "chunked")) {
		c->chunked_at = c->count;
		c->chunked_count++;
	} else {
		c->other = 1;
	}
}

/* Expect is a list, and all its field lines form one (RFC 9110 §5.3):
 * any expectation but 100-continue, in any of them, is a 417. */
struct expectations { int cont, other; };

static void on_expectation(const char *s, size_t len, void *arg)
{
	struct expectations *e = arg;

	if (token_is(s, len, "100-continue"))
		e->cont = 1;
	else
		e->other = 1;
}

/* Host = uri-host [ ":" port ] (RFC 9112 §3.2, RFC 3986 §3.2.2): an
 * IP-literal in brackets or a reg-name of unreserved, pct-encoded and
 * sub-delims characters, then digits.  Empty is allowed. */
static int host_valid(const char *s, size_t len)
{
	static const char reg[] = "-._~!$&'()*+,;=%";
	size_t i = 0;

	if (len > 0 && s[0] == '[') {
		for (i = 1; i < len && s[i] != ']'; i++)
			if (!isxdigit((unsigned char)s[i]) && s[i] != ':' &&
			    s[i] != '.')
				return 0;
		if (i == len)
			return 0;
		i++;
	} else {
		for (; i < len && s[i] != ':'; i++)
			if (!isalnum((unsigned char)s[i]) &&
			    (!s[i] || !strchr(reg, s[i])))
				return 0;
	}
	if (i == len)
		return 1;
	if (s[i++] != ':')
		return 0;
	for (; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Origin-form, absolute-form with a host, or "*" for OPTIONS, and never a
 * fragment (RFC 9112 §3.2).  CONNECT's own authority-form (§3.2.3) is left
 * to its 404/405, and an unknown method to its 501, which come first. */
static int target_valid(const struct http_request *req)
{
	const char *t = req->target;
	size_t len = req->target_len, s = 0, h;

	if (memchr(t, '#', len))
		return 0;
	if (t[0] == '/' || req->method == HTTP_UNKNOWN ||
	    req->method == HTTP_CONNECT)
		return 1;
	if (len == 1 && t[0] == '*')
		return req->method == HTTP_OPTIONS;
	if (len > 7 && case_equal(t, "http://", 7))
		s = 7;
	else if (len > 8 && case_equal(t, "https://", 8))
		s = 8;
	if (!s)
		return 0;
	for (h = s; h < len && t[h] != '/' && t[h] != '?'; h++)
		;
	return h > s && host_valid(t + s, h - s);
}

/* Content-Length = 1*DIGIT; repeated fields must agree (RFC 9112 §6.3). */
static int parse_content_length(const struct http_header *h,
				struct http_request *req)
{
	int64_t v = 0;

	if (h->value_len == 0 || h->value_len > 18)
		return -1;	/* empty, or past any sane body: overflow */
	for (size_t i = 0; i < h->value_len; i++) {
		unsigned char c = (unsigned char)h->value[i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	if (req->content_length >= 0 && req->content_length != v)
		return -1;
	req->content_length = v;
	return 0;
}

/* The framing and connection rules of RFC 9112 §3.2, §6, §9.3 and the
 * Expect rule of RFC 9110 §10.1.1. */
static int check_semantics(struct http_request *req)
{
	struct conn_tokens conn = { 0, 0 };
	struct codings te = { 0, 0, 0, 0 };
	struct expectations ex = { 0, 0 };
	int hosts = 0, te_fields = 0;

	for (size_t i = 0; i < req->num_headers; i++) {
		const struct http_header *h = &req->headers[i];
		switch (field_lookup(h)) {
		case FIELD_HOST:
			if (!host_valid(h->value, h->value_len))
				return fail(req, 400);
			hosts++;
			break;
		case FIELD_CONTENT_LENGTH:
			if (parse_content_length(h, req) < 0)
				return fail(req, 400);
			break;
		case FIELD_TRANSFER_ENCODING:
			te_fields++;
			list_each(h, on_coding, &te);
			break;
		case FIELD_CONNECTION:
			list_each(h, on_connection_token, &conn);
			break;
		case FIELD_EXPECT:
			list_each(h, on_expectation, &ex);
			break;
		case FIELD_OTHER:
			break;
		}
	}
	if (hosts > 1 || (hosts == 0 && req->minor_version >= 1) ||
	    !target_valid(req))
		return fail(req, 400);
	if (te_fields) {
		/* TE with CL, or in HTTP/1.0, is a smuggling attempt. */
		if (req->content_length >= 0 || req->minor_version == 0 ||
		    te.count == 0)
			return fail(req, 400);
		if (te.chunked_count &&
		    (te.chunked_count > 1 || te.chunked_at != te.count))
			return fail(req, 400);	/* chunked must be last, once */
		if (te.other)
			return fail(req, 501);
		req->chunked = 1;
	}
	if (ex.other)
		return fail(req, 417);
	req->expect_continue = ex.cont && req->minor_version >= 1;
	req->keep_alive = !conn.close &&
			  (req->minor_version >= 1 || conn.keep_alive);
	return 0;
}

int http_parse_request(const char *buf, size_t len, size_t *scan,
		       struct http_request *req)
{
	long start, end, pos;

	req->num_headers = 0;
	req->content_length = -1;
	req->chunked = req->keep_alive = req->expect_continue = 0;
	req->status = 0;
	start = skip_empty_lines(buf, len);
	if (start == HTTP_ERROR)
		return fail(req, 400);
	if (start == HTTP_INCOMPLETE)
		return HTTP_INCOMPLETE;
	end = find_head_end(buf, len, (size_t)start, scan, req);
	if (end < 0)
		return (int)end;
	pos = parse_request_line(buf, (size_t)start, (size_t)end, req);
	if (pos < 0)
		return HTTP_ERROR;
	if (end - pos > HTTP_FIELDS_MAX)
		return fail(req, 431);
	while (pos < end - 2) {
		if (is_ows((unsigned char)buf[pos]))
			return fail(req, 400);	/* obs-fold (RFC 9112 §5.2) */
		pos = parse_field_line(buf, (size_t)pos, req);
		if (pos < 0)
			return HTTP_ERROR;
	}
	if (check_semantics(req) < 0)
		return HTTP_ERROR;
	return (int)end;
}

static long chunk_fail(struct http_chunked *c, int status)
{
	c->status = status;
	return HTTP_ERROR;
}

/* chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ), read
 * strictly without BWS (as llhttp does): extensions are ignored, but must
 * be well-formed.  Returns 0, or -1 on a bad byte. */
static int chunk_ext_step(struct http_chunked *c, unsigned char ch)
{
	switch (c->ext) {
	case EXT_BEFORE_NAME:
		if (!is_tchar(ch))
			return -1;
		c->ext = EXT_NAME;
		return 0;
	case EXT_NAME:
	case EXT_VALUE:
		if (is_tchar(ch))
			return 0;
		if (ch == '=' && c->ext == EXT_NAME) {
			c->ext = EXT_BEFORE_VALUE;
			return 0;
		}
		break;
	case EXT_BEFORE_VALUE:
		if (ch == '"')
			c->ext = EXT_QUOTED;
		else if (is_tchar(ch))
			c->ext = EXT_VALUE;
		else
			return -1;
		return 0;
	case EXT_QUOTED:
		if (ch == '"')
			c->ext = EXT_AFTER_QUOTED;
		else if (ch == '\\')
			c->ext = EXT_QUOTED_ESCAPE;
		else if (!is_field_char(ch))
			return -1;
		return 0;
	case EXT_QUOTED_ESCAPE:
		if (!is_field_char(ch))
			return -1;
		c->ext = EXT_QUOTED;
		return 0;
	case EXT_AFTER_QUOTED:
		break;
	}
	if (ch == ';') {
		c->ext = EXT_BEFORE_NAME;
		return 0;
	}
	if (ch == '\r') {
		c->state = CHUNK_SIZE_LF;
		return 0;
	}
	return -1;
}

/* One byte of a trailer section (RFC 9112 §7.1.2): field lines as in the
 * head, then CRLF. */
static long chunk_trailer_step(struct http_chunked *c, unsigned char ch)
{
	if (ch == '\r') {
		if (c->line_len > 0 && !c->in_value)
			return chunk_fail(c, 400);	/* no colon */
		c->state = CHUNK_TRAILER_LF;
		return 0;
	}
	if (++c->trailer_len > HTTP_FIELDS_MAX)
		return chunk_fail(c, 431);
	c->line_len++;
	if (c->in_value)
		return is_field_char(ch) ? 0 : chunk_fail(c, 400);
	if (ch == ':' && c->line_len > 1)
		c->in_value = 1;
	else if (!is_tchar(ch))
		return chunk_fail(c, 400);	/* also obs-fold, CTLs */
	return 0;
}

/* chunk-size = 1*HEXDIG (RFC 9112 §7.1), then ';' or CRLF; no
 * whitespace (as llhttp's strict mode). */
static long chunk_size_step(struct http_chunked *c, unsigned char ch)
{
	int v = hex_value(ch);

	if (v >= 0) {
		if (c->size > (UINT64_MAX >> 4))
			return chunk_fail(c, 400);	/* overflow */
		c->size = c->size * 16 + (uint64_t)v;
		c->digits++;
	} else if (c->digits > 0 && ch == ';') {
		c->state = CHUNK_EXT;
		c->ext = EXT_BEFORE_NAME;
		c->line_len = 0;
	} else if (c->digits > 0 && ch == '\r') {
		c->state = CHUNK_SIZE_LF;
	} else {
		return chunk_fail(c, 400);
	}
	return 0;
}

long http_chunked_decode(struct http_chunked *c, const char *in, size_t len,
			 char *out, size_t out_cap)
{
	size_t i = 0;

	while (i < len && c->state != CHUNK_DONE) {
		unsigned char ch = (unsigned char)in[i];

		switch (c->state) {
		case CHUNK_SIZE:
			if (chunk_size_step(c, ch) < 0)
				return HTTP_ERROR;
			break;
		case CHUNK_EXT:
			if (++c->line_len > HTTP_FIELDS_MAX ||
			    chunk_ext_step(c, ch) < 0)
				return chunk_fail(c, 400);
			break;
		case CHUNK_SIZE_LF:
			if (ch != '\n')
				return chunk_fail(c, 400);
			if (c->size > out_cap - c->body_len)
				return chunk_fail(c, 413);
			c->state = c->size ? CHUNK_DATA : CHUNK_TRAILER;
			c->line_len = 0;
			c->in_value = 0;
			break;
		case CHUNK_DATA: {
			size_t n = len - i;
			if (n > c->size)
				n = (size_t)c->size;
			memcpy(out + c->body_len, in + i, n);
			c->body_len += n;
			c->size -= n;
			i += n;
			if (c->size == 0)
				c->state = CHUNK_DATA_CR;
			continue;
		}
		case CHUNK_DATA_CR:
			if (ch != '\r')
				return chunk_fail(c, 400);
			c->state = CHUNK_DATA_LF;
			break;
		case CHUNK_DATA_LF:
			if (ch != '\n')
				return chunk_fail(c, 400);
			c->state = CHUNK_SIZE;
			c->size = 0;
			c->digits = 0;
			break;
		case CHUNK_TRAILER:
			if (chunk_trailer_step(c, ch) < 0)
				return HTTP_ERROR;
			break;
		case CHUNK_TRAILER_LF:
			if (ch != '\n')
				return chunk_fail(c, 400);
			c->state = c->line_len ? CHUNK_TRAILER : CHUNK_DONE;
			c->line_len = 0;
			c->in_value = 0;
			break;
		case CHUNK_DONE:
			break;
		}
		i++;
	}
	return (long)i;
}
