/* db plugin: internal interfaces shared by its files. */
#ifndef VSTRESS_DB_H
#define VSTRESS_DB_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "vstress/plugin.h"

#define DB_VERSION "0.1.0"

/* --- expected-schema file (db_schema_file.c) ------------------------------- */
struct schema_col {
	char *name;
	char *type; /* canonical format_type() spelling, NULL = not checked */
	int notnull; /* 1 not null, 0 nullable, -1 not checked */
};

struct schema_fk {
	char *cols;    /* "a,b" (no spaces) */
	char *parent;  /* table */
	char *pcols;   /* "x,y" */
	char *display; /* "call_logs(tenant_id) -> tenants(id)" */
	int found;     /* set by db_schema_check() */
	char conname[128];
};

struct schema_table {
	char *name;
	struct schema_col *cols;
	size_t ncols;
	char **indexes;
	size_t nindexes;
	struct schema_fk *fks;
	size_t nfks;
};

struct schema_spec {
	char *mig_table;  /* NULL: no [migrations] section */
	char *mig_column;
	long long mig_count; /* -1: not checked */
	struct schema_table *tables;
	size_t ntables;
};

/* 0, or -1 with a "file:line: what" message in err. */
int schema_file_load(const char *path, struct schema_spec **out, char *err, size_t errlen);
void schema_spec_free(struct schema_spec *s);
/* The canonical (format_type) spelling of a type name: int8 -> bigint. */
char *schema_canon_type(const char *t);

/* --- a column-value template of a write table (db_template.c) -------------- */
struct tmpl_col {
	char *col;
	char *val; /* text with {run} {n} {conn} {marker}; "sql:EXPR" is raw SQL */
};

struct wtable {
	const char *label; /* "call_logs" / "system_errors": option prefix */
	char *table;
	char *key;    /* column returned by INSERT ... RETURNING, e.g. id */
	char *marker; /* text column holding the run marker, deletes key on it */
	struct tmpl_col *cols;
	size_t ncols;
	long long rows;
	int metric; /* insert latency, us */
	char **keys; /* keys of rows vstress created (text) */
	size_t nkeys, capkeys;
	long long before_count, after_count;
	char *before_sum, *after_sum;
	int checksummed;
};

/* Parses "col=val,col=val"; a literal comma in a value is written "\,".
 * 0, or -1 with err. */
int tmpl_parse(const char *spec, struct tmpl_col **cols, size_t *ncols, char *err, size_t errlen);
void tmpl_free(struct tmpl_col *cols, size_t ncols);
/* "INSERT INTO t (c..) VALUES (..) RETURNING key::text" for row n on
 * connection conn; override_col/override_sql replace one column's value
 * (NULL: none).  malloc'd, NULL on error. */
char *tmpl_insert_sql(PGconn *conn, const struct wtable *t, const char *runid, long long n, int connidx,
		      const char *override_col, const char *override_sql);

/* --- plugin state ---------------------------------------------------------- */
struct db {
	const struct vs_host *h;
	vs_ctx *c;
	char *url;       /* effective connection string (secret) */
	char *url_shown; /* the same with the password replaced by *** */
	char *password;  /* parsed out of url, to scrub any text we emit */
	char app[64];
	char runid[20];
	char app_run[128]; /* "<app>-<runid>": every vstress connection's application_name */
	/* may rows be written here (db_plugin.c decide_scratch): 1 yes; marked:
	 * the cluster carries vstress's mark (a throwaway one it started) */
	int scratch_setting, scratch, scratch_marked;
	char scratch_why[300];
	long long connect_timeout_ms;
	long long storm_n, hold_min_ms, hold_max_ms, recovery_ms;
	const char *target_app, *target_user;
	long long pool_min, pool_max; /* -1: unset */
	long long pool_seen_min, pool_seen_max;
	char *schema_path;
	struct schema_spec *spec;
	int schema_missing;
	long long write_k, mixed_k, mixed_ms, mixed_update_rows, mixed_update_pool;
	int mixed_random_order;
	const char *mixed_read_sql, *call_logs_update;
	struct wtable wt[2]; /* call_logs, system_errors */
	PGconn *ctl;        /* control connection */
	uint64_t rng;
	json_t *data;
	int writes_done;
};

/* Text to the host with the password scrubbed. */
void db_log(struct db *d, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void db_check(struct db *d, const char *name, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void db_reason(struct db *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t db_rand(struct db *d);

/* --- connections (db_conn.c) ------------------------------------------------ */
/* Fills url_shown and password.  0 or -1 (unparsable url, reason set). */
int db_url_prepare(struct db *d);
/* Keyword arrays for PQconnectStartParams/PQconnectdbParams; app is the
 * application_name to set. */
void db_conn_params(const struct db *d, const char *app, const char **kw, const char **val, char *tmo,
		    size_t tmolen);
/* Blocking connect with application_name app; NULL with a one-line error. */
PGconn *db_connect(struct db *d, const char *app, char *err, size_t errlen);
/* First line of a libpq error, shortened: "connection refused at h:p". */
void db_conn_error(const struct db *d, PGconn *conn, char *buf, size_t len);
/* The SQLSTATE of a failed connection, from its message (libpq has no
 * field for it before a connection exists). */
const char *db_conn_sqlstate(PGconn *conn);
/* Run a query on the control connection; the result or NULL (logged). */
PGresult *db_query(struct db *d, const char *sql, int nparams, const char *const *params);
/* Scrub text in place-safe: copies src into dst with the password masked. */
void db_scrub(const struct db *d, const char *src, char *dst, size_t len);

/* --- phases ------------------------------------------------------------------ */
int db_storm(struct db *d);                 /* db_storm.c */
int db_pool_count(struct db *d, long long *n); /* target pool size now */
int db_schema_check(struct db *d);          /* db_schema_check.c */
int db_fk_probe(struct db *d);              /* db_fk_probe.c */
int db_checksum(struct db *d, int after);   /* db_writes.c */
int db_writes(struct db *d);
int db_mixed(struct db *d);                 /* db_mixed.c */
int db_cleanup(struct db *d);               /* db_writes.c */

/* --- async connection pool (db_async.c) ----------------------------------- */
struct apool;
struct apool_ops {
	/* Next SQL for connection i (malloc'd, taken), or NULL: idle for now. */
	char *(*next)(void *u, int i);
	/* Each result of the SQL, in order. */
	void (*result)(void *u, int i, PGresult *r);
	/* The SQL finished (all results read); elapsed ns since sent. */
	void (*done)(void *u, int i, uint64_t elapsed_ns);
	/* Non-zero: stop sending, drain, return. */
	int (*finished)(void *u);
};
/* Opens n connections (blocking, one by one); NULL with reason set. */
struct apool *apool_open(struct db *d, int n, const char *app);
int apool_size(const struct apool *p);
int apool_alive(const struct apool *p);
/* Drives the pool until ops->finished() and nothing is in flight. 0 / -1. */
int apool_run(struct apool *p, const struct apool_ops *ops, void *u);
void apool_close(struct apool *p);

/* Counts a failed statement: <phase>_errors, and 40P01 / 40001 also as
 * <phase>_deadlocks / <phase>_serialization_failures and the totals. */
void db_count_error(struct db *d, const char *phase, const PGresult *r, long long *errors, long long *deadlocks,
		    long long *serial, char *first, size_t flen);

/* SQLSTATE of a result, "" when none. */
const char *db_sqlstate(const PGresult *r);

#endif
