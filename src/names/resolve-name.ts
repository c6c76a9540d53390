/**
 * `--func` as users type it, for both backends. A name is tried, in order, as:
 *   1. the exact symbol (Wasm name-section name, ELF symbol);
 *   2. an export name (Wasm);
 *   3. `#INDEX` (the index `alpaca functions` prints: Wasm function index, ELF address);
 *   4. a demangled name: Rust without its hash (`r_vec::make_words`), C++ without its parameter
 *      list (`Scene::step`) or with it to pick an overload (`Scene::step(float)`), or a mangled
 *      name given as such (`_ZN5Scene4stepEf`), compared after demangling;
 *   5. a unique `::`-suffix of a demangled name (`make_words`).
 * The first step with any match decides: one match is the function, several are ambiguous and
 * listed with their indices. Nothing found lists close names. Whitespace is ignored when
 * demangled names are compared (demanglers differ in `> >` against `>>`).
 */
import { UsageError } from "../errors/index.js";
import { demangle } from "./demangle.js";

export interface NamedFunction {
  /** What `#INDEX` selects. */
  index: number;
  /** The raw symbol (for C++ Wasm programs, wasm-ld has usually demangled it already). */
  name: string;
  exports?: readonly string[];
}

/** `name` as people read it: demangled, with Rust's hash left out. */
export function displayName(name: string): string {
  return demangle(name);
}

/** A demangled name without its trailing parameter list and qualifiers: `A::f(int) const` → `A::f`. */
export function withoutParams(display: string): string {
  const end = display.lastIndexOf(")");
  if (end < 0 || !/^\)\s*(const|volatile|&|&&|noexcept|\s)*$/.test(display.slice(end))) return display;
  let depth = 0;
  for (let i = end; i >= 0; i--) {
    const c = display[i];
    if (c === ")") depth++;
    else if (c === "(" && --depth === 0) return i > 0 ? display.slice(0, i) : display;
  }
  return display;
}

const squash = (s: string): string => s.replace(/\s+/g, "");

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

/** Up to three names close to `query` (edit distance), best first (for "did you mean"). */
export function closeNames(query: string, names: Iterable<string>): string[] {
  const q = query.toLowerCase();
  const scored: Array<{ name: string; d: number }> = [];
  for (const name of new Set(names)) {
    const short = name.toLowerCase();
    if (Math.abs(short.length - q.length) > Math.max(2, q.length / 2) && !short.includes(q)) continue;
    const d = editDistance(q, short) - (short.includes(q) ? 2 : 0);
    if (d <= Math.max(2, Math.floor(q.length / 2))) scored.push({ name, d });
  }
  return scored.sort((x, y) => x.d - y.d || x.name.localeCompare(y.name)).slice(0, 3).map((s) => s.name);
}

function pick<T extends NamedFunction>(query: string, matches: T[], how: string): T | undefined {
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) return undefined;
  const list = matches.slice(0, 12).map((f) => `#${f.index} ${displayName(f.name)}`).join(", ");
  throw new UsageError(`--func ${query} is ambiguous: ${matches.length} functions have that ${how} (${list}${matches.length > 12 ? ", ..." : ""}); choose one by its index, as --func '#${matches[0]!.index}'`);
}

/**
 * The function `query` names among `fns`, or a UsageError: not found (with close names), or
 * ambiguous (with candidates and their indices). `where` names the program in messages.
 */
export function resolveFunctionName<T extends NamedFunction>(query: string, fns: readonly T[], where: string): T {
  const exact = pick(query, fns.filter((f) => f.name === query), "name");
  if (exact) return exact;
  const exported = pick(query, fns.filter((f) => f.exports?.includes(query)), "export name");
  if (exported) return exported;
  const byIndex = /^#(\d+|0x[0-9a-f]+)$/i.exec(query);
  if (byIndex) {
    const index = Number(byIndex[1]);
    const f = fns.find((g) => g.index === index);
    if (f) return f;
    throw new UsageError(`--func ${query}: ${where} has no function with index ${index}`);
  }
  const shown = fns.map((f) => ({ f, full: squash(displayName(f.name)), base: squash(withoutParams(displayName(f.name))) }));
  const q = squash(displayName(query));
  const demangled = pick(query, shown.filter((s) => s.full === q || s.base === q).map((s) => s.f), "demangled name");
  if (demangled) return demangled;
  const suffix = pick(query, shown.filter((s) => s.base.endsWith(`::${q}`) || s.full.endsWith(`::${q}`)).map((s) => s.f), "name as the end of a qualified name");
  if (suffix) return suffix;
  const close = closeNames(query, fns.flatMap((f) => {
    const base = withoutParams(displayName(f.name));
    const sep = base.lastIndexOf("::");
    return sep >= 0 ? [base, base.slice(sep + 2)] : [base];
  }));
  const hint = close.length > 0 ? `; did you mean ${close.join(", ")}?` : "";
  throw new UsageError(`function ${query} not found in ${where}${hint}`);
}
