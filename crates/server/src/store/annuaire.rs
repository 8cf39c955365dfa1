//! The national RPPS directory's extract (`annuaire`, `annuaire_imports`). An import writes its rows under a new
//! import id (`Import`), then makes that import the current one in one transaction: the review never sees half a
//! file; the previous import's rows are deleted after. PostgreSQL takes the rows through COPY on a connection of its
//! own; SQLite through INSERTs of many rows with anonymous `?` parameters (a numbered parameter is looked up by a
//! linear search of their names on each bind: a statement's cost in the square of its parameters, 85% of the
//! import's time at 500 rows).
use super::{Backend, Store, Tx};
use sqlx::postgres::{PgPool, PgPoolCopyExt, PgPoolOptions};

/// Rows per INSERT statement on SQLite; batches per transaction.
pub const ROWS_PER_STATEMENT: usize = 500;
const BATCHES_PER_TRANSACTION: usize = 40;

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

/// What an import read.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
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

/// An INSERT of `rows` rows, its parameters numbered (`$1`) or anonymous (`?`, bound in order).
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

/// Where an import's rows go.
enum Sink {
    Copy(sqlx::postgres::PgCopyIn<sqlx::pool::PoolConnection<sqlx::Postgres>>, PgPool),
    Inserts { tx: Option<Tx>, batches: usize, full: String },
}

/// An import under way: its rows written under its id, not yet current.
pub struct Import {
    store: Store,
    id: String,
    sink: Sink,
}

impl Import {
    /// Starts the import `id`; what an interrupted import left (rows of no import) goes first.
    pub async fn begin(store: &Store, id: &str) -> Result<Import, sqlx::Error> {
        sqlx::query("DELETE FROM annuaire WHERE import_id NOT IN (SELECT id FROM annuaire_imports)")
            .execute(store.pool())
            .await?;
        let sink = match store.backend() {
            Backend::Postgres => {
                let url = store.pool().connect_options().database_url.clone();
                let pool = PgPoolOptions::new().max_connections(1).connect(url.as_str()).await?;
                Sink::Copy(pool.copy_in_raw(COPY).await?, pool)
            }
            Backend::Sqlite => Sink::Inserts { tx: None, batches: 0, full: insert_sql(ROWS_PER_STATEMENT, true) },
        };
        Ok(Import { store: store.clone(), id: id.to_owned(), sink })
    }

    /// Writes a batch of rows.
    pub async fn rows(&mut self, rows: &[Row]) -> Result<(), sqlx::Error> {
        let Import { store, id, sink } = self;
        match sink {
            Sink::Copy(copy, _) => {
                copy.send(copy_text(id, rows)).await?;
            }
            Sink::Inserts { tx, batches, full } => {
                if tx.is_none() {
                    *tx = Some(store.begin_write().await?);
                }
                let conn = tx.as_mut().expect("begun above");
                for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                    let short;
                    let sql = if chunk.len() == ROWS_PER_STATEMENT {
                        full.as_str()
                    } else {
                        short = insert_sql(chunk.len(), true);
                        short.as_str()
                    };
                    let mut query = sqlx::query(sql);
                    for row in chunk {
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
                    query.execute(&mut **conn).await?;
                }
                *batches += 1;
                if (*batches).is_multiple_of(BATCHES_PER_TRANSACTION) {
                    tx.take().expect("begun above").commit().await?;
                }
            }
        }
        Ok(())
    }

    /// The whole file is in: its rows written, and the import made the current one at `now` by `actor`; the previous
    /// import's rows deleted after.
    pub async fn finish(self, imported: &Imported, actor: &str, now: i64) -> Result<(), sqlx::Error> {
        match self.sink {
            Sink::Copy(copy, pool) => {
                copy.finish().await?;
                pool.close().await;
            }
            Sink::Inserts { tx, .. } => {
                if let Some(tx) = tx {
                    tx.commit().await?;
                }
            }
        }
        let store = self.store;
        // The switch: one transaction, and the review reads only the current import's rows.
        let mut switch = store.begin_write().await?;
        sqlx::query("UPDATE annuaire_imports SET courant = 0 WHERE courant = 1").execute(&mut *switch).await?;
        sqlx::query(
            "INSERT INTO annuaire_imports (id, fichier, date_extraction, lignes, entrees, entrees_adeli, importe_le, \
             par, courant) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)",
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
        sqlx::query("DELETE FROM annuaire WHERE import_id <> $1").bind(&imported.id).execute(store.pool()).await?;
        sqlx::query("DELETE FROM annuaire_imports WHERE courant = 0").execute(store.pool()).await?;
        Ok(())
    }

    /// The file was not read whole: its rows are deleted, and the import before stays the current one.
    pub async fn abort(self) -> Result<(), sqlx::Error> {
        match self.sink {
            Sink::Copy(copy, pool) => {
                copy.abort("lecture interrompue").await?;
                pool.close().await;
            }
            Sink::Inserts { tx, .. } => {
                if let Some(tx) = tx {
                    tx.commit().await?;
                }
            }
        }
        sqlx::query("DELETE FROM annuaire WHERE import_id = $1").bind(&self.id).execute(self.store.pool()).await?;
        Ok(())
    }
}

/// The current import, if any.
pub async fn current(store: &Store) -> Result<Option<Imported>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, fichier, date_extraction, lignes, entrees, entrees_adeli FROM annuaire_imports WHERE courant = 1",
    )
    .fetch_optional(store.pool())
    .await
}

/// The current import's entries for this number (`8`: RPPS, `0`: ADELI).
pub async fn lookup(store: &Store, type_identifiant: &str, identifiant: &str) -> Result<Vec<Row>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.type_identifiant, a.identifiant, a.nom, a.prenom, a.code_profession, a.libelle_profession, \
         a.savoir_faire, a.commune FROM annuaire a JOIN annuaire_imports i ON i.id = a.import_id AND i.courant = 1 \
         WHERE a.identifiant = $1 AND a.type_identifiant = $2",
    )
    .bind(identifiant)
    .bind(type_identifiant)
    .fetch_all(store.pool())
    .await
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
}
