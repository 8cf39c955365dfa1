//! The RPPS extract's import on this machine: a synthetic extract in the real format (every column), of N lines,
//! imported into a fresh SQLite database (and PostgreSQL when PROMESS_TEST_POSTGRES names a server); prints lines/s
//! and the process's peak resident memory. Usage: scripts/bench-annuaire, or
//! cargo run --release -p promess-server --example annuaire_import -- [LINES]
use std::time::Instant;

/// Peak resident memory of this process so far, in MiB (Linux: VmHWM).
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

#[tokio::main]
async fn main() {
    let lines: u64 = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(2_000_000);
    let dir = std::env::temp_dir().join(format!("promess-bench-annuaire-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("PS_LibreAcces_Personne_activite_202611280900.txt");
    // Professionals such that the file has `lines` lines (one in five has two).
    let professionals = lines * 5 / 6;
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    let written = promess_server::annuaire::synthetic::write(&mut out, professionals).unwrap();
    drop(out);
    let size = std::fs::metadata(&file).unwrap().len();
    println!("extract: {written} lines, {:.0} MB", size as f64 / 1e6);
    let before = peak_mib();
    let mut targets = vec![("sqlite", format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()))];
    if let Ok(server) = std::env::var("PROMESS_TEST_POSTGRES") {
        sqlx::any::install_default_drivers();
        let admin = sqlx::AnyPool::connect(&format!("{server}/postgres")).await.unwrap();
        sqlx::query("DROP DATABASE IF EXISTS promess_bench_annuaire WITH (FORCE)").execute(&admin).await.unwrap();
        sqlx::query("CREATE DATABASE promess_bench_annuaire").execute(&admin).await.unwrap();
        targets.push(("postgres", format!("{server}/promess_bench_annuaire")));
    }
    for (name, url) in targets {
        let db = promess_server::store::Store::connect(&url).await.unwrap();
        let started = Instant::now();
        let imported = promess_server::annuaire::import(&db, &file, "bench", 0).await.unwrap();
        let secs = started.elapsed().as_secs_f64();
        assert_eq!(imported.lignes as u64, written);
        println!(
            "{name:8} {} lines in {secs:.1} s: {:.0} lines/s; {} professionals; peak RSS {:.0} MiB (before the import: {before:.0} MiB)",
            imported.lignes,
            imported.lignes as f64 / secs,
            imported.entrees,
            peak_mib()
        );
        db.close().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}
