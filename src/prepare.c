/* prepare.c -- not yet written */
