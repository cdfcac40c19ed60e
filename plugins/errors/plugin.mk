# errors: whole simulated Telnyx calls under world faults (libvsutil.a: telnyx_call.c, the call
# engine on lws, vs_synth on flite for the caller scripts, the tenant on libpq).
LIBS_errors = $(UTIL_LIB) -lflite_cmu_us_slt -lflite_cmu_us_kal16 -lflite_cmu_us_kal -lflite_cmu_us_rms \
	-lflite_cmu_us_awb -lflite_usenglish -lflite_cmulex -lflite -lwebsockets -lcurl -lpq -ljansson -linih -lssl -lcrypto \
	-lpthread
CFLAGS_errors = $(shell pkg-config --cflags libpq 2>/dev/null)
