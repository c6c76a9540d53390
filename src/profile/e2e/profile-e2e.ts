/**
 * End-to-end checks of `alpaca profile` through the real CLI. The HTML reports looked at as a
 * user would: `alpaca profile --json --html` and
 * `alpaca energy --json --html` on examples/known_costs.wasm (model source, few runs), each page
 * loaded in headless Chromium (Debian's, driven by playwright-core). Each page must render with
 * no console error and no request leaving the file; the cost chart must have one bar per
 * function with a measured cost, and every bar's name, estimate and CI, and every table row's
 * name and status, must be those of the JSON document, in its order. A screenshot of the profile
 * report is saved to build/profile-report.png. Chromium comes from scripts/ensure-chromium.sh:
 * installed when running as root, else the browser cases skip with the command to run.
 * Bad input ends with one `alpaca: ...` line and status 125 before anything runs; Ctrl-C during
 * the measurements prints the report over what was measured, marked INTERRUPTED, exits 130 and
 * leaves no temporary folder behind.
 * Prints one line per case and `N passed, N failed`. Run with `make profile-e2e` (part of `make check`).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { envWithoutAlpaca, runCliInterrupted } from "../../../test/harness/cli.js";
import { alpaca, ROOT, runCases, type E2eCase, type Outcome } from "../../energy/e2e/cli.js";

const PROGRAM = path.join(ROOT, "build/examples/known_costs.wasm");
const ARGS = ["300000", "1", "1", "40"];
const SCREENSHOT = path.join(ROOT, "build/profile-report.png");
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];

interface FunctionJson {
  name: string;
  status: string;
  cost: { estimate: number; ci95: [number, number]; unit: string } | null;
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-5 * Math.max(Math.abs(a), Math.abs(b), 1e-12);

function chromiumOrSkip(): string | undefined {
  try {
    execFileSync("bash", [path.join(ROOT, "scripts/ensure-chromium.sh")], { stdio: ["ignore", "pipe", "inherit"] });
    return undefined;
  } catch (e) {
    return String((e as { stdout?: Buffer }).stdout ?? "").trim() || "apt-get install -y chromium";
  }
}

/** Loads `file` and checks it against `functions`; returns the page's screenshot when asked. */
async function checkPage(file: string, functions: FunctionJson[], screenshot?: string): Promise<void> {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1050, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("request", (r) => {
      if (!r.url().startsWith("file://")) requests.push(r.url());
    });
    await page.goto(`file://${file}`);
    check(errors.length === 0, `console errors: ${errors.join("; ")}`);
    check(requests.length === 0, `the page fetched ${requests.join(", ")}`);
    const bars = await page.locator("#cost-chart rect.bar").evaluateAll((els) => els.map((e) => ({ name: e.getAttribute("data-name"), estimate: Number(e.getAttribute("data-estimate")), lo: Number(e.getAttribute("data-ci-low")), hi: Number(e.getAttribute("data-ci-high")), width: Number(e.getAttribute("width")) })));
    const measured = functions.filter((f) => f.cost !== null && Number.isFinite(f.cost.estimate));
    check(bars.length === measured.length, `${bars.length} bars for ${measured.length} functions with a cost`);
    measured.forEach((f, i) => {
      const b = bars[i]!;
      check(b.name === f.name, `bar ${i + 1} is ${b.name}, the JSON's function ${i + 1} is ${f.name}`);
      check(close(b.estimate, f.cost!.estimate) && close(b.lo, f.cost!.ci95[0]) && close(b.hi, f.cost!.ci95[1]), `bar of ${f.name}: ${b.estimate} [${b.lo}, ${b.hi}], JSON ${f.cost!.estimate} [${f.cost!.ci95.join(", ")}]`);
      check(b.width > 0, `bar of ${f.name} has no width`);
    });
    const rows = await page.locator("#functions tr.fn").evaluateAll((els) => els.map((e) => ({ name: e.getAttribute("data-name"), status: e.getAttribute("data-status") })));
    check(rows.length === functions.length, `${rows.length} table rows for ${functions.length} functions`);
    functions.forEach((f, i) => check(rows[i]!.name === f.name && rows[i]!.status === f.status, `row ${i + 1}: ${rows[i]!.name} (${rows[i]!.status}), JSON ${f.name} (${f.status})`));
    const axis = await page.locator("#cost-chart .axis-label").textContent();
    check(/cost per run \((?:[kmµn]?J|[kmµn]?s)/.test(axis ?? ""), `cost axis label without a unit: ${axis}`);
    const strips = await page.locator("svg.strip").count();
    check(strips === measured.length, `${strips} run plots for ${measured.length} measured functions`);
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  } finally {
    await browser.close();
  }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "alpaca-html-e2e-"));
