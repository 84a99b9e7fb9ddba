/* cbc.c -- not yet written */
