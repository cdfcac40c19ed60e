# pipeline: whole simulated Telnyx calls (libvsutil.a: telnyx_call.c, the call
# engine on lws, vs_synth on flite for the caller scripts, the tenant on libpq).
LIBS_pipeline = $(UTIL_LIB) $(FLITE_LIBS) \
	-lwebsockets -lcurl -lpq -ljansson -linih -lssl -lcrypto \
	-lpthread
CFLAGS_pipeline = $(shell pkg-config --cflags libpq 2>/dev/null)
