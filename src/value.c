/* value.c -- not yet written */
