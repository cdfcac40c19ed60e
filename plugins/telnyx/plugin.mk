LIBS_telnyx = -ljansson
