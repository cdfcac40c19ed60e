/* A copy of a production-like database for the scratch tests (db, api):
 * a tenant, 20 calls, 5 errors, 5 expired sessions and one live one, none
 * of them vstress's; the tests prove each survives a run byte for byte. */
#ifndef VSTRESS_TEST_PRODSEED_H
#define VSTRESS_TEST_PRODSEED_H

#define PT_PROD_SEED_SQL                                                                              \
	"INSERT INTO tenants (name) VALUES ('prod tenant');"                                          \
	"INSERT INTO call_logs (tenant_id, call_control_id, from_number, to_number, direction, status)" \
	" SELECT min(id), 'prod-call-' || g, '+15550001', '+15550002', 'incoming', 'completed'"        \
	" FROM tenants, generate_series(1, 20) g GROUP BY g;"                                          \
	"INSERT INTO system_errors (severity, component, error_class, message)"                        \
	" SELECT 'error', 'prod', 'X', 'prod error ' || g FROM generate_series(1, 5) g;"               \
	"INSERT INTO sessions (token_hash, username, expires_at)"                                      \
	" SELECT 'expired-' || g, 'ops', now() - interval '1 day' FROM generate_series(1, 5) g;"       \
	"INSERT INTO sessions (token_hash, username, expires_at) VALUES ('live', 'ops', now() + interval '1 day')"

#endif
