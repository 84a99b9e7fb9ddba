/* compile.c -- not yet written */
