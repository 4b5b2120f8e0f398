//! What a sign-in's password check costs: Argon2id with the service's parameters (19 MiB,
//! 2 passes, 1 lane), hashing and verifying, one at a time and on every core at once.
//!
//! Usage: `argon2-cost [ROUNDS]` (default 40). Prints the median, p95 and maximum of each, and
//! the sign-ins per second the machine's cores could check at most.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, reason = "a command-line benchmark that fails loudly")]

use std::time::{Duration, Instant};

use fourthp_api::credentials::{hash_password, verify_password};

fn summary(what: &str, mut times: Vec<Duration>) -> f64 {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    println!("{what:<44} n {:>4}  ms: median {:>6.1}  p95 {:>6.1}  max {:>6.1}", times.len(), ms(at(0.5)), ms(at(0.95)), ms(at(1.0)));
    ms(at(0.5))
}

fn main() {
    let rounds: usize = std::env::args().nth(1).map_or(40, |r| r.parse().expect("ROUNDS"));
    let password = "correct horse battery staple";
    let mut hashes = Vec::new();
    let mut hashing = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        hashes.push(hash_password(password, None).unwrap());
        hashing.push(t.elapsed());
    }
    summary("hash (enrolment), one at a time", hashing);
    let mut verifying = Vec::new();
    for h in &hashes {
        let t = Instant::now();
        assert!(verify_password(h, password, None));
        verifying.push(t.elapsed());
    }
    let one = summary("verify (sign-in), one at a time", verifying);
    let mut peppered = Vec::new();
    let pepper = b"a-pepper-kept-outside-the-database";
    let h = hash_password(password, Some(pepper)).unwrap();
    for _ in 0..rounds {
        let t = Instant::now();
        assert!(verify_password(&h, password, Some(pepper)));
        peppered.push(t.elapsed());
    }
    summary("verify with a pepper, one at a time", peppered);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let started = Instant::now();
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            let h = hashes[0].clone();
            std::thread::spawn(move || {
                let mut times = Vec::new();
                for _ in 0..rounds {
                    let t = Instant::now();
                    assert!(verify_password(&h, password, None));
                    times.push(t.elapsed());
                }
                times
            })
        })
        .collect();
    let all: Vec<Duration> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    let n = all.len();
    summary(&format!("verify, {cores} at once"), all);
    println!(
        "sign-ins checked per second on {cores} cores: {:.0} (one at a time: {:.0}/s per core)",
        n as f64 / started.elapsed().as_secs_f64(),
        1000.0 / one
    );
}
