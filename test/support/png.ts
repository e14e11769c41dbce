/**
 * The eight bytes every PNG starts with (PNG spec §5.2), written out here rather
 * than taken from `domain/attachments/magic-numbers.ts`, so the tests check the
 * rule against the standard and not against itself.
 */
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
