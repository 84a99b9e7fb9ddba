/* inventory.c -- not yet written */
