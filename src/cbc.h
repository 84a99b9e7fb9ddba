/* cbc.h -- compiled policies on disk (.cbc) and the program verifier.
 *
 * The file format is described byte by byte in docs/bytecode.md;
 * cbc_write.c implements dc_policy_save, cbc_read.c dc_policy_load, and
 * cbc_verify.c the verifier both the loader and the tests run. */
#ifndef DC_CBC_H
#define DC_CBC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "program.h"

/* The first bytes of every .cbc file: "DCBC", ^Z, CR, LF, NUL. */
#define CBC_MAGIC     "DCBC\x1a\r\n"
#define CBC_MAGIC_LEN 8
#define CBC_VERSION   2 /* the newest; version 1 has no records */

/* The layout (docs/bytecode.md, "Layout"). */
enum {
    HEADER_SIZE = 32,
    SECTION_ENTRY = 16,
    OFF_CHECKSUM = 12,
};

typedef enum sec_id {
    SEC_PROGRAM = 1,
    SEC_POOL,
    SEC_CONSTS,
    SEC_STRS,
    SEC_CMPS,
    SEC_RANGES,
    SEC_SVSETS,
    SEC_CTABLES,
    SEC_TPARTS,
    SEC_TMPLS,
    SEC_SLOTS,
    SEC_VARS,
    SEC_RULES,
    SEC_BLOCKS,
    SEC_CODE,
    SEC_RECSETS,
    SEC_RECFIELDS, /* version 2 */
    SEC__END
} sec_id;

#define NSECTIONS (SEC__END - 1)

/* The sections a file of a format version has (0: a version not read):
 * version 1 the first 15, version 2 all 17.  A program without records is
 * written as version 1, byte for byte what earlier releases wrote. */
static inline unsigned cbc_nsections(unsigned version)
{
    return version == 1 ? SEC_CODE : version == 2 ? SEC_RECFIELDS : 0;
}

/* Name and record size of each section, by id (cbc.c). */
typedef struct cbc_section {
    const char *name;
    uint32_t size;
} cbc_section;

extern const cbc_section cbc_sections[SEC__END];

/* The checksum of a file: CRC-32 of every byte but the checksum field's. */
uint32_t cbc_file_crc(const uint8_t *p, size_t len);

/* Check a whole program as the VM will run it: every index, offset, length,
 * jump and register, and the type of every register read (docs/bytecode.md,
 * "What the verifier guarantees").  Returns true when the VM can run the
 * program on any prepared facts without reading out of bounds, looping or
 * confusing types.  Otherwise writes one message (without a file name, e.g.
 * "instruction 12 (FCMP): register 40 out of range (16 registers)") into
 * msg[cap] and returns false.  Works on the serialisable tables only (it
 * does not need program_link). */
bool cbc_verify(const program *p, char *msg, size_t cap);

/* Is `data` the start of a .cbc file (its magic)? */
bool cbc_is_cbc(const void *data, size_t len);

#endif
