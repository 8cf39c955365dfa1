//! The verdicts that a change to the strength code must keep (issue #33: the worker's bytes may shrink, its
//! verdicts may not move): 222 passwords — French words and names, their usual variants, keyboard walks, dates,
//! passphrases, random strings — with the score each gets today. `PROMESS_BLESS_VERDICTS=1` writes today's scores
//! into the file (only when the change of a verdict is the point, said in the commit).
use promess_strength::estimate;

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/verdicts.txt");

/// The wizard's user inputs for Cécile Sage (her names and identifier).
fn user_inputs() -> Vec<String> {
    ["cecile", "sage", "cecile.sage"].map(str::to_owned).to_vec()
}

#[test]
fn every_password_keeps_its_verdict() {
    let text = std::fs::read_to_string(FILE).unwrap();
    let inputs = user_inputs();
    let mut lines = Vec::new();
    let mut moved = Vec::new();
    for line in text.lines() {
        let Some((score, password)) = line.split_once('\t').filter(|_| !line.starts_with('#')) else {
            lines.push(line.to_owned());
            continue;
        };
        let now = estimate(password, &inputs);
        if score != now.to_string() {
            moved.push(format!("{password:?}: {score} → {now}"));
        }
        lines.push(format!("{now}\t{password}"));
    }
    let rated = lines.iter().filter(|l| l.contains('\t')).count();
    assert!(rated >= 200, "{rated} passwords only");
    if std::env::var("PROMESS_BLESS_VERDICTS").as_deref() == Ok("1") {
        std::fs::write(FILE, lines.join("\n") + "\n").unwrap();
        return;
    }
    assert!(moved.is_empty(), "{} verdicts moved:\n{}", moved.len(), moved.join("\n"));
    // Every score occurs: the list tells weak from strong, it is not all one verdict.
    for score in 0..=4u8 {
        assert!(lines.iter().any(|l| l.starts_with(&format!("{score}\t"))), "no password scores {score}");
    }
}
