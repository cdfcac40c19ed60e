# telnyx: the stand-in (jansson) and the probe: vs_tcall_run and tenants
# (libvsutil: call engine with flite voices, lws, curl, libpq, OpenSSL).
LIBS_telnyx = $(UTIL_LIB) -lflite_cmu_us_slt -lflite_cmu_us_kal16 -lflite_cmu_us_kal -lflite_cmu_us_rms \
	-lflite_cmu_us_awb -lflite_usenglish -lflite_cmulex -lflite -linih -lwebsockets -lcurl -lpq -ljansson -lssl \
	-lcrypto -lpthread -Wl,-z,nodelete
# nodelete: flite's voice registry (vs_synth renders the caller's `say` steps)
# is global and has no cleanup; unloading the .so would turn it into a
# definite leak under valgrind.
CFLAGS_telnyx = -I/usr/include/postgresql
