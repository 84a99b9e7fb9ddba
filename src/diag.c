/* diag.c -- not yet written */
