/* http_parse: HTTP/1.x request heads and chunked bodies, strictly (RFC 9112).
 *
 * Nothing is allocated: a parsed request points into the caller's buffer.
 * Like picohttpparser, a parse returns the bytes consumed (> 0),
 * HTTP_INCOMPLETE when more input is needed, or HTTP_ERROR with the status
 * to answer in the request's `status`. */
#ifndef HTTP_PARSE_H
#define HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_ERROR (-1)
#define HTTP_INCOMPLETE (-2)

#define HTTP_TARGET_MAX 8000	/* longer request targets get 414 */
#define HTTP_FIELDS_MAX 8192	/* header section after the request line: 431 */
#define HTTP_HEAD_MAX (HTTP_TARGET_MAX + 64 + HTTP_FIELDS_MAX)
#define HTTP_HEADERS_MAX 64	/* field lines per request; more gets 431 */
#define HTTP_BODY_MAX (1024 * 1024)	/* 413 beyond */

enum http_method {
	HTTP_UNKNOWN, HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT, HTTP_DELETE,
	HTTP_CONNECT, HTTP_OPTIONS, HTTP_TRACE, HTTP_PATCH,
};

struct http_header {
	const char *name, *value;
	size_t name_len, value_len;
};

struct http_request {
	enum http_method method;
	const char *method_str, *target;
	size_t method_len, target_len;
	int minor_version;
	struct http_header headers[HTTP_HEADERS_MAX];
	size_t num_headers;

	/* Framing and connection semantics, derived from the fields. */
	int64_t content_length;	/* -1: none */
	int chunked;
	int keep_alive;
	int expect_continue;
	int status;		/* on HTTP_ERROR: 400, 414, 417, 431, 501, 505 */
};

/* Parse one request head at the start of buf.  Empty lines before the
 * request line are skipped (RFC 9112 §2.2) and counted in the result.
 * *scan is where a previous call on the same (grown) buffer stopped looking
 * for the end of the head; start it at 0.  It makes repeated calls on a
 * slowly arriving head cost linear time in total. */
int http_parse_request(const char *buf, size_t len, size_t *scan,
		       struct http_request *req);

/* The value of the first field called name (case-insensitive), or NULL. */
const struct http_header *http_find_header(const struct http_request *req,
					   const char *name);

enum http_chunked_state {
	CHUNK_SIZE,		/* hex digits of chunk-size */
	CHUNK_EXT,		/* ';' chunk-ext ... up to CR */
	CHUNK_SIZE_LF,		/* the LF after chunk-size's CR */
	CHUNK_DATA,		/* chunk-data */
	CHUNK_DATA_CR,		/* CRLF after chunk-data */
	CHUNK_DATA_LF,
	CHUNK_TRAILER,		/* a trailer field line, or the final CRLF */
	CHUNK_TRAILER_LF,
	CHUNK_DONE,
};

enum http_chunk_ext_state {
	EXT_BEFORE_NAME, EXT_NAME, EXT_BEFORE_VALUE, EXT_VALUE, EXT_QUOTED,
	EXT_QUOTED_ESCAPE, EXT_AFTER_QUOTED,
};

struct http_chunked {
	enum http_chunked_state state;
	enum http_chunk_ext_state ext;
	uint64_t size;		/* bytes of chunk-data still to come */
	size_t digits;
	size_t body_len;	/* decoded so far */
	size_t line_len;	/* of the trailer line being read */
	size_t trailer_len;
	int in_value;		/* past the ':' of a trailer field */
	int status;		/* on HTTP_ERROR: 400 or 413 */
};

/* Decode chunked framing from in[0..len), appending the data to out, which
 * holds out_cap bytes in all (more is 413).  Returns the bytes of in used,
 * or HTTP_ERROR.  The body is complete when state is CHUNK_DONE; any bytes
 * after it are left unused (the next pipelined request). */
long http_chunked_decode(struct http_chunked *c, const char *in, size_t len,
			 char *out, size_t out_cap);

#endif
