# resources: whole simulated Telnyx calls (libvsutil.a: callbatch, telnyx_call,
# the call engine on lws, vs_synth on flite, proctree, promtext, httpc) and the
# target's database on libpq.
LIBS_resources = $(UTIL_LIB) $(FLITE_LIBS) \
	-lwebsockets -lcurl -lpq -ljansson -linih -lssl -lcrypto \
	-lpthread
CFLAGS_resources = $(shell pkg-config --cflags libpq 2>/dev/null)
