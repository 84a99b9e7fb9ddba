/* ast.c -- not yet written */
