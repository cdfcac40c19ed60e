LIBS_stt_deepgram = $(UTIL_LIB) -ljansson
