/* result.c -- not yet written */
