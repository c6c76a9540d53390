/**
 * The user's log key: 32 random bytes in $XDG_CONFIG_HOME/alpaca/log-key (default
 * ~/.config/alpaca/log-key), made on first use with mode 0600 in a folder of mode 0700. Logs
 * are MACed with it (mac.ts), so a log verifies only for the user who made it, unedited.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { EnvironmentError } from "../errors/index.js";

const KEY_BYTES = 32;

/** Where the key lives for this environment. */
export function userKeyPath(env: NodeJS.ProcessEnv): string {
  const config = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith("/") ? env.XDG_CONFIG_HOME : join(env.HOME ?? homedir(), ".config");
  return join(config, "alpaca", "log-key");
}

/** Reads the user's key, making it first if there is none. */
export function loadUserKey(env: NodeJS.ProcessEnv = process.env): Uint8Array {
  const path = userKeyPath(env);
  try {
    return checked(readFileSync(path), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw wrap(error, path);
  }
  try {
    mkdirSync(join(path, ".."), { recursive: true, mode: 0o700 });
    // wx: when two alpaca processes make it at once, one writes and the other reads its key.
    writeFileSync(path, randomBytes(KEY_BYTES), { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw wrap(error, path);
  }
  try {
    return checked(readFileSync(path), path);
  } catch (error) {
    throw wrap(error, path);
  }
}

function checked(key: Buffer, path: string): Uint8Array {
  if (key.length !== KEY_BYTES) throw new EnvironmentError(`log key ${path} is ${key.length} bytes, not ${KEY_BYTES}: remove it and alpaca makes a new one (logs made with it will no longer verify)`);
  return new Uint8Array(key);
}

function wrap(error: unknown, path: string): unknown {
  if (error instanceof EnvironmentError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  return new EnvironmentError(`cannot use the log key ${path}: ${code}`, { cause: error });
}
