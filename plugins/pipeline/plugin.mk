# pipeline: whole simulated Telnyx calls (libvsutil.a: telnyx_call.c, the call
# engine on lws, vs_synth on flite for the caller scripts, the tenant on libpq).
LIBS_pipeline = $(UTIL_LIB) -lflite_cmu_us_slt -lflite_cmu_us_kal16 -lflite_cmu_us_kal -lflite_cmu_us_rms \
	-lflite_cmu_us_awb -lflite_usenglish -lflite_cmulex -lflite -lwebsockets -lcurl -lpq -ljansson -linih -lssl -lcrypto \
	-lpthread
CFLAGS_pipeline = $(shell pkg-config --cflags libpq 2>/dev/null)
