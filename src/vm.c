/* vm.c -- not yet written */
