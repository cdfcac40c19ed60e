# errors: whole simulated Telnyx calls under world faults (libvsutil.a: telnyx_call.c, the call
# engine on lws, vs_synth on flite for the caller scripts, the tenant on libpq).
LIBS_errors = $(UTIL_LIB) $(FLITE_LIBS) \
	-lwebsockets -lcurl -lpq -ljansson -linih -lssl -lcrypto \
	-lpthread
CFLAGS_errors = $(shell pkg-config --cflags libpq 2>/dev/null)
