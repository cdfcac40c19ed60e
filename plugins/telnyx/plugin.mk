# telnyx: the stand-in (jansson) and the probe: vs_tcall_run and tenants
# (libvsutil: call engine with flite voices, lws, curl, libpq, OpenSSL).
LIBS_telnyx = $(UTIL_LIB) -lflite_cmu_us_slt -lflite_cmu_us_kal16 -lflite_cmu_us_kal -lflite_cmu_us_rms \
	-lflite_cmu_us_awb -lflite_usenglish -lflite_cmulex -lflite -linih -lwebsockets -lcurl -lpq -ljansson -lssl \
	-lcrypto -lpthread
CFLAGS_telnyx = -I/usr/include/postgresql
