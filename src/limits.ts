/**
 * Every limit and default of wspub, in one place. Format constants that are part of what is stored
 * in the bucket (shard sizes, the filter version) stay with the format they define.
 */

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Parallel requests: `--concurrency`, WSPUB_CONCURRENCY, config "concurrency", the Action's input. */
export const CONCURRENCY = { min: 1, max: 64, default: 16 } as const;

/** How long a publish waits for a lock another publisher holds (`--lock-wait`, in ms). */
export const LOCK_WAIT_MS = 300_000;
/** The lock's lease; renewed every third of it. WSPUB_LEASE_MS shortens it in tests. */
export const LEASE_MS = 60_000;

/** A long run of writes collects garbage after every this many objects (see heap.ts). */
export const COLLECT_EVERY = 2000;

/** Blobs up to this size are read whole through the shared `git cat-file --batch`; larger ones stream. */
export const STREAM_THRESHOLD = 8 * MiB;
/**
 * A change up to this many files and bytes is read from git before anything is written, so that
 * its objects and its manifest are written together (one round of requests instead of three).
 */
export const TOGETHER_MAX_FILES = 1000;
export const TOGETHER_MAX_BYTES = 32 * MiB;
/** Part size of multipart uploads. */
export const PART_SIZE = 8 * MiB;
/** S3's CopyObject limit; larger objects are uploaded again instead of copied. */
export const MAX_COPY_BYTES = 5 * GiB;
/** S3's limit on a key's length, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** DeleteObjects takes at most this many keys per request. */
export const DELETE_BATCH = 1000;

/** Files up to this size are scanned for credentials by content (filter/credentials.ts); larger ones are not. */
export const CREDENTIAL_SCAN_MAX_BYTES = 1 * MiB;
/** Blob reads in flight while the credential scan lints (at most this many times CREDENTIAL_SCAN_MAX_BYTES held). */
export const CREDENTIAL_SCAN_READS = 16;
/** After a credential scan of this many bytes, a full garbage collection (heap.ts) before the writes. */
export const CREDENTIAL_SCAN_COLLECT_BYTES = 16 * MiB;

/** Changed paths per publish beyond which the whole tree is compared instead. */
export const MAX_INCREMENTAL_PATHS = 5000;
/** The changed paths go on one `git ls-tree` command line: stay far below ARG_MAX (2 MiB on Linux). */
export const MAX_ARG_BYTES = 512 * KiB;

/** Changed paths of each kind a publish result lists (a first publish of 100k files would be huge). */
export const MAX_LISTED_CHANGES = 200;
/** Changed paths, and skipped submodules, the Action's job summary lists. */
export const SUMMARY_MAX_CHANGES = 100;
export const SUMMARY_MAX_SUBMODULES = 20;
/** Withheld secret-looking files named in the notice. */
export const MAX_NAMED_WITHHELD = 10;

/** S3 client: connecting, and a server that accepts a connection and then says nothing. */
export const S3_CONNECT_TIMEOUT_MS = 5_000;
export const S3_REQUEST_TIMEOUT_MS = 120_000;
/** Attempts at a small GET whose body is cut short after the headers (the SDK does not retry those). */
export const SMALL_READ_ATTEMPTS = 3;

/** rclone remote control: vfs/forget only touches memory; vfs/refresh lists the whole workspace. */
export const RC_FORGET_TIMEOUT_MS = 15_000;
export const RC_REFRESH_TIMEOUT_MS = 120_000;
/** rclone mount's default --attr-timeout. */
export const DEFAULT_ATTR_TIMEOUT_MS = 1000;
/** Waited past a mount's attribute timeout: kernel timeouts are kept in jiffies. */
export const KERNEL_MARGIN_MS = 100;
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** Hooks: how long the newest request must stay the newest before it is published (WSPUB_HOOK_QUIET_MS). */
export const HOOK_QUIET_MS = 500;
/** Hooks: how long the background publisher waits for a rebase or cherry-pick to end. */
export const HOOK_BUSY_WAIT_MS = 30 * 60_000;
/** Hooks: the log is halved when it grows past this. */
export const HOOK_LOG_MAX_BYTES = 1 * MiB;
/** Hooks: reflog entries searched for a commit this repository replaced by amend or rebase. */
export const REFLOG_DEPTH = 2000;

/** Background publishes (hooks, `wspub watch`) retry failures after these delays, the last repeating. */
export const RETRY_DELAYS_S: readonly number[] = [1, 2, 5, 15, 30, 60];
/** ...for at most this long; then the next ref move (or the watch's next reconcile) tries again. */
export const RETRY_MAX_S = 600;

/** `wspub watch`: how often repositories are polled and reconciled by default, in seconds. */
export const WATCH_POLL_S = 5;
export const WATCH_RECONCILE_S = 60;
/** `wspub watch`: quiet time after a change in a repository's git files before its tip is read. */
export const WATCH_DEBOUNCE_MS = 50;
/** `wspub watch`: publishes at once, across repositories. */
export const WATCH_PARALLEL = 2;
/** `wspub watch`: after SIGTERM, how long the publishes under way may take before they are abandoned. */
export const WATCH_STOP_GRACE_MS = 8_000;
/** `wspub watch`: how long a /healthz answer is reused. */
export const WATCH_HEALTH_CACHE_MS = 5_000;
