/* emit_decoder.h - the generated per-message JSON decoders. */
#ifndef MSGBUSGEN_EMIT_DECODER_H
#define MSGBUSGEN_EMIT_DECODER_H

#include "emit_util.h"

/* Prototypes of the read functions of every message of the schema, so
 * that one message's decoder can call another's whatever their order. */
void emit_decoder_prototypes(emitter *e);
/* X_decode of message d and its read function, after its descriptors. */
void emit_decoder(emitter *e, const decl *d);

#endif /* MSGBUSGEN_EMIT_DECODER_H */
