/**
 * Loads a committed core module beside this file (the recorder core, the replay core) once per
 * process. A missing or unreadable .wasm gives null, and the caller keeps to its JS path.
 */
import { readFileSync } from "node:fs";

const cache = new Map<string, WebAssembly.Module | null>();

/** The compiled module `name` (e.g. "replay-core.wasm") from this folder, or null. */
export function loadCoreModule(name: string): WebAssembly.Module | null {
  let m = cache.get(name);
  if (m === undefined) {
    try {
      m = new WebAssembly.Module(readFileSync(new URL(`./${name}`, import.meta.url)));
    } catch {
      m = null;
    }
    cache.set(name, m);
  }
  return m;
}
