-- Registrations. The identifier and the secure address are unique; so is an active registration per RPPS/ADELI.
CREATE TABLE registrations (
    id TEXT PRIMARY KEY,
    identifiant TEXT NOT NULL UNIQUE,
    adresse TEXT NOT NULL UNIQUE,
    statut TEXT NOT NULL,
    rpps TEXT,
    adeli TEXT,
    civilite TEXT NOT NULL,
    nom TEXT NOT NULL,
    prenom TEXT NOT NULL,
    email TEXT NOT NULL,
    donnees TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX registrations_rpps_active ON registrations (rpps) WHERE rpps IS NOT NULL AND statut = 'active';
CREATE UNIQUE INDEX registrations_adeli_active ON registrations (adeli) WHERE adeli IS NOT NULL AND statut = 'active';
