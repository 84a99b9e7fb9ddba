/* semver.c -- not yet written */
