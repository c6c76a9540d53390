// Rust as users write it (issue 17): functions whose names the name section holds mangled with
// a hash (`_ZN5words10make_words17h…E`), Vec<String> returns, a HashMap through &mut, println!
// inside F, and (with the argument `panic`) a panic on the last call, which is a Wasm trap.
use std::collections::HashMap;
use std::env;

#[inline(never)]
fn make_words(round: usize) -> Vec<String> {
    let base = ["alpha", "beta", "gamma", "delta", "epsilon"];
    (0..(round % 5) + 3).map(|i| format!("{}{}", base[(i + round) % base.len()], i % 3)).collect()
}

#[inline(never)]
fn count_into(counts: &mut HashMap<String, usize>, words: &[String], round: usize, last: usize, panic_last: bool) -> usize {
    for w in words {
        *counts.entry(w.clone()).or_insert(0) += 1;
    }
    println!("round {}: {} words, {} distinct so far", round, words.len(), counts.len());
    if panic_last && round == last {
        panic!("the last round panics, as asked");
    }
    counts.len()
}

#[inline(never)]
fn depth(n: u64) -> u64 {
    if n == 0 { 0 } else { 1 + depth(n - 1) / 2 * 2 + (n & 1) }
}

fn main() {
    let args: Vec<String> = env::args().collect();
    if args.len() > 2 && args[1] == "depth" {
        let n: u64 = args[2].parse().unwrap();
        println!("depth({}) = {}", n, depth(n));
        return;
    }
    let panic_last = args.iter().any(|a| a == "panic");
    let rounds = 12;
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut total = 0;
    for round in 0..rounds {
        let words = make_words(round);
        total += count_into(&mut counts, &words, round, rounds - 1, panic_last);
    }
    let mut keys: Vec<_> = counts.iter().collect();
    keys.sort();
    println!("total {} over {} words: {:?}", total, keys.len(), keys.iter().take(3).collect::<Vec<_>>());
}
