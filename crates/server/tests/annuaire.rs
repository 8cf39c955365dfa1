//! The RPPS extract's import, on SQLite and PostgreSQL: the header checked, the zip read as the plain file, one
//! import replacing the other whole (never half a file), and the request's answers compared with it.
use promess_core::annuaire::{Check, Comparison, HeaderError};
use promess_server::annuaire::{self, ImportError, synthetic};
use std::{io::Write, path::PathBuf};

mod common;
use common::{Backend, TestApp, test_app};

async fn app_for(backend: Backend, name: &str) -> Option<TestApp> {
    test_app(backend, &format!("rpps_{name}")).await
}

on_both!(
    a_file_that_is_not_the_extract_is_refused_and_the_import_before_stays,
    the_zip_as_published_reads_as_the_plain_file,
    an_import_replaces_the_previous_one_whole,
    the_request_s_answers_are_compared_with_the_directory,
);

/// An extract in `app`'s folder, with these (type, number, surname, given name, profession) lines.
fn extract(app: &TestApp, name: &str, lines: &[(&str, &str, &str, &str, &str)]) -> PathBuf {
    let path = app.dir.join(name);
    let mut out = std::fs::File::create(&path).unwrap();
    writeln!(out, "{}", synthetic::HEADER).unwrap();
    for (kind, number, nom, prenom, profession) in lines {
        synthetic::line(&mut out, kind, number, nom, prenom, profession, "Libellé", "BORDEAUX").unwrap();
    }
    path
}

const SAGE: (&str, &str, &str, &str, &str) = ("8", "99700771191", "SAGE", "CECILE", "50");
const MARTIN: (&str, &str, &str, &str, &str) = ("8", "10005173140", "MARTIN", "PAUL", "10");

async fn import(app: &TestApp, path: &std::path::Path) -> Result<annuaire::Imported, ImportError> {
    annuaire::import(&app.store, path, "operateur.test", app.now()).await
}

async fn rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM annuaire").fetch_one(&app.db).await.unwrap()
}

async fn a_file_that_is_not_the_extract_is_refused_and_the_import_before_stays(app: &TestApp) {
    let good = extract(app, "PS_LibreAcces_Personne_activite_202611010900.txt", &[SAGE]);
    import(app, &good).await.unwrap();
    let other = app.dir.join("autre.txt");
    std::fs::write(&other, "nom|prenom|rpps|\nSAGE|CECILE|99700771191|\n").unwrap();
    let refused = import(app, &other).await.unwrap_err();
    assert!(matches!(refused, ImportError::Header(HeaderError::NotTheExtract)), "{refused:?}");
    assert!(refused.message().contains("n'est pas l'extraction RPPS"), "{}", refused.message());
    let without = app.dir.join("sans-nom.txt");
    std::fs::write(&without, synthetic::HEADER.replace("Nom d'exercice|", "")).unwrap();
    assert!(matches!(import(app, &without).await, Err(ImportError::Header(HeaderError::Missing("Nom d'exercice")))));
    // A file cut by a bad byte in its middle: nothing of it is kept.
    let broken = extract(app, "casse.txt", &[MARTIN]);
    let mut bytes = std::fs::read(&broken).unwrap();
    bytes.extend_from_slice(b"8|1000\xff\xfe|MARTIN|\n");
    std::fs::write(&broken, bytes).unwrap();
    assert!(matches!(import(app, &broken).await, Err(ImportError::Read(_))));

    let current = annuaire::current(&app.store).await.unwrap().unwrap();
    assert_eq!((current.date_extraction.as_deref(), current.entrees), (Some("2026-11-01"), 1));
    assert_eq!(annuaire::lookup(&app.store, "8", "99700771191").await.unwrap().len(), 1);
    assert!(annuaire::lookup(&app.store, "8", "10005173140").await.unwrap().is_empty());
    assert_eq!(rows(app).await, 1, "the failed imports left no row");
}

