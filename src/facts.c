/* facts.c -- not yet written */
