// Zone discovery and counter arithmetic over fake powercap trees (see testing/fake-powercap.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EnergyAccumulator } from "./accumulator.js";
import { buildZones, packageLabels, parseMicro, parseZoneDirName, pollIntervalMs, wrapDeltaUj, type RawZone } from "./powercap.js";
import { nodePowercapFs, readEnergyUj, readZones, type PowercapFs } from "./powercap-reader.js";
import { FakePowercap, oneSocketZones } from "../testing/fake-powercap.js";
import { InternalError } from "../../errors/index.js";

function tempRoot(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "alpaca-powercap-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, "powercap");
}

void test("parseZoneDirName accepts RAPL zone directories only", () => {
  assert.deepEqual(parseZoneDirName("intel-rapl:0"), { family: "intel-rapl", indices: [0] });
  assert.deepEqual(parseZoneDirName("intel-rapl:1:2"), { family: "intel-rapl", indices: [1, 2] });
  assert.deepEqual(parseZoneDirName("intel-rapl-mmio:0"), { family: "intel-rapl-mmio", indices: [0] });
  for (const bad of ["intel-rapl", "intel-rapl:", "intel-rapl:a", "dtpm", "intel-rapl:0 ", "xintel-rapl:0"]) {
    assert.equal(parseZoneDirName(bad), undefined, bad);
  }
});

void test("parseMicro reads sysfs counters and rejects junk", () => {
  assert.equal(parseMicro("123456\n"), 123456);
  assert.equal(parseMicro(""), undefined);
  assert.equal(parseMicro("-5"), undefined);
  assert.equal(parseMicro("12.5"), undefined);
  assert.equal(parseMicro("99999999999999999999"), undefined);
});

void test("one socket: every zone once, labelled, duplicates from symlinks removed", (t) => {
  const root = tempRoot(t);
  FakePowercap.create(root, oneSocketZones());
  const scan = readZones(root);
  assert.equal(scan.rootExists, true);
  assert.deepEqual(scan.problems, []);
  assert.deepEqual(
    scan.zones.map((z) => [z.id, z.label]),
    [
      ["intel-rapl:0", "package-0"],
      ["intel-rapl:0:0", "package-0/core"],
      ["intel-rapl:0:1", "package-0/uncore"],
      ["intel-rapl:1", "psys"],
    ],
  );
  // Reached through the control-type link and through the parent's directory too.
  assert.ok(scan.duplicates.length >= 4, scan.duplicates.join(", "));
  assert.equal(scan.zones[0]?.maxPowerUw, 130_000_000);
  assert.equal(scan.zones[1]?.maxPowerUw, undefined);
  assert.deepEqual(packageLabels(scan.zones), ["package-0"]);
});

void test("two sockets with dram, and an MMIO duplicate of package-0", (t) => {
  const root = tempRoot(t);
  const range = 262_143_328_850;
  FakePowercap.create(root, [
    { dir: "intel-rapl:0", name: "package-0", maxEnergyRangeUj: range, powerW: 50 },
    { dir: "intel-rapl:0:0", name: "dram", maxEnergyRangeUj: 65_712_999_613, powerW: 5 },
    { dir: "intel-rapl:1", name: "package-1", maxEnergyRangeUj: range, powerW: 40 },
    { dir: "intel-rapl:1:0", name: "dram", maxEnergyRangeUj: 65_712_999_613, powerW: 4 },
    { dir: "intel-rapl-mmio:0", name: "package-0", maxEnergyRangeUj: range, powerW: 50 },
  ]);
  const scan = readZones(root);
  assert.deepEqual(
    scan.zones.map((z) => z.label),
    ["package-0", "package-0/dram", "package-1", "package-1/dram"],
  );
  assert.ok(scan.duplicates.some((d) => d.endsWith("intel-rapl-mmio:0")));
  assert.deepEqual(packageLabels(scan.zones), ["package-0", "package-1"]);
});

void test("a package without a dram zone is fine; an MMIO-only zone is kept", (t) => {
  const root = tempRoot(t);
  FakePowercap.create(root, [
    { dir: "intel-rapl:0", name: "package-0", maxEnergyRangeUj: 1000, powerW: 1 },
    { dir: "intel-rapl:0:0", name: "core", maxEnergyRangeUj: 1000, powerW: 1 },
    { dir: "intel-rapl-mmio:0", name: "psys", maxEnergyRangeUj: 1000, powerW: 1 },
  ]);
  assert.deepEqual(
    readZones(root).zones.map((z) => z.label),
    ["package-0", "package-0/core", "psys"],
  );
});

