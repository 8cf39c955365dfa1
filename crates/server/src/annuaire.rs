//! The national RPPS directory's extract in the database (`promess-server annuaire importer FILE`), and the lookup
//! of a request's number in it. The file (or its zip, as it is published) is read on a blocking thread and sent in
//! batches through a bounded channel: memory stays the same whatever the file's size. Its rows are written under a
//! new import id, which becomes the current one only once the whole file is in (promess_core::annuaire reads the
//! lines).
use crate::store::{
    Store,
    annuaire::{Import, ROWS_PER_STATEMENT},
};
use promess_core::annuaire::{Columns, Entry, HeaderError};
use std::{
    io::{BufRead, BufReader, Read},
    path::Path,
};

pub use crate::store::annuaire::{Imported, Row, current, lookup};

/// Rows read and sent at a time.
const BATCH: usize = ROWS_PER_STATEMENT;

impl Row {
    fn of(e: &Entry) -> Row {
        Row {
            type_identifiant: e.type_identifiant.into(),
            identifiant: e.identifiant.into(),
            nom: e.nom.into(),
            prenom: e.prenom.into(),
            code_profession: e.code_profession.into(),
            libelle_profession: e.libelle_profession.into(),
            savoir_faire: e.savoir_faire.into(),
            commune: e.commune.into(),
        }
    }

    /// The same person and profession (one line per activity: a second practice repeats them).
    fn same_person(&self, e: &Entry) -> bool {
        self.identifiant == e.identifiant
            && self.type_identifiant == e.type_identifiant
            && self.nom == e.nom
            && self.prenom == e.prenom
            && self.code_profession == e.code_profession
    }
}

/// Why a file was not imported: the import before it stays the current one.
#[derive(Debug)]
pub enum ImportError {
    Read(String),
    Header(HeaderError),
    Db(sqlx::Error),
}

impl ImportError {
    pub fn message(&self) -> String {
        match self {
            ImportError::Read(e) => format!("Lecture du fichier impossible : {e}"),
            ImportError::Header(e) => e.message(),
            ImportError::Db(e) => format!("Base de données : {e}"),
        }
    }
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> ImportError {
        ImportError::Db(e)
    }
}

/// The extract's date from its name: `…_202611280900.txt` → `2026-11-28`.
pub fn date_of(name: &str) -> Option<String> {
    let stem = name.rsplit('/').next()?.split('.').next()?;
    let digits = stem.rsplit('_').next()?;
    if digits.len() < 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("{}-{}-{}", &digits[0..4], &digits[4..6], &digits[6..8]))
}

type Sender = tokio::sync::mpsc::Sender<Result<Message, ImportError>>;

/// Reads `path` on this (blocking) thread, sending batches to `tx`: the file itself, or the first `.txt` of a zip,
/// decompressed as it is read. Answers the name of the text read, or () when it failed (the error sent) or the
/// receiver is gone.
fn read_file(path: &Path, tx: Sender) -> Result<String, ()> {
    let fail = |e: String| {
        let _ = tx.blocking_send(Err(ImportError::Read(format!("{}: {e}", path.display()))));
    };
    let mut file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let mut magic = [0u8; 4];
    let zipped = file.read(&mut magic).map_err(|e| fail(e.to_string()))? == 4 && magic == *b"PK\x03\x04";
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if !zipped {
        return read_lines(name, file, &tx);
    }
    let mut archive = zip::ZipArchive::new(file).map_err(|e| fail(e.to_string()))?;
    let index = (0..archive.len())
        .find(|&i| archive.name_for_index(i).is_some_and(|n| n.to_ascii_lowercase().ends_with(".txt")))
        .ok_or_else(|| fail("aucun fichier .txt dans ce zip".into()))?;
    let entry = archive.by_index(index).map_err(|e| fail(e.to_string()))?;
    let name = entry.name().to_owned();
    read_lines(name, entry, &tx)
}

/// What the reading thread sends: batches of rows, then the count of lines.
enum Message {
    Rows(Vec<Row>),
    Done { lignes: i64 },
}

/// The lines of `text`, in batches of rows to `tx`.
fn read_lines(name: String, text: impl Read, tx: &Sender) -> Result<String, ()> {
    let fail = |e: ImportError| {
        let _ = tx.blocking_send(Err(e));
    };
    let mut reader = BufReader::with_capacity(256 * 1024, text);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| fail(ImportError::Read(e.to_string())))?;
    let columns = Columns::of_header(&line).map_err(|e| fail(ImportError::Header(e)))?;
    let (mut lignes, mut batch) = (0i64, Vec::with_capacity(BATCH));
    let mut last = Row::default();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                fail(ImportError::Read(format!("{name}, ligne {} : {e}", lignes + 2)));
                return Err(());
            }
        }
        if line.trim().is_empty() {
            continue;
        }
        lignes += 1;
        let Some(entry) = columns.entry(&line) else { continue };
        if entry.identifiant.is_empty() || last.same_person(&entry) {
            continue;
        }
        last = Row::of(&entry);
        batch.push(last.clone());
        if batch.len() == BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            if tx.blocking_send(Ok(Message::Rows(full))).is_err() {
                return Err(());
            }
        }
    }
    if !batch.is_empty() && tx.blocking_send(Ok(Message::Rows(batch))).is_err() {
        return Err(());
    }
    let _ = tx.blocking_send(Ok(Message::Done { lignes }));
    Ok(name)
}

