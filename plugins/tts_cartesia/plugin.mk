# vs_synth (lib/audio) registers every compiled-in flite voice; the probe
# uses the WebSocket client (lws), the faults client (curl) and threads.
LIBS_tts_cartesia = $(UTIL_LIB) -lflite_cmu_us_slt -lflite_cmu_us_kal16 -lflite_cmu_us_kal -lflite_cmu_us_rms \
	-lflite_cmu_us_awb -lflite_usenglish -lflite_cmulex -lflite -lwebsockets -lcurl -ljansson -lpthread
