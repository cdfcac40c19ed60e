/* TeXML documents (shared docs: telnyx-protocol.md §4) parsed into a small
 * verb list, with limits for hostile input.
 *
 * vs_texml_parse is a pure function of its input (no network, no files, no
 * globals beyond libxml2's one-time init): libxml2 with XML_PARSE_NONET, no
 * DTD loading, no entity substitution, and any <!DOCTYPE> refused (so no
 * XXE and no entity expansion); at most max_bytes (default 1 MiB) and
 * max_depth nested elements (default 64).  Errors name the line. */
#ifndef VSTRESS_UTIL_TEXML_H
#define VSTRESS_UTIL_TEXML_H

#include <stddef.h>

#define VS_TEXML_MAX_BYTES (1u << 20)
#define VS_TEXML_MAX_DEPTH 64

enum vs_texml_kind {
	VS_TEXML_CONNECT_STREAM = 1, /* <Connect><Stream url bidirectionalMode/></Connect> */
	VS_TEXML_START_STREAM,       /* <Start><Stream url/></Start> */
	VS_TEXML_SAY,                /* text */
	VS_TEXML_PAUSE,              /* length (s, default 1) */
	VS_TEXML_HANGUP,
	VS_TEXML_REDIRECT,           /* url = the text */
	VS_TEXML_DIAL,               /* number = the text or a <Number> child */
	VS_TEXML_OTHER,              /* a TeXML verb not modelled here (Gather, Play, ...): name only */
};

struct vs_texml_verb {
	enum vs_texml_kind kind;
	char name[32];            /* the element name as written */
	int line;
	char *url;                /* Stream url, Redirect target (or NULL) */
	char *bidirectional_mode; /* Stream bidirectionalMode (or NULL) */
	char *text;               /* Say text, Dial number (or NULL) */
	int length_s;             /* Pause */
	/* appended */
	char *method;             /* Redirect method (or NULL: POST) */
	char *status_callback;    /* Stream statusCallback (or NULL) */
	char *status_callback_method; /* Stream statusCallbackMethod (or NULL: POST) */
	char *stream_name;        /* Stream name (or NULL) */
	char **param_names, **param_values; /* Stream <Parameter name value/> children, at most VS_TEXML_MAX_PARAMS */
	size_t nparams;
};

#define VS_TEXML_MAX_PARAMS 32

struct vs_texml_doc {
	struct vs_texml_verb *verbs;
	size_t n;
};

struct vs_texml_limits {
	size_t max_bytes; /* 0 = VS_TEXML_MAX_BYTES */
	int max_depth;    /* 0 = VS_TEXML_MAX_DEPTH */
};

/* Parse len bytes (need not be NUL-terminated).  0 with *out filled, or -1
 * with err ("line N: ...") and *out empty.  lim may be NULL.  An unknown
 * verb (not a TeXML verb at all) is an error naming it and its line.
 * Free *out with vs_texml_free in both cases. */
int vs_texml_parse(const char *buf, size_t len, const struct vs_texml_limits *lim, struct vs_texml_doc *out,
		   char *err, size_t errlen);
void vs_texml_free(struct vs_texml_doc *d);
/* "Connect/Stream url=ws://..., Pause 2, Hangup" into buf (truncated); returns buf. */
char *vs_texml_describe(const struct vs_texml_doc *d, char *buf, size_t len);
/* Does this body look like XML (first non-blank byte '<')? */
int vs_texml_looks_xml(const char *buf, size_t len);

#endif
