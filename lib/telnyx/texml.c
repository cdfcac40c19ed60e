/* TeXML -> a small verb list, with libxml2's streaming reader: bounded size
 * and depth, no network, no DTD, no entities.  See vstress/telnyx/texml.h. */
#include "vstress/telnyx/texml.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlreader.h>

#define TEXT_MAX 4096

struct tx {
	struct vs_texml_doc *out;
	char *err;
	size_t errlen;
	int failed;
	int lib_line;       /* the first libxml2 error */
	char lib_msg[200];
};

static void terr(struct tx *t, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void terr(struct tx *t, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->failed)
		return;
	t->failed = 1;
	if (!t->err || !t->errlen)
		return;
	n = snprintf(t->err, t->errlen, "line %d: ", line);
	if (n < 0 || (size_t)n >= t->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(t->err + n, t->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static void on_xml_error(void *arg, xmlErrorPtr e)
{
	struct tx *t = arg;
	size_t n;

	if (!e || t->lib_msg[0])
		return;
	t->lib_line = e->line;
	snprintf(t->lib_msg, sizeof(t->lib_msg), "%s", e->message ? e->message : "malformed XML");
	n = strlen(t->lib_msg);
	while (n && (t->lib_msg[n - 1] == '\n' || t->lib_msg[n - 1] == ' '))
		t->lib_msg[--n] = '\0';
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_lib(void)
{
	xmlInitParser();
}

/* TeXML verbs (developers.telnyx.com texml-verbs); those modelled first. */
static const struct {
	const char *name;
	enum vs_texml_kind kind;
} verbs[] = {
	{"Connect", VS_TEXML_CONNECT_STREAM}, {"Start", VS_TEXML_START_STREAM}, {"Say", VS_TEXML_SAY},
	{"Pause", VS_TEXML_PAUSE},            {"Hangup", VS_TEXML_HANGUP},      {"Redirect", VS_TEXML_REDIRECT},
	{"Dial", VS_TEXML_DIAL},              {"Gather", VS_TEXML_OTHER},       {"Play", VS_TEXML_OTHER},
	{"Record", VS_TEXML_OTHER},           {"Reject", VS_TEXML_OTHER},       {"Refer", VS_TEXML_OTHER},
	{"Enqueue", VS_TEXML_OTHER},          {"Leave", VS_TEXML_OTHER},        {"Stop", VS_TEXML_OTHER},
	{"Transcription", VS_TEXML_OTHER},    {"Suppression", VS_TEXML_OTHER},  {"Siprec", VS_TEXML_OTHER},
	{"Sms", VS_TEXML_OTHER},              {"AI", VS_TEXML_OTHER},
};

static int find_verb(const char *name, enum vs_texml_kind *kind)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(verbs[i].name, name)) {
			*kind = verbs[i].kind;
			return 0;
		}
	return -1;
}

static char *attr(xmlTextReaderPtr r, const char *name)
{
	xmlChar *v = xmlTextReaderGetAttribute(r, (const xmlChar *)name);
	char *s = v ? strdup((const char *)v) : NULL;

	xmlFree(v);
	return s;
}

static int append_text(char **dst, const char *s)
{
	size_t have = *dst ? strlen(*dst) : 0, add = strlen(s);
	char *n;

	if (have >= TEXT_MAX)
		return 0;
	if (have + add > TEXT_MAX)
		add = TEXT_MAX - have;
	n = realloc(*dst, have + add + 1);
	if (!n)
		return -1;
	memcpy(n + have, s, add);
	n[have + add] = '\0';
	*dst = n;
	return 0;
}

static struct vs_texml_verb *add_verb(struct vs_texml_doc *d, enum vs_texml_kind k, const char *name, int line)
{
	struct vs_texml_verb *n = realloc(d->verbs, (d->n + 1) * sizeof(*n)), *v;

	if (!n)
		return NULL;
	d->verbs = n;
	v = &n[d->n++];
	memset(v, 0, sizeof(*v));
	v->kind = k;
	v->line = line;
	v->length_s = k == VS_TEXML_PAUSE ? 1 : 0;
	snprintf(v->name, sizeof(v->name), "%s", name);
	return v;
}

static void trim(char *s)
{
	size_t a = 0, n;

	if (!s)
		return;
	while (s[a] == ' ' || s[a] == '\n' || s[a] == '\t' || s[a] == '\r')
		a++;
	memmove(s, s + a, strlen(s + a) + 1);
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* One element start at depth: root check, verbs, their nouns. */
static void on_element(struct tx *t, xmlTextReaderPtr r, const char *name, int depth, int line,
		       struct vs_texml_verb **cur)
{
	enum vs_texml_kind k;
	struct vs_texml_verb *v = *cur;

	if (depth == 0) {
		if (strcmp(name, "Response") != 0)
			terr(t, line, "root element is <%.40s>, expected <Response>", name);
		return;
	}
	if (depth == 1) {
		if (find_verb(name, &k) != 0) {
			terr(t, line, "unknown TeXML verb <%.40s>", name);
			return;
		}
		*cur = v = add_verb(t->out, k, name, line);
		if (!v) {
			terr(t, line, "out of memory");
			return;
		}
		if (k == VS_TEXML_PAUSE) {
			char *len = attr(r, "length");

			if (len) {
				char *end;
				long s = strtol(len, &end, 10);

				if (*end || s < 0 || s > 86400)
					terr(t, line, "<Pause length=\"%.20s\">: not a number of seconds", len);
				else
					v->length_s = (int)s;
			}
			free(len);
		}
		if (k == VS_TEXML_REDIRECT)
			v->method = attr(r, "method");
		return;
	}
	if (depth == 2 && v && !strcmp(name, "Stream") &&
	    (v->kind == VS_TEXML_CONNECT_STREAM || v->kind == VS_TEXML_START_STREAM) && !v->url) {
		v->url = attr(r, "url");
		v->bidirectional_mode = attr(r, "bidirectionalMode");
		v->status_callback = attr(r, "statusCallback");
		v->status_callback_method = attr(r, "statusCallbackMethod");
		v->stream_name = attr(r, "name");
		if (!v->url)
			terr(t, line, "<%s><Stream> without a url", v->name);
		return;
	}
	if (depth == 3 && v && v->url && !strcmp(name, "Parameter") && v->nparams < VS_TEXML_MAX_PARAMS) {
		char **nn = realloc(v->param_names, (v->nparams + 1) * sizeof(*nn)), **nv;

		if (nn)
			v->param_names = nn;
		nv = nn ? realloc(v->param_values, (v->nparams + 1) * sizeof(*nv)) : NULL;
		if (!nv) {
			terr(t, line, "out of memory");
			return;
		}
		v->param_values = nv;
		nn[v->nparams] = attr(r, "name");
		nv[v->nparams] = attr(r, "value");
		if (!nn[v->nparams] || !nv[v->nparams]) {
			free(nn[v->nparams]);
			free(nv[v->nparams]);
			terr(t, line, "<Parameter> needs a name and a value");
			return;
		}
		v->nparams++;
	}
}

static void on_text(struct tx *t, xmlTextReaderPtr r, int depth, int line, struct vs_texml_verb *v,
		    const char *parent)
{
	const xmlChar *val = xmlTextReaderConstValue(r);

	if (!v || !val)
		return;
	if ((depth == 2 && (v->kind == VS_TEXML_SAY || v->kind == VS_TEXML_REDIRECT || v->kind == VS_TEXML_DIAL)) ||
	    (depth == 3 && v->kind == VS_TEXML_DIAL && parent && !strcmp(parent, "Number")))
		if (append_text(v->kind == VS_TEXML_REDIRECT ? &v->url : &v->text, (const char *)val) != 0)
			terr(t, line, "out of memory");
}

/* The line of the reader's node (the parser itself may have read ahead). */
static int node_line(xmlTextReaderPtr r)
{
	xmlNodePtr n = xmlTextReaderCurrentNode(r);
	long l = n ? xmlGetLineNo(n) : -1;

	return l > 0 ? (int)l : xmlTextReaderGetParserLineNumber(r);
}

static int doctype_line(const char *buf, size_t len)
{
	static const char key[] = "<!DOCTYPE";
	int line = 1;

	for (size_t i = 0; i + sizeof(key) - 1 <= len; i++) {
		if (buf[i] == '\n')
			line++;
		else if (buf[i] == '<' && !memcmp(buf + i, key, sizeof(key) - 1))
			return line;
	}
	return 0;
}

int vs_texml_parse(const char *buf, size_t len, const struct vs_texml_limits *lim, struct vs_texml_doc *out,
		   char *err, size_t errlen)
{
	size_t max_bytes = lim && lim->max_bytes ? lim->max_bytes : VS_TEXML_MAX_BYTES;
	int max_depth = lim && lim->max_depth > 0 ? lim->max_depth : VS_TEXML_MAX_DEPTH;
	struct tx t = {.out = out, .err = err, .errlen = errlen};
	struct vs_texml_verb *cur = NULL;
	char parent[32] = "";
	xmlTextReaderPtr r;
	int rc, line, saw_root = 0;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	if (!buf || !len) {
		terr(&t, 1, "empty document");
		return -1;
	}
	if (len > max_bytes) {
		terr(&t, 1, "document of %zu bytes is over the %zu-byte limit", len, max_bytes);
		return -1;
	}
	if (len > 0x7fffffff) /* libxml2 takes an int */
		return -1;
	if ((line = doctype_line(buf, len)) > 0) {
		terr(&t, line, "<!DOCTYPE> is not allowed (no DTDs, no entities)");
		return -1;
	}
	pthread_once(&init_once, init_lib);
	r = xmlReaderForMemory(buf, (int)len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!r) {
		terr(&t, 1, "out of memory");
		return -1;
	}
	xmlTextReaderSetStructuredErrorHandler(r, on_xml_error, &t);
	while (!t.failed && (rc = xmlTextReaderRead(r)) == 1) {
		int type = xmlTextReaderNodeType(r), depth = xmlTextReaderDepth(r);
		const char *name = (const char *)xmlTextReaderConstName(r);

		line = node_line(r);
		switch (type) {
		case XML_READER_TYPE_ELEMENT:
			if (depth + 1 > max_depth) {
				terr(&t, line, "elements nested deeper than %d levels", max_depth);
				break;
			}
			saw_root = 1;
			on_element(&t, r, name ? name : "", depth, line, &cur);
			if (depth == 2)
				snprintf(parent, sizeof(parent), "%s", name ? name : "");
			break;
		case XML_READER_TYPE_TEXT:
		case XML_READER_TYPE_CDATA:
			on_text(&t, r, depth, line, cur, parent);
			break;
		case XML_READER_TYPE_DOCUMENT_TYPE:
		case XML_READER_TYPE_ENTITY_REFERENCE:
			terr(&t, line, "DTDs and entities are not allowed");
			break;
		default:
			break;
		}
	}
	if (!t.failed && rc < 0) {
		if (t.lib_msg[0])
			terr(&t, t.lib_line > 0 ? t.lib_line : xmlTextReaderGetParserLineNumber(r), "%s", t.lib_msg);
		else
			terr(&t, xmlTextReaderGetParserLineNumber(r), "malformed XML");
	}
	if (!t.failed && !saw_root)
		terr(&t, 1, "no root element");
	xmlFreeTextReader(r);
	if (t.failed) {
		vs_texml_free(out);
		return -1;
	}
	for (size_t i = 0; i < out->n; i++) {
		trim(out->verbs[i].text);
		trim(out->verbs[i].url);
	}
	return 0;
}

void vs_texml_free(struct vs_texml_doc *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->verbs[i].url);
		free(d->verbs[i].bidirectional_mode);
		free(d->verbs[i].text);
		free(d->verbs[i].method);
		free(d->verbs[i].status_callback);
		free(d->verbs[i].status_callback_method);
		free(d->verbs[i].stream_name);
		for (size_t k = 0; k < d->verbs[i].nparams; k++) {
			free(d->verbs[i].param_names[k]);
			free(d->verbs[i].param_values[k]);
		}
		free(d->verbs[i].param_names);
		free(d->verbs[i].param_values);
	}
	free(d->verbs);
	d->verbs = NULL;
	d->n = 0;
}

char *vs_texml_describe(const struct vs_texml_doc *d, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < d->n && off < len; i++) {
		const struct vs_texml_verb *v = &d->verbs[i];
		const char *sep = i ? ", " : "";
		int n;

		switch (v->kind) {
		case VS_TEXML_CONNECT_STREAM:
		case VS_TEXML_START_STREAM:
			n = snprintf(buf + off, len - off, "%s%s/Stream url=%.120s%s%.8s", sep, v->name,
				     v->url ? v->url : "(none)", v->bidirectional_mode ? " bidirectionalMode=" : "",
				     v->bidirectional_mode ? v->bidirectional_mode : "");
			break;
		case VS_TEXML_PAUSE:
			n = snprintf(buf + off, len - off, "%sPause %d s", sep, v->length_s);
			break;
		case VS_TEXML_SAY:
			n = snprintf(buf + off, len - off, "%sSay \"%.60s\"", sep, v->text ? v->text : "");
			break;
		case VS_TEXML_REDIRECT:
			n = snprintf(buf + off, len - off, "%sRedirect %.120s", sep, v->url ? v->url : "");
			break;
		case VS_TEXML_DIAL:
			n = snprintf(buf + off, len - off, "%sDial %.40s", sep, v->text ? v->text : "");
			break;
		default:
			n = snprintf(buf + off, len - off, "%s%s", sep, v->name);
			break;
		}
		if (n < 0)
			break;
		off += (size_t)n;
	}
	return buf;
}

int vs_texml_looks_xml(const char *buf, size_t len)
{
	size_t i = 0;

	if (len >= 3 && (unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB && (unsigned char)buf[2] == 0xBF)
		i = 3;
	while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t'))
		i++;
	return i < len && buf[i] == '<';
}