/// Imports the extract at `path` as `actor`: the new current one once it is whole; the previous one's rows deleted
/// after.
pub async fn import(store: &Store, path: &Path, actor: &str, now: i64) -> Result<Imported, ImportError> {
    let id = crate::secret::new_id().map_err(|e| ImportError::Read(e.to_string()))?;
    let mut writing = Import::begin(store, &id).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let owned = path.to_owned();
    let reader = tokio::task::spawn_blocking(move || read_file(&owned, tx));
    let (mut entrees, mut entrees_adeli, mut lignes) = (0i64, 0i64, None);
    let mut failed = None;
    while let Some(message) = rx.recv().await {
        match message {
            Ok(Message::Rows(rows)) => {
                entrees += rows.len() as i64;
                entrees_adeli += rows.iter().filter(|r| r.type_identifiant == "0").count() as i64;
                if let Err(e) = writing.rows(&rows).await {
                    failed = Some(ImportError::Db(e));
                    break;
                }
            }
            Ok(Message::Done { lignes: n }) => lignes = Some(n),
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    drop(rx);
    let read = reader.await;
    let name = match (read, lignes, failed) {
        (Ok(Ok(name)), Some(_), None) => name,
        (_, _, failed) => {
            writing.abort().await?;
            return Err(failed.unwrap_or_else(|| ImportError::Read("lecture interrompue".into())));
        }
    };
    let lignes = lignes.unwrap_or(0);
    let imported = Imported { id, date_extraction: date_of(&name), fichier: name, lignes, entrees, entrees_adeli };
    writing.finish(&imported, actor, now).await?;
    Ok(imported)
}

/// Synthetic extracts in the real format (every column of the published header), for the tests and the benchmark:
/// no real person's data is ever committed.
pub mod synthetic {
    use std::io::Write;

    /// The published header (2026), every column.
    pub const HEADER: &str = "Type d'identifiant PP|Identifiant PP|Identification nationale PP|Code civilité d'exercice|\
        Libellé civilité d'exercice|Code civilité|Libellé civilité|Nom d'exercice|Prénom d'exercice|Code profession|\
        Libellé profession|Code catégorie professionnelle|Libellé catégorie professionnelle|Code type savoir-faire|\
        Libellé type savoir-faire|Code savoir-faire|Libellé savoir-faire|Code mode exercice|Libellé mode exercice|\
        Numéro SIRET site|Numéro SIREN site|Numéro FINESS site|Numéro FINESS établissement juridique|\
        Identifiant technique de la structure|Raison sociale site|Enseigne commerciale site|\
        Complément destinataire (coord. structure)|Complément point géographique (coord. structure)|\
        Numéro Voie (coord. structure)|Indice répétition voie (coord. structure)|Code type de voie (coord. structure)|\
        Libellé type de voie (coord. structure)|Libellé Voie (coord. structure)|Mention distribution (coord. structure)|\
        Bureau cedex (coord. structure)|Code postal (coord. structure)|Code commune (coord. structure)|\
        Libellé commune (coord. structure)|Code pays (coord. structure)|Libellé pays (coord. structure)|\
        Téléphone (coord. structure)|Téléphone 2 (coord. structure)|Télécopie (coord. structure)|\
        Adresse e-mail (coord. structure)|Code Département (structure)|Libellé Département (structure)|\
        Ancien identifiant de la structure|Autorité d'enregistrement|Code secteur d'activité|\
        Libellé secteur d'activité|Code section tableau pharmaciens|Libellé section tableau pharmaciens|";

    /// One line of the extract, every column filled as the published file fills it.
    #[allow(clippy::too_many_arguments)]
    pub fn line(
        out: &mut impl Write,
        type_identifiant: &str,
        identifiant: &str,
        nom: &str,
        prenom: &str,
        code_profession: &str,
        libelle_profession: &str,
        commune: &str,
    ) -> std::io::Result<()> {
        writeln!(
            out,
            "{type_identifiant}|{identifiant}|{type_identifiant}{identifiant}|DR|Docteur|M|Monsieur|{nom}|{prenom}|\
             {code_profession}|{libelle_profession}|C|Civil|S|Spécialité ordinale|SM54|Médecine générale|L|Libéral|\
             12345678900012|123456789|||H12345678|CABINET MEDICAL|||Bâtiment A|12||R|Rue|DES LILAS|||33000|33063|\
             {commune}|99000|France|0556000000|||cabinet@exemple.fr|33|Gironde||4|SA07|Cabinet individuel|||"
        )
    }

    /// A file of `professionals` generated professionals, every fifth with a second activity line (as the real
    /// extract repeats a professional with two practices): RPPS `1` followed by ten digits, names of letters.
    pub fn write(out: &mut impl Write, professionals: u64) -> std::io::Result<u64> {
        debug_assert_eq!(HEADER.matches('|').count(), 52);
        writeln!(out, "{HEADER}")?;
        let mut lines = 0;
        for i in 0..professionals {
            let rpps = format!("1{:010}", i);
            let nom = name(i, 7);
            let prenom = name(i / 7 + 3, 5);
            let repeat = if i % 5 == 0 { 2 } else { 1 };
            for _ in 0..repeat {
                line(out, "8", &rpps, &nom, &prenom, "10", "Médecin", "BORDEAUX")?;
                lines += 1;
            }
        }
        Ok(lines)
    }

    fn name(mut n: u64, len: usize) -> String {
        (0..len)
            .map(|_| {
                let c = (b'A' + (n % 26) as u8) as char;
                n = n / 26 + 7;
                c
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_date_comes_from_the_file_s_name() {
        assert_eq!(super::date_of("PS_LibreAcces_Personne_activite_202611280900.txt").as_deref(), Some("2026-11-28"));
        assert_eq!(super::date_of("annuaire.txt"), None);
    }
}
