/* sysfs.c -- not yet written */
