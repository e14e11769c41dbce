/** The message whose projection kills the server of `crash-after-write.main.ts`. */
export const CRASH_BODY = 'the projector dies while applying this message';
/** Written in DATA_DIR just before the kill, so the restarted server does not die again. */
export const CRASH_MARKER_FILE = 'crashed-after-write';
