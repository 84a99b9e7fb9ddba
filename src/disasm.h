/* disasm.h -- a program as text (`compatc disasm`, reasons). */
#ifndef DC_DISASM_H
#define DC_DISASM_H

#include <stddef.h>

#include "program.h"

/* The disassembler: the program as text (snprintf-style). */
size_t disasm_program(const program *p, char *buf, size_t cap);

/* Render a constraint table as text (for disasm and reasons). */
size_t ctable_render(const program *p, const ctable *ct, char *buf, size_t cap);

#endif
