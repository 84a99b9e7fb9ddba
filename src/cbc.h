/* cbc.h -- compiled policies on disk (.cbc) and the program verifier.
 *
 * The file format is described byte by byte in docs/bytecode.md; cbc.c
 * implements dc_policy_save/load/read_file on top of these. */
#ifndef DC_CBC_H
#define DC_CBC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "program.h"

/* The first bytes of every .cbc file: "DCBC", ^Z, CR, LF, NUL. */
#define CBC_MAGIC       "DCBC\x1a\r\n"
#define CBC_MAGIC_LEN   8
#define CBC_VERSION     1

/* What the `t` byte of an instruction holds (opcodes.def):
 *   TF_SIDE  bit 7 picks the source's facts (instructions with a slot operand)
 *   TF_TYPE  bits 0-3 are a vtype (LOADF, FIELDT, CONV, FCMP)
 *   TF_CMP   bits 4-6 are a CMP_* code (FCMP)
 * Every other bit must be zero. */
enum { TF_SIDE = 1, TF_TYPE = 2, TF_CMP = 4 };
unsigned cbc_tfields(unsigned op);

/* Check a whole program as the VM will run it: every index, offset, length,
 * jump and register, and the type of every register read (docs/bytecode.md,
 * "What the verifier guarantees").  Returns true when the VM can run the
 * program on any prepared facts without reading out of bounds, looping or
 * confusing types.  Otherwise writes one message (without a file name, e.g.
 * "instruction 12 (FCMP): register 40 out of range (16 registers)") into
 * msg[cap] and returns false.  Works on the serialisable tables only (it
 * does not need program_link). */
bool cbc_verify(const program *p, char *msg, size_t cap);

/* Is `data` the start of a .cbc file (its magic)? */
bool cbc_is_cbc(const void *data, size_t len);

#endif
