//! The national RPPS directory's extract in the database (`promess-server annuaire importer FILE`), and the lookup
//! of a request's number in it. The file (or its zip, as it is published) is read on a blocking thread and sent in
//! batches through a bounded channel: memory stays the same whatever the file's size. Its rows are written under a
//! new import id, which becomes the current one only once the whole file is in (promess_core::annuaire reads the
//! lines).
use crate::db;
use promess_core::annuaire::{Columns, Entry, HeaderError};
use sqlx::{AnyPool, Connection};
use std::{
    io::{BufRead, BufReader, Read},
    path::Path,
};

/// Rows read and sent at a time; rows per transaction.
const BATCH: usize = 500;
const PER_TRANSACTION: usize = 40;

/// Rows per INSERT statement (SQLite; PostgreSQL takes COPY), and how its parameters are written: PostgreSQL numbers them (`$1`); SQLite looks a
/// numbered parameter up by a linear search of their names on each bind (a statement's cost in the square of its
/// parameters: 85% of the import's time at 500 rows), and takes anonymous `?` ones, bound in order.
fn statement_style(db: &AnyPool) -> (usize, bool) {
    let sqlite = db.connect_options().database_url.scheme() == "sqlite";
    (BATCH, sqlite)
}

/// One row of the `annuaire` table.
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Row {
    pub type_identifiant: String,
    pub identifiant: String,
    pub nom: String,
    pub prenom: String,
    pub code_profession: String,
    pub libelle_profession: String,
    pub savoir_faire: String,
    pub commune: String,
}

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

/// What an import read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    pub id: String,
    pub fichier: String,
    pub date_extraction: Option<String>,
    /// Data lines read (the header not counted).
    pub lignes: i64,
    /// Distinct professional-and-profession entries kept.
    pub entrees: i64,
    pub entrees_adeli: i64,
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

/// The COPY that takes the rows on PostgreSQL, in its text format.
const COPY: &str = "COPY annuaire (import_id, type_identifiant, identifiant, nom, prenom, code_profession, \
                    libelle_profession, savoir_faire, commune) FROM STDIN";

/// Rows in COPY's text format: tab-separated, a line each, with backslash, tab and line ends escaped.
fn copy_text(id: &str, rows: &[Row]) -> Vec<u8> {
    let mut out = String::with_capacity(rows.len() * 128);
    for r in rows {
        let values = [
            id,
            &r.type_identifiant,
            &r.identifiant,
            &r.nom,
            &r.prenom,
            &r.code_profession,
            &r.libelle_profession,
            &r.savoir_faire,
            &r.commune,
        ];
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                out.push('\t');
            }
            for c in value.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
        }
        out.push('\n');
    }
    out.into_bytes()
}

fn insert_sql(rows: usize, anonymous: bool) -> String {
    let mut sql = String::from(
        "INSERT INTO annuaire (import_id, type_identifiant, identifiant, nom, prenom, code_profession, \
         libelle_profession, savoir_faire, commune) VALUES ",
    );
    for r in 0..rows {
        sql.push_str(if r > 0 { ",(" } else { "(" });
        for c in 0..9 {
            if c > 0 {
                sql.push(',');
            }
            if anonymous {
                sql.push('?');
            } else {
                sql.push_str(&format!("${}", r * 9 + c + 1));
            }
        }
        sql.push(')');
    }
    sql
}