void test("unreadable energy_uj is a problem naming the file", (t) => {
  const root = tempRoot(t);
  const zones = oneSocketZones();
  zones[0] = { ...zones[0]!, unreadable: true };
  FakePowercap.create(root, zones);
  const scan = readZones(root);
  assert.equal(scan.problems.length, 1);
  assert.match(scan.problems[0]?.path ?? "", /intel-rapl:0\/energy_uj$/);
  assert.match(scan.problems[0]?.reason ?? "", /EISDIR/);
  assert.ok(!scan.zones.some((z) => z.id === "intel-rapl:0"));
});

void test("permission denied through an injected reader", (t) => {
  const root = tempRoot(t);
  FakePowercap.create(root, oneSocketZones());
  const denying: PowercapFs = {
    ...nodePowercapFs,
    readFile: (p) => {
      if (p.endsWith("/energy_uj")) throw Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
      return nodePowercapFs.readFile(p);
    },
  };
  const scan = readZones(root, denying);
  assert.equal(scan.zones.length, 0);
  assert.equal(scan.problems.length, 4);
  assert.ok(scan.problems.every((p) => p.reason === "permission denied (EACCES)"));
  assert.throws(() => readEnergyUj({ energyPath: `${root}/intel-rapl:0/energy_uj` }, denying), /intel-rapl:0\/energy_uj: permission denied \(EACCES\)/);
});

void test("empty and missing powercap directories", (t) => {
  const root = tempRoot(t);
  assert.deepEqual(readZones(root), { root, rootExists: false, zones: [], problems: [], duplicates: [] });
  fs.mkdirSync(root);
  fs.mkdirSync(path.join(root, "dtpm"));
  const scan = readZones(root);
  assert.equal(scan.rootExists, true);
  assert.deepEqual(scan.zones, []);
  assert.deepEqual(scan.problems, []);
});

void test("malformed files are problems, not crashes", () => {
  const base = { powerFiles: [], realPath: "", path: "/p/intel-rapl:0", dir: "intel-rapl:0" };
  const ok = (text: string) => ({ ok: true as const, text });
  const raw: RawZone[] = [
    { ...base, name: ok("package-0\n"), maxEnergyRangeUj: ok("abc\n"), energyUj: ok("1\n") },
    { ...base, dir: "intel-rapl:1", path: "/p/intel-rapl:1", realPath: "1", name: ok("package-1\n"), maxEnergyRangeUj: ok("100\n"), energyUj: ok("x\n") },
  ];
  const set = buildZones(raw);
  assert.deepEqual(set.zones, []);
  assert.deepEqual(set.problems.map((p) => p.reason), ['malformed value "abc"', 'malformed value "x"']);
});

void test("wrapDeltaUj and the accumulator across wraps", () => {
  assert.equal(wrapDeltaUj(100, 250, 1000), 150);
  assert.equal(wrapDeltaUj(900, 100, 1000), 200);
  const acc = new EnergyAccumulator([1000, 5000]);
  acc.update([900, 4000]);
  acc.update([100, 4500]); // first zone wrapped
  acc.update([700, 500]); // second zone wrapped
  assert.deepEqual(acc.totalsUj(), [800, 1500]);
  assert.throws(() => acc.update([1]), InternalError);
});

void test("counters read from the tree follow the simulator", (t) => {
  const root = tempRoot(t);
  const fake = FakePowercap.create(root, [{ dir: "intel-rapl:0", name: "package-0", maxEnergyRangeUj: 10_000_000, powerW: 25 }]);
  const zone = readZones(root).zones[0]!;
  const acc = new EnergyAccumulator([zone.maxEnergyRangeUj]);
  acc.update([readEnergyUj(zone)]);
  // 25 W for 0.13 s per step = 3.25 J; the 10 J counter wraps every ~3 steps. Read each step.
  for (let i = 0; i < 20; i++) {
    fake.advance(0.13);
    acc.update([readEnergyUj(zone)]);
  }
  assert.ok(Math.abs((acc.totalsUj()[0] ?? 0) / 1e6 - 25 * 0.13 * 20) < 1e-5);
});

void test("poll interval: a fraction of the shortest wrap period, clamped", () => {
  // 10 J at 100 W (2 × a 50 W limit) wraps every 100 ms → 25 ms.
  assert.equal(pollIntervalMs([{ maxEnergyRangeUj: 10_000_000, maxPowerUw: 100_000_000 }]), 25);
  // Typical 262 kJ range without limits: assumed 1 kW → 262 s / 4, clamped to a minute.
  assert.equal(pollIntervalMs([{ maxEnergyRangeUj: 262_143_328_850, maxPowerUw: undefined }]), 60_000);
  assert.equal(pollIntervalMs([{ maxEnergyRangeUj: 10, maxPowerUw: 1e9 }]), 1);
  assert.equal(pollIntervalMs([{ maxEnergyRangeUj: 1e9, maxPowerUw: 1e9 }, { maxEnergyRangeUj: 2e8, maxPowerUw: 1e9 }]), 50);
});
