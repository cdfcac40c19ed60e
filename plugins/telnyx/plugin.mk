# telnyx: the stand-in (jansson) and the probe: vs_tcall_run and tenants
# (libvsutil: call engine with flite voices, lws, curl, libpq, OpenSSL).
LIBS_telnyx = $(UTIL_LIB) $(FLITE_LIBS) \
	-linih -lwebsockets -lcurl -lpq -ljansson -lssl \
	-lcrypto -lpthread -Wl,-z,nodelete
# nodelete: flite's voice registry (vs_synth renders the caller's `say` steps)
# is global and has no cleanup; unloading the .so would turn it into a
# definite leak under valgrind.
CFLAGS_telnyx = -I/usr/include/postgresql
