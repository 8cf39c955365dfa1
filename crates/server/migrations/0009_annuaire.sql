-- The national RPPS directory's extract, for the operator's check (promess_core::annuaire). An import writes its
-- rows under a new import id, then makes that import the current one in one statement: the review never sees half a
-- file; the previous import's rows are deleted after.
CREATE TABLE annuaire_imports (
    id TEXT PRIMARY KEY,
    fichier TEXT NOT NULL,
    -- The extract's date, from its name (PS_LibreAcces_Personne_activite_YYYYMMDDhhmm.txt), or None.
    date_extraction TEXT,
    lignes BIGINT NOT NULL,
    entrees BIGINT NOT NULL,
    -- How many entries are ADELI numbers: without any, ADELI requests cannot be checked.
    entrees_adeli BIGINT NOT NULL,
    importe_le BIGINT NOT NULL,
    par TEXT,
    courant INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE annuaire (
    import_id TEXT NOT NULL,
    type_identifiant TEXT NOT NULL,
    identifiant TEXT NOT NULL,
    nom TEXT NOT NULL,
    prenom TEXT NOT NULL,
    code_profession TEXT NOT NULL,
    libelle_profession TEXT NOT NULL,
    savoir_faire TEXT NOT NULL,
    commune TEXT NOT NULL
);
CREATE INDEX annuaire_identifiant ON annuaire (identifiant, import_id);
