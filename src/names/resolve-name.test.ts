/** --func resolution (issue 17): the order of the rules, ambiguity, parameter lists, close names. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { closeNames, displayName, resolveFunctionName, withoutParams } from "./resolve-name.js";

const FNS = [
  { index: 3, name: "dummy" },
  { index: 4, name: "dummy" },
  { index: 5, name: "_start", exports: ["_start"] },
  { index: 6, name: "Scene::step(float)" },
  { index: 7, name: "Scene::step(int)" },
  { index: 8, name: "_ZN5r_vec10make_words17ha07693be288b9f09E" },
  { index: 9, name: "helper", exports: ["run"] },
  { index: 10, name: "ns::Outer<int>::get() const" },
];
const pick = (q: string): number => resolveFunctionName(q, FNS, "prog.wasm").index;

describe("--func resolution", () => {
  it("takes the exact name, then an export name, then #INDEX", () => {
    assert.equal(pick("helper"), 9);
    assert.equal(pick("run"), 9);
    assert.equal(pick("#4"), 4);
    assert.throws(() => pick("#99"), /prog\.wasm has no function with index 99/);
  });
  it("takes demangled names: Rust without the hash, C++ with or without its parameters, and mangled input", () => {
    assert.equal(displayName("_ZN5r_vec10make_words17ha07693be288b9f09E"), "r_vec::make_words");
    assert.equal(pick("r_vec::make_words"), 8);
    assert.equal(pick("Scene::step(int)"), 7);
    assert.equal(pick("Scene::step( int )"), 7);
    assert.equal(pick("_ZN5Scene4stepEf"), 6);
    assert.equal(pick("ns::Outer<int>::get"), 10);
  });
  it("takes a unique ::-suffix", () => {
    assert.equal(pick("make_words"), 8);
    assert.equal(pick("get"), 10);
  });
  it("lists the candidates of an ambiguous name with their indices", () => {
    assert.throws(() => pick("dummy"), /--func dummy is ambiguous: 2 functions have that name \(#3 dummy, #4 dummy\); choose one by its index, as --func '#3'/);
    assert.throws(() => pick("step"), /ambiguous: 2 functions .*#6 Scene::step\(float\), #7 Scene::step\(int\)/);
  });
  it("suggests close names when nothing matches", () => {
    assert.throws(() => pick("make_wrds"), /^UsageError: function make_wrds not found in prog\.wasm; did you mean make_words\?$/);
    assert.throws(() => pick("zzzzzzzz"), /^UsageError: function zzzzzzzz not found in prog\.wasm$/);
    assert.deepEqual(closeNames("divmd", ["divmod", "main", "div"]), ["divmod", "div"]);
  });
  it("strips a parameter list and its qualifiers, and nothing else", () => {
    assert.equal(withoutParams("A::f(int, std::pair<int, int>) const"), "A::f");
    assert.equal(withoutParams("f(void (*)(int))"), "f");
    assert.equal(withoutParams("plain_c_name"), "plain_c_name");
  });
});