/// Imports the extract at `path` as `actor`: the new current one once it is whole; the previous one's rows deleted
/// after.
pub async fn import(db: &AnyPool, path: &Path, actor: &str, now: i64) -> Result<Imported, ImportError> {
    let id = db::new_id().map_err(|e| ImportError::Read(e.to_string()))?;
    // What an interrupted import left (rows of no import) goes first.
    sqlx::query("DELETE FROM annuaire WHERE import_id NOT IN (SELECT id FROM annuaire_imports)").execute(db).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let owned = path.to_owned();
    let reader = tokio::task::spawn_blocking(move || read_file(&owned, tx));
    let (per_statement, anonymous) = statement_style(db);
    let full_sql = insert_sql(per_statement, anonymous);
    let (mut entrees, mut entrees_adeli, mut lignes) = (0i64, 0i64, None);
    // PostgreSQL takes the rows through COPY, on a connection of its own: one statement, streamed.
    let url = db.connect_options().database_url.clone();
    let mut copying = match url.scheme() {
        "postgres" | "postgresql" => Some(sqlx::postgres::PgConnection::connect(url.as_str()).await?),
        _ => None,
    };
    let mut copy = match copying.as_mut() {
        Some(conn) => Some(conn.copy_in_raw(COPY).await?),
        None => None,
    };
    let mut transaction = None;
    let mut batches = 0;
    while let Some(message) = rx.recv().await {
        match message? {
            Message::Rows(rows) => {
                entrees += rows.len() as i64;
                entrees_adeli += rows.iter().filter(|r| r.type_identifiant == "0").count() as i64;
                if let Some(copy) = copy.as_mut() {
                    copy.send(copy_text(&id, &rows)).await?;
                    continue;
                }
                if transaction.is_none() {
                    transaction = Some(db::begin_write(db).await?);
                }
                let mut rows = rows.into_iter().peekable();
                while rows.peek().is_some() {
                    let chunk: Vec<Row> = rows.by_ref().take(per_statement).collect();
                    let short;
                    let sql = if chunk.len() == per_statement {
                        full_sql.as_str()
                    } else {
                        short = insert_sql(chunk.len(), anonymous);
                        short.as_str()
                    };
                    let mut query = sqlx::query(sql);
                    for row in &chunk {
                        query = query
                            .bind(id.as_str())
                            .bind(row.type_identifiant.as_str())
                            .bind(row.identifiant.as_str())
                            .bind(row.nom.as_str())
                            .bind(row.prenom.as_str())
                            .bind(row.code_profession.as_str())
                            .bind(row.libelle_profession.as_str())
                            .bind(row.savoir_faire.as_str())
                            .bind(row.commune.as_str());
                    }
                    query.execute(&mut **transaction.as_mut().expect("begun above")).await?;
                }
                batches += 1;
                if batches % PER_TRANSACTION == 0 {
                    transaction.take().expect("begun above").commit().await?;
                }
            }
            Message::Done { lignes: n } => lignes = Some(n),
        }
    }
    if let Some(t) = transaction.take() {
        t.commit().await?;
    }
    let read = reader.await;
    if let Some(copy) = copy.take() {
        if matches!((&read, lignes), (Ok(Ok(_)), Some(_))) {
            copy.finish().await?;
        } else {
            copy.abort("lecture interrompue").await?;
        }
    }
    let name = match (read, lignes) {
        (Ok(Ok(name)), Some(_)) => name,
        _ => {
            sqlx::query("DELETE FROM annuaire WHERE import_id = $1").bind(&id).execute(db).await?;
            return Err(ImportError::Read("lecture interrompue".into()));
        }
    };
    let lignes = lignes.unwrap_or(0);
    let imported =
        Imported { id: id.clone(), date_extraction: date_of(&name), fichier: name, lignes, entrees, entrees_adeli };
    // The switch: one transaction, and the review reads only the current import's rows.
    let mut switch = db::begin_write(db).await?;
    sqlx::query("UPDATE annuaire_imports SET courant = 0 WHERE courant = 1").execute(&mut *switch).await?;
    sqlx::query(
        "INSERT INTO annuaire_imports (id, fichier, date_extraction, lignes, entrees, entrees_adeli, importe_le, par, \
         courant) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)",
    )
    .bind(&imported.id)
    .bind(&imported.fichier)
    .bind(&imported.date_extraction)
    .bind(imported.lignes)
    .bind(imported.entrees)
    .bind(imported.entrees_adeli)
    .bind(now)
    .bind(actor)
    .execute(&mut *switch)
    .await?;
    switch.commit().await?;
    sqlx::query("DELETE FROM annuaire WHERE import_id <> $1").bind(&id).execute(db).await?;
    sqlx::query("DELETE FROM annuaire_imports WHERE courant = 0").execute(db).await?;
    Ok(imported)
}

/// The current import, if any.
pub async fn current(db: &AnyPool) -> Result<Option<Imported>, sqlx::Error> {
    let row: Option<(String, String, Option<String>, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, fichier, date_extraction, lignes, entrees, entrees_adeli FROM annuaire_imports WHERE courant = 1",
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(id, fichier, date_extraction, lignes, entrees, entrees_adeli)| Imported {
        id,
        fichier,
        date_extraction,
        lignes,
        entrees,
        entrees_adeli,
    }))
}

/// The current import's entries for this number (`8`: RPPS, `0`: ADELI).
pub async fn lookup(db: &AnyPool, type_identifiant: &str, identifiant: &str) -> Result<Vec<Row>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.type_identifiant, a.identifiant, a.nom, a.prenom, a.code_profession, a.libelle_profession, \
         a.savoir_faire, a.commune FROM annuaire a JOIN annuaire_imports i ON i.id = a.import_id AND i.courant = 1 \
         WHERE a.identifiant = $1 AND a.type_identifiant = $2",
    )
    .bind(identifiant)
    .bind(type_identifiant)
    .fetch_all(db)
    .await
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
    fn statements_number_their_parameters_or_leave_them_anonymous() {
        let numbered = super::insert_sql(2, false);
        assert!(numbered.ends_with("($1,$2,$3,$4,$5,$6,$7,$8,$9),($10,$11,$12,$13,$14,$15,$16,$17,$18)"), "{numbered}");
        assert!(super::insert_sql(2, true).ends_with("(?,?,?,?,?,?,?,?,?),(?,?,?,?,?,?,?,?,?)"));
    }

    #[test]
    fn copy_escapes_what_its_text_format_would_misread() {
        let row = super::Row { nom: "A\tB\\C".into(), prenom: "D\nE".into(), ..Default::default() };
        let text = String::from_utf8(super::copy_text("id", &[row])).unwrap();
        assert_eq!(text, "id\t\t\tA\\tB\\\\C\tD\\nE\t\t\t\t\n");
    }

    #[test]
    fn the_date_comes_from_the_file_s_name() {
        assert_eq!(super::date_of("PS_LibreAcces_Personne_activite_202611280900.txt").as_deref(), Some("2026-11-28"));
        assert_eq!(super::date_of("annuaire.txt"), None);
    }
}
