// A small N-API addon over Debian's libopus (libopus-dev 1.3.1), for core/opus.ts. It exists because
// the npm bindings cannot conceal exactly one 20 ms frame or decode in-band FEC (their decoders pass
// decode_fec = 0 and conceal a fixed 120 ms): docs/audio.md "Opus". Built by `make setup` with gcc
// against Node's installed headers, so nothing is downloaded.
#include <node_api.h>
#include <opus/opus.h>
#include <stdint.h>
#include <stdio.h>

#define MAX_PACKET 1500
#define MAX_FRAME_SAMPLES 5760   // 120 ms at 48 kHz: the largest frame libopus decodes

#define CALL(env, expr) do { if ((expr) != napi_ok) { napi_throw_error(env, NULL, #expr " failed"); return NULL; } } while (0)

static napi_value throw_opus(napi_env env, const char *what, int err) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, opus_strerror(err));
  napi_throw_error(env, NULL, msg);
  return NULL;
}

// Each codec state's size is told to V8 (napi_adjust_external_memory) and taken back when it is
// freed: a JS handle is a few bytes, so without it V8 feels no pressure to collect them and the
// native states (≈ 10-20 kB each) pile up between major GCs (docs/hardening.md "Soak").
static void free_encoder(napi_env env, void *data, void *hint) {
  int64_t left; opus_encoder_destroy(data); napi_adjust_external_memory(env, -(int64_t)(intptr_t)hint, &left);
}
static void free_decoder(napi_env env, void *data, void *hint) {
  int64_t left; opus_decoder_destroy(data); napi_adjust_external_memory(env, -(int64_t)(intptr_t)hint, &left);
}
static napi_value wrap_state(napi_env env, void *state, napi_finalize free_state, int size) {
  napi_value out; int64_t total;
  CALL(env, napi_create_external(env, state, free_state, (void *)(intptr_t)size, &out));
  CALL(env, napi_adjust_external_memory(env, size, &total));
  return out;
}

static int32_t arg_int(napi_env env, napi_value v) { int32_t x = 0; napi_get_value_int32(env, v, &x); return x; }

// createEncoder(sampleRate, channels, bitrate, fec, lossPct): VOIP application, VBR (libopus' default).
static napi_value create_encoder(napi_env env, napi_callback_info info) {
  size_t argc = 5; napi_value argv[5];
  CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) { napi_throw_type_error(env, NULL, "createEncoder(sampleRate, channels, bitrate, fec, lossPct)"); return NULL; }
  int err = 0;
  OpusEncoder *enc = opus_encoder_create(arg_int(env, argv[0]), arg_int(env, argv[1]), OPUS_APPLICATION_VOIP, &err);
  if (err != OPUS_OK) return throw_opus(env, "opus_encoder_create", err);
  int ctls[3][2] = { { OPUS_SET_BITRATE_REQUEST, arg_int(env, argv[2]) },
                     { OPUS_SET_INBAND_FEC_REQUEST, arg_int(env, argv[3]) },
                     { OPUS_SET_PACKET_LOSS_PERC_REQUEST, arg_int(env, argv[4]) } };
  for (int i = 0; i < 3; i++) {
    err = opus_encoder_ctl(enc, ctls[i][0], ctls[i][1]);
    if (err != OPUS_OK) { opus_encoder_destroy(enc); return throw_opus(env, "opus_encoder_ctl", err); }
  }
  return wrap_state(env, enc, free_encoder, opus_encoder_get_size(arg_int(env, argv[1])));
}

// encode(encoder, pcm: Buffer of int16 LE, one frame) -> Buffer (one Opus packet)
static napi_value encode(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2];
  CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *enc; void *pcm; size_t len;
  CALL(env, napi_get_value_external(env, argv[0], &enc));
  CALL(env, napi_get_buffer_info(env, argv[1], &pcm, &len));
  unsigned char packet[MAX_PACKET];
  opus_int32 n = opus_encode(enc, pcm, (int)(len / 2), packet, MAX_PACKET);
  if (n < 0) return throw_opus(env, "opus_encode", n);
  napi_value out;
  CALL(env, napi_create_buffer_copy(env, (size_t)n, packet, NULL, &out));
  return out;
}

// createDecoder(sampleRate, channels)
static napi_value create_decoder(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2];
  CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int err = 0;
  OpusDecoder *dec = opus_decoder_create(arg_int(env, argv[0]), arg_int(env, argv[1]), &err);
  if (err != OPUS_OK) return throw_opus(env, "opus_decoder_create", err);
  return wrap_state(env, dec, free_decoder, opus_decoder_get_size(arg_int(env, argv[1])));
}

// resetDecoder(decoder): back to the state of a fresh one (OPUS_RESET_STATE), without allocating one
static napi_value reset_decoder(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1];
  CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *dec;
  CALL(env, napi_get_value_external(env, argv[0], &dec));
  int err = opus_decoder_ctl(dec, OPUS_RESET_STATE);
  if (err != OPUS_OK) return throw_opus(env, "opus_decoder_ctl(OPUS_RESET_STATE)", err);
  return NULL;
}

// decode(decoder, packet: Buffer | null, frameSamples, fec: boolean) -> Buffer of int16 LE.
// packet null: libopus' PLC for exactly frameSamples. fec true: the missing frame *before* `packet`,
// from its in-band FEC (LBRR); libopus conceals instead where the packet carries none.
static napi_value decode(napi_env env, napi_callback_info info) {
  size_t argc = 4; napi_value argv[4];
  CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *dec; void *data = NULL; size_t len = 0; bool fec = false;
  CALL(env, napi_get_value_external(env, argv[0], &dec));
  napi_valuetype t;
  CALL(env, napi_typeof(env, argv[1], &t));
  if (t != napi_null && t != napi_undefined) CALL(env, napi_get_buffer_info(env, argv[1], &data, &len));
  int32_t frame = arg_int(env, argv[2]);
  CALL(env, napi_get_value_bool(env, argv[3], &fec));
  if (frame <= 0 || frame > MAX_FRAME_SAMPLES) { napi_throw_range_error(env, NULL, "frameSamples out of range"); return NULL; }
  opus_int16 pcm[MAX_FRAME_SAMPLES];
  int n = opus_decode(dec, data, (opus_int32)len, pcm, frame, fec ? 1 : 0);
  if (n < 0) return throw_opus(env, "opus_decode", n);
  napi_value out;
  CALL(env, napi_create_buffer_copy(env, (size_t)n * 2, pcm, NULL, &out));
  return out;
}

static napi_value version(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  CALL(env, napi_create_string_utf8(env, opus_get_version_string(), NAPI_AUTO_LENGTH, &out));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "createEncoder", NULL, create_encoder, NULL, NULL, NULL, napi_default, NULL },
    { "encode", NULL, encode, NULL, NULL, NULL, napi_default, NULL },
    { "createDecoder", NULL, create_decoder, NULL, NULL, NULL, napi_default, NULL },
    { "decode", NULL, decode, NULL, NULL, NULL, napi_default, NULL },
    { "resetDecoder", NULL, reset_decoder, NULL, NULL, NULL, napi_default, NULL },
    { "version", NULL, version, NULL, NULL, NULL, napi_default, NULL },
  };
  CALL(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
