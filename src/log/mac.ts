/**
 * What makes an effect log trustworthy input (issue 16): a keyed MAC over the whole file, and
 * environment variables stored as keyed digests instead of values. The key is the user's own
 * (user-key.ts); a log made with another key, or edited after it was written, does not verify.
 * HMAC-SHA-256 from node:crypto throughout. Also the token the energy command hands its runs
 * to say "this file was already checked", which only the key's holder can make.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { ENV_DIGEST_BYTES, type EnvVar } from "./format.js";
import type { LogSource, OpenedLog } from "./decoder.js";

/** How much of the log one read takes while the MAC is computed. */
const MAC_CHUNK_BYTES = 1 << 20;

/** Domain prefixes, so a tag made for one purpose never verifies for another. */
const DOMAIN = { env: "alpaca-env\0", checked: "alpaca-checked\0" } as const;

export type MacVerdict = "verified" | "mismatch" | "absent";

/** The keyed digest of one environment variable, as the log's header holds it. */
export function envDigest(key: Uint8Array, name: string, value: string): Uint8Array {
  return createHmac("sha256", key).update(DOMAIN.env).update(`${name}=${value}`).digest().subarray(0, ENV_DIGEST_BYTES);
}

/** An environment as the log's header holds it: names, and digests of NAME=value. */
export function envVars(key: Uint8Array, env: Record<string, string>): EnvVar[] {
  return Object.entries(env).map(([name, value]) => ({ name, digest: envDigest(key, name, value) }));
}

/**
 * The names of the variables that differ between the logged environment and `env`: missing
 * on one side, or with another value. Values from v1/v2 logs are compared as they are.
 */
export function envDifferences(key: Uint8Array, logged: readonly EnvVar[], env: Record<string, string>): string[] {
  const differ = new Set<string>();
  const seen = new Set<string>();
  for (const v of logged) {
    seen.add(v.name);
    const now = env[v.name];
    if (now === undefined) differ.add(v.name);
    else if (v.digest ? !Buffer.from(v.digest).equals(envDigest(key, v.name, now)) : v.value !== now) differ.add(v.name);
  }
  for (const name of Object.keys(env)) if (!seen.has(name)) differ.add(name);
  return [...differ].sort();
}

/** An HMAC-SHA-256 over the bytes written, fed as they are written (LogFile). */
export function logMac(key: Uint8Array): { update(bytes: Uint8Array): void; digest(): Uint8Array } {
  const h = createHmac("sha256", key);
  return { update: (bytes) => void h.update(bytes), digest: () => h.digest() };
}

/** Whether the opened log's MAC block verifies with `key`, reading the log in 1 MiB pieces. */
export function verifyLogMac(log: OpenedLog, source: LogSource, key: Uint8Array): MacVerdict {
  if (!log.mac) return "absent";
  const h = createHmac("sha256", key);
  for (let pos = 0; pos < log.mac.coveredBytes; pos += MAC_CHUNK_BYTES) {
    h.update(source.read(pos, Math.min(MAC_CHUNK_BYTES, log.mac.coveredBytes - pos)));
  }
  return timingSafeEqual(h.digest(), log.mac.tag) ? "verified" : "mismatch";
}

/** The token saying the log file with this identity (backend/log-source.ts) was checked and verified. */
export function checkedToken(key: Uint8Array, identity: string): string {
  return `${identity}/${createHmac("sha256", key).update(DOMAIN.checked).update(identity).digest("hex")}`;
}

/** Whether `token` is checkedToken(key, identity): made by this key's holder for this very file. */
export function isCheckedToken(key: Uint8Array, identity: string, token: string | undefined): boolean {
  if (token === undefined) return false;
  const want = Buffer.from(checkedToken(key, identity));
  const got = Buffer.from(token);
  return want.length === got.length && timingSafeEqual(want, got);
}
