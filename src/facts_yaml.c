/* facts_yaml.c -- not yet written */
