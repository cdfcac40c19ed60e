# The probe uses the WebSocket client (lws), the faults client (curl), the
# WAV/resample/u-law helpers of core/util and threads.
LIBS_stt_deepgram = $(UTIL_LIB) -lflite_cmu_us_slt -lflite_cmu_us_kal16 -lflite_cmu_us_kal -lflite_cmu_us_rms \
	-lflite_cmu_us_awb -lflite_usenglish -lflite_cmulex -lflite -lwebsockets -lcurl -ljansson -lpthread
