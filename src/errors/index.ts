/**
 * Error classes shared by every layer. Each has a stable `code`; only the CLI prints them and
 * chooses the exit status (125 for any AlpacaError). Messages are lowercase and say what and
 * where, e.g. `log: unknown record tag 0x07 at byte 1234`.
 */

/** Base class of every error Alpaca raises on purpose. */
export class AlpacaError extends Error {
  readonly code: string = "ALPACA";
  /** A second line telling the user how to fix it, when there is one. */
  readonly hint: string | undefined;
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options?.hint;
  }
}

/** Bad command line or option values. */
export class UsageError extends AlpacaError {
  override readonly code = "USAGE";
}

/** Malformed binary input (a module or a log), with the byte offset where it went wrong. */
export class DecodeError extends AlpacaError {
  override readonly code: string = "DECODE";
  constructor(
    message: string,
    readonly offset: number,
    options?: { cause?: unknown },
  ) {
    super(`${message} at byte ${offset}`, options);
  }
}

/** Binary input that ends before a structure it declares is complete. */
export class TruncatedError extends DecodeError {
  override readonly code = "TRUNCATED";
}

/** A log written by a newer version of Alpaca than this one. */
export class UnsupportedVersionError extends AlpacaError {
  override readonly code = "UNSUPPORTED_VERSION";
}

/** The machine or environment cannot do what was asked (no RAPL, no ptrace, missing tool). */
export class EnvironmentError extends AlpacaError {
  override readonly code = "ENVIRONMENT";
}

/** A replay that cannot continue faithfully (more calls than logged, mismatched program). */
export class ReplayError extends AlpacaError {
  override readonly code = "REPLAY";
}

/**
 * A message between alpaca's own processes (the energy sampler's channel) that is malformed: a
 * stray or damaged file, or a peer of another version.
 */
export class ProtocolError extends AlpacaError {
  override readonly code = "PROTOCOL";
}

/**
 * A broken invariant inside alpaca: a bug, never something a user or a program can cause. The
 * CLI prints it as an internal error.
 */
export class InternalError extends AlpacaError {
  override readonly code = "INTERNAL";
}

/**
 * Adds where an error happened in front of its message (`${prefix}: ...`), keeping its class,
 * code and offset: an edge adds context to a decode error instead of turning it into another kind.
 */
export function withContext<E extends AlpacaError>(error: E, prefix: string): E {
  error.message = `${prefix}: ${error.message}`;
  return error;
}

const FILE_ERROR_REASONS: Record<string, string> = {
  ENOENT: "no such file",
  EISDIR: "is a directory",
  ENOTDIR: "a component of the path is not a directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  ELOOP: "too many symbolic links",
};

/**
 * A Node file-system error in words (`no such file`, `is a directory`, ...), the code itself
 * where no words are known; `notFound` replaces the ENOENT wording (`no such file (run alpaca
 * analyze first)`).
 */
export function fileErrorReason(cause: unknown, notFound?: string): string {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined) return String(cause);
  if (code === "ENOENT" && notFound !== undefined) return notFound;
  return FILE_ERROR_REASONS[code] ?? code;
}
