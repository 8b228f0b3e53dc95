/* emit_codec.h - the generated per-message JSON encoders. */
#ifndef MSGBUSGEN_EMIT_CODEC_H
#define MSGBUSGEN_EMIT_CODEC_H

#include "emit_util.h"

/* X_encode_buf and X_encode of message d, after its descriptor table. */
void emit_codec_encoders(emitter *e, const decl *d);

#endif /* MSGBUSGEN_EMIT_CODEC_H */
