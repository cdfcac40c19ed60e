/* Assertions the speech probe tests (tts_cartesia, tts_elevenlabs,
 * stt_deepgram: the faulted pass of lib/probe/ttsprobe.c and sttprobe.c)
 * share.  Include after worldproc.h. */
#ifndef SPEECH_FAULTS_H
#define SPEECH_FAULTS_H

/* A run of 3 requests, one world fault `spec` hitting once: the faulted
 * pass counted one `cls` and two ok, the clean pass three ok and no `cls`;
 * faults.classified and faults.fault_1_<cls> pass.  On a miscount the
 * host's record is dumped. */
static void sp_assert_one_fault(struct fakehost *fh, const char *spec, const char *cls)
{
	char fc[64], fcheck[64];
	snprintf(fc, sizeof fc, "faults.%s", cls);
	if (fh_counter(fh, fc) != 1 || fh_counter(fh, "faults.ok") != 2 || fh_counter(fh, "ok") != 3 ||
	    fh_counter(fh, cls) != 0) {
		fh_dump(fh);
		fprintf(stderr, "%s\n", fh_log_text(fh));
		fail_msg("fault %s: %s=%lld faults.ok=%lld ok=%lld", spec, fc, (long long)fh_counter(fh, fc),
			 (long long)fh_counter(fh, "faults.ok"), (long long)fh_counter(fh, "ok"));
	}
	snprintf(fcheck, sizeof fcheck, "faults.fault_1_%s", cls);
	assert_check(fh, "faults.classified", VS_CHECK_PASS);
	assert_check(fh, fcheck, VS_CHECK_PASS);
}

/* Each check of names[0..n) passes in the clean pass and, as faults.<name>,
 * in the faulted pass. */
static void sp_assert_both_passes(struct fakehost *fh, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char f[64];
		snprintf(f, sizeof f, "faults.%s", names[i]);
		assert_check(fh, names[i], VS_CHECK_PASS);
		assert_check(fh, f, VS_CHECK_PASS);
	}
}

#endif