async fn the_zip_as_published_reads_as_the_plain_file(app: &TestApp) {
    let plain = extract(app, "PS_LibreAcces_Personne_activite_202611280900.txt", &[SAGE, MARTIN, MARTIN]);
    let zipped = app.dir.join("PS_LibreAcces_Personne_activite.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zipped).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("PS_LibreAcces_Personne_activite_202611280900.txt", options).unwrap();
    zip.write_all(&std::fs::read(&plain).unwrap()).unwrap();
    zip.finish().unwrap();

    let from_zip = import(app, &zipped).await.unwrap();
    // One line per activity: Paul Martin's two practices are one professional.
    assert_eq!((from_zip.lignes, from_zip.entrees, from_zip.entrees_adeli), (3, 2, 0));
    assert_eq!(from_zip.date_extraction.as_deref(), Some("2026-11-28"));
    let found = annuaire::lookup(&app.store, "8", "10005173140").await.unwrap();
    assert_eq!((found.len(), found[0].nom.as_str(), found[0].prenom.as_str()), (1, "MARTIN", "PAUL"));
    assert_eq!((found[0].commune.as_str(), found[0].libelle_profession.as_str()), ("BORDEAUX", "Libellé"));
    assert_eq!(found[0].savoir_faire, "Médecine générale");
    let from_plain = import(app, &plain).await.unwrap();
    assert_eq!((from_plain.lignes, from_plain.entrees), (from_zip.lignes, from_zip.entrees));
}

async fn an_import_replaces_the_previous_one_whole(app: &TestApp) {
    import(app, &extract(app, "a_202610010000.txt", &[SAGE])).await.unwrap();
    let adeli = ("0", "331234567", "DURAND", "MARIE", "60");
    let second = import(app, &extract(app, "b_202611010000.txt", &[MARTIN, adeli])).await.unwrap();
    assert_eq!((second.entrees, second.entrees_adeli), (2, 1));
    assert!(annuaire::lookup(&app.store, "8", "99700771191").await.unwrap().is_empty(), "the old extract is gone");
    assert_eq!(annuaire::lookup(&app.store, "8", "10005173140").await.unwrap().len(), 1);
    assert_eq!(annuaire::lookup(&app.store, "0", "331234567").await.unwrap().len(), 1);
    assert!(annuaire::lookup(&app.store, "8", "331234567").await.unwrap().is_empty(), "RPPS and ADELI apart");
    assert_eq!(rows(app).await, 2);
    let imports: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM annuaire_imports").fetch_one(&app.db).await.unwrap();
    assert_eq!(imports, 1);

    // While a big import runs, the review still reads the previous one whole, then the new one whole.
    let big = app.dir.join("PS_LibreAcces_Personne_activite_202612010000.txt");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    let lines = synthetic::write(&mut out, 30_000).unwrap();
    drop(out);
    let db = app.store.clone();
    let importing = tokio::spawn(async move { annuaire::import(&db, &big, "op", 0).await });
    let (mut seen_old, mut seen_new) = (0, false);
    while !importing.is_finished() {
        // Read in this order, the new import may become current between the two: never neither, and once the
        // new one is seen, never the old one again.
        let martin = annuaire::lookup(&app.store, "8", "10005173140").await.unwrap().len();
        let generated = annuaire::lookup(&app.store, "8", "10000000001").await.unwrap().len();
        assert!(martin + generated >= 1, "one import is always visible");
        assert!(!(seen_new && martin > 0), "the old import came back");
        seen_new |= generated > 0;
        seen_old += martin;
    }
    let imported = importing.await.unwrap().unwrap();
    assert_eq!(imported.lignes as u64, lines);
    assert!(annuaire::lookup(&app.store, "8", "10005173140").await.unwrap().is_empty());
    assert_eq!(annuaire::lookup(&app.store, "8", "10000000001").await.unwrap().len(), 1);
    assert!(seen_old > 0, "the previous import was read during the new one");
}

async fn the_request_s_answers_are_compared_with_the_directory(app: &TestApp) {
    import(app, &extract(app, "c_202611010000.txt", &[SAGE, ("8", "10003378428", "D'ARC", "JEAN PIERRE", "10")]))
        .await
        .unwrap();
    let sage = &annuaire::lookup(&app.store, "8", "99700771191").await.unwrap()[0];
    let check = Check::of("Sage", "Cécile", "50", &sage.nom, &sage.prenom, &sage.code_profession);
    assert!(check.all_same(), "{check:?}");
    let wrong = Check::of("Sagé", "Céline", "60", &sage.nom, &sage.prenom, &sage.code_profession);
    assert_eq!(
        (wrong.nom, wrong.prenom, wrong.profession),
        (Comparison::Same, Comparison::Different, Comparison::Different)
    );
    let arc = &annuaire::lookup(&app.store, "8", "10003378428").await.unwrap()[0];
    assert!(Check::of("d’Arc", "Jean-Pierre", "10", &arc.nom, &arc.prenom, &arc.code_profession).all_same());
}
