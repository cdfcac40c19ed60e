# The probe uses the WebSocket client (lws), the faults client (curl), the
# WAV/resample/u-law helpers of lib/audio and threads; the stand-in's grammar
# mode (standin_sphinx.c) uses pocketsphinx (its headers as system headers:
# they do not pass our warnings) and inih (the caller scripts whose lines
# join the grammar).
CFLAGS_stt_deepgram = $(patsubst -I%,-isystem %,$(shell pkg-config --cflags pocketsphinx sphinxbase))
LIBS_stt_deepgram = $(UTIL_LIB) $(FLITE_LIBS) \
	-lwebsockets -lcurl -ljansson -linih -lpthread \
	$(shell pkg-config --libs pocketsphinx sphinxbase)
