/* disasm.c -- not yet written */
