# vs_synth (lib/audio) registers every compiled-in flite voice; the probe
# uses the WebSocket client (lws), the faults client (curl) and threads.
LIBS_tts_cartesia = $(UTIL_LIB) $(FLITE_LIBS) \
	-lwebsockets -lcurl -ljansson -lpthread
