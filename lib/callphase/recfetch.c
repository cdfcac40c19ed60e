/* The stand-ins' recordings, fetched (vstress/callphase/recfetch.h). */
#include <stdio.h>
#include <stdlib.h>

#include "vstress/audio/wav.h"
#include "vstress/callphase/recfetch.h"
#include "vstress/net/httpc.h"

#define RF_TIMEOUT_MS 15000
#define RF_MAX_WAV (32u << 20)
#define RF_RATE 8000 /* what the stand-ins serve: what a phone call carries */

int vs_recfetch_list(const char *base, const char *standin, const char *key, json_t **doc, json_t **list, char *err,
		     size_t errlen)
{
	char url[1024], *body = NULL;
	long status = 0;
	*doc = *list = NULL;
	snprintf(url, sizeof url, "%s/_vstress/%s/%s", base, standin, key);
	if (vs_httpc("GET", url, NULL, RF_TIMEOUT_MS, &status, &body, err, errlen))
		return -1;
	json_t *j = status == 200 ? json_loads(body ? body : "", 0, NULL) : NULL;
	free(body);
	json_t *a = json_object_get(j, key);
	if (!json_is_array(a)) {
		snprintf(err, errlen, "%s: HTTP %ld, no \"%s\" list", url, status, key);
		json_decref(j);
		return status == 404 ? 2 : -1;
	}
	if (json_is_false(json_object_get(j, "recording"))) {
		json_decref(j);
		return 1;
	}
	*doc = j;
	*list = a;
	return 0;
}

int vs_recfetch_audio(const char *base, const char *standin, const char *id, int16_t **pcm, size_t *n, char *err,
		      size_t errlen)
{
	char url[1024], *wav = NULL;
	long status = 0;
	size_t len = 0;
	int rate = 0;
	*pcm = NULL;
	*n = 0;
	snprintf(url, sizeof url, "%s/_vstress/%s/audio/%s", base, standin, id);
	if (vs_httpc_get_bytes(url, RF_TIMEOUT_MS, RF_MAX_WAV, &status, &wav, &len, err, errlen))
		return -1;
	int rc = status == 200 ? vs_wav_parse((const uint8_t *)wav, len, pcm, n, &rate, err, errlen) : -1;
	free(wav);
	if (rc || rate != RF_RATE) {
		if (status != 200)
			snprintf(err, errlen, "%s: HTTP %ld", url, status);
		else if (!rc)
			snprintf(err, errlen, "%s: %d Hz, not %d", url, rate, RF_RATE);
		free(*pcm);
		*pcm = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}
