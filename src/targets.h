/* targets.h -- targets.c's internal entry point, for tests.
 *
 * dc_targets_find runs copies of the policy's program with some rules made
 * no-ops (targets.c, step 2); the .cbc verifier never sees them otherwise. */
#ifndef DC_TARGETS_H
#define DC_TARGETS_H

#include "devcompat.h"
#include "policy.h"

/* Called with each copy of the program dc_targets_find builds (the one it
 * enumerates with, then one per variable it prunes), before it runs.  The
 * copy lives only during the call. */
typedef void (*targets_program_fn)(void *ctx, const program *copy);

/* dc_targets_find, showing `visit` (when not NULL) every copy it builds. */
dc_status targets_find_visit(const dc_policy *pol, const dc_facts *source, size_t limit,
                             targets_program_fn visit, void *visit_ctx, dc_targets **out,
                             dc_error *err);

#endif
