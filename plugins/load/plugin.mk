# load: concurrent whole simulated Telnyx calls (libvsutil.a: callbatch.c,
# telnyx_call.c, the call engine on lws, vs_synth on flite, proctree,
# promtext, httpc on libcurl; the tenant and the DB readings on libpq).
LIBS_load = $(UTIL_LIB) $(FLITE_LIBS) \
	-lwebsockets -lcurl -lpq -ljansson -linih -lssl -lcrypto \
	-lpthread
CFLAGS_load = $(shell pkg-config --cflags libpq 2>/dev/null)
