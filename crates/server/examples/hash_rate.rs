//! The physical limit of the registration endpoint: argon2id hashes per second with the server's parameters,
//! on one thread and on every core. Usage: cargo run --release -p promess-server --example hash_rate [SECONDS]
use std::time::{Duration, Instant};

fn rate(threads: usize, seconds: f64) -> f64 {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            std::thread::spawn(move || {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    promess_server::password::hash("Correct-Cheval-Batterie-42").unwrap();
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    total as f64 / seconds
}

fn main() {
    let seconds: f64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("argon2id hashes/s, 1 thread: {:.1}", rate(1, seconds));
    println!("argon2id hashes/s, {cores} threads: {:.1}", rate(cores, seconds));
}
