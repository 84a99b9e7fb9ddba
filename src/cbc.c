/* cbc.c -- what writing and reading a .cbc file share: its sections and
 * its checksum (docs/bytecode.md has the layout byte by byte).  Writing is
 * cbc_write.c, reading cbc_read.c, the verifier cbc_verify.c. */
#include <string.h>

#include "cbc.h"

/* Name and record size of each section, by id. */
const cbc_section cbc_sections[SEC__END] = {
    [SEC_PROGRAM] = { "program", 20 },
    [SEC_POOL] = { "pool", 1 },
    [SEC_CONSTS] = { "constants", 48 },
    [SEC_STRS] = { "strings", 8 },
    [SEC_CMPS] = { "comparators", 40 },
    [SEC_RANGES] = { "ranges", 16 },
    [SEC_SVSETS] = { "semver-sets", 8 },
    [SEC_CTABLES] = { "tables", 32 },
    [SEC_TPARTS] = { "template-parts", 16 },
    [SEC_TMPLS] = { "templates", 16 },
    [SEC_SLOTS] = { "slots", 12 },
    [SEC_VARS] = { "variables", 12 },
    [SEC_RULES] = { "rules", 24 },
    [SEC_BLOCKS] = { "blocks", 40 },
    [SEC_CODE] = { "code", 8 },
    [SEC_RECSETS] = { "record-sets", 8 },
    [SEC_RECFIELDS] = { "record-fields", 12 },
};

bool cbc_is_cbc(const void *data, size_t len)
{
    /* "DCBC" and ^Z: a policy source is ASCII text, it never holds 0x1a */
    return data && len >= 5 && memcmp(data, CBC_MAGIC, 5) == 0;
}

/* ------------------------------------------------------------ CRC-32 */

/* CRC-32 as zlib and PNG compute it (reflected, polynomial 0xedb88320),
 * four bits at a time from a constant table: no global state to set up. */
static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    static const uint32_t table[16] = {
        0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
        0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
        0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
    };
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ table[crc & 15];
        crc = (crc >> 4) ^ table[crc & 15];
    }
    return ~crc;
}

/* The checksum of a file: every byte except the checksum field itself. */
uint32_t cbc_file_crc(const uint8_t *p, size_t len)
{
    uint32_t crc = crc32_update(0, p, OFF_CHECKSUM);
    return crc32_update(crc, p + OFF_CHECKSUM + 4, len - OFF_CHECKSUM - 4);
}