const skip = chromiumOrSkip();
const onOneLine = (o: Outcome, pattern: RegExp): void => {
  check(o.status === 125, `status ${o.status}, expected 125 (stderr: ${o.stderr.trim()})`);
  const lines = o.stderr.trim().split("\n");
  check(lines.length === 1 && pattern.test(lines[0] ?? ""), `stderr ${JSON.stringify(o.stderr)} does not match ${pattern}`);
};

/** `alpaca profile ARGS` with TMPDIR set to `tmpdir`, sent SIGINT once stderr matches `when`. */
function interruptedProfile(args: string[], tmpdir: string, when: RegExp): Promise<Outcome> {
  return runCliInterrupted(["profile", ...args], when, envWithoutAlpaca({ TMPDIR: tmpdir }));
}

const browserCase = (c: E2eCase): E2eCase => ({ ...c, skip: () => (skip ? `Chromium is missing; install it with: ${skip}` : undefined) });
const cases: E2eCase[] = [
  {
    name: "bad input: one line, status 125, before anything runs",
    run: async () => {
      onOneLine(await alpaca(["profile", "--top", "0", PROGRAM]), /^alpaca: --top 0: expected a whole number ≥ 1$/);
      onOneLine(await alpaca(["profile", path.join(tmp, "missing.wasm")]), /^alpaca: profile: .*missing\.wasm: no such file$/);
      onOneLine(await alpaca(["profile", "/bin/true"]), /^alpaca: profile: native programs are not supported yet/);
      onOneLine(await alpaca(["profile", "--html", path.join(tmp, "no/such/dir/r.html"), PROGRAM]), /^alpaca: --html .*: no such directory/);
      onOneLine(await alpaca(["profile", "--dir", path.join(tmp, "absent"), PROGRAM]), /^alpaca: .*absent/);
      onOneLine(await alpaca(["profile", "--source", "rapl", "--powercap-root", path.join(tmp, "absent"), PROGRAM]), /^alpaca: /);
    },
  },
  {
    name: "Ctrl-C: the report over what was measured, INTERRUPTED, exit 130, no temporary folder left",
    run: async () => {
      const own = fs.mkdtempSync(path.join(tmp, "tmpdir-"));
      const o = await interruptedProfile(["--source", "model", "--runs", "40", "--warmup", "0", "--top", "3", PROGRAM, ...ARGS], own, /phase 2 \[1\/\d+\]: .*\n(?:.*\n)*alpaca: energy: round 2/);
      check(o.status === 130, `status ${o.status}, expected 130: ${o.stderr.slice(-400)}`);
      check(/INTERRUPTED/.test(o.stdout), `no INTERRUPTED in the report: ${o.stdout}`);
      check(/not measured: interrupted/.test(o.stdout), `the functions after the interruption are not listed as not measured: ${o.stdout}`);
      const left = fs.readdirSync(own);
      check(left.length === 0, `left in TMPDIR: ${left.join(", ")}`);
    },
  },
  browserCase({
    name: "profile --html: one bar per measured function, names and numbers as in --json, no console error",
    run: async () => {
      const html = path.join(tmp, "profile.html");
      const o = await alpaca(["profile", "--source", "model", "--runs", "3", "--warmup", "0", "--top", "4", "--json", "--html", html, "-q", PROGRAM, ...ARGS]);
      check(o.status === 0, `status ${o.status}: ${o.stderr}`);
      const doc = JSON.parse(o.stdout) as { functions: FunctionJson[] };
      check(doc.functions.length >= 3, `only ${doc.functions.length} functions profiled`);
      await checkPage(html, doc.functions, SCREENSHOT);
    },
  }),
  browserCase({
    name: "energy --html: the function's bar and runs, as in --json",
    run: async () => {
      const html = path.join(tmp, "energy.html");
      const o = await alpaca(["energy", "--func", "big_kernel", "--source", "model", "--runs", "3", "--warmup", "0", "--json", "--html", html, "-q", PROGRAM, ...ARGS]);
      check(o.status === 0, `status ${o.status}: ${o.stderr}`);
      const doc = JSON.parse(o.stdout) as { func: string; summary: { primary: string; cost: Array<{ metric: string; estimate: number; ci95: [number, number]; unit: string }> } };
      const c = doc.summary.cost.find((x) => x.metric === doc.summary.primary)!;
      await checkPage(html, [{ name: doc.func, status: "measured", cost: c }]);
    },
  }),
];
let counts = { passed: 0, failed: 0 };
try {
  counts = await runCases(cases);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
if (!skip && counts.passed) console.log(`screenshot: ${path.relative(ROOT, SCREENSHOT)}`);
console.log(`${counts.passed} passed, ${counts.failed} failed`);
process.exitCode = counts.failed ? 1 : 0;
