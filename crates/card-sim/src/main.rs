//! promess-card-sim: a simulated CPS3 card in the vpcd virtual reader of a running pcscd.
//! `promess-card-sim` plays the default test professional (PIN 1234); flags or `--identity FILE` (JSON) play another.
use clap::Parser;
use promess_card_sim::{Card, Identity, cert, vpcd::Inserted};
use promess_core::card::SignatureAlgorithm;
use std::sync::{Arc, Mutex};

#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// The vpcd driver's address (its reader.conf DEVICENAME /dev/null:0x8C7B is port 35963).
    #[arg(long, env = "PROMESS_VPCD", default_value = "127.0.0.1:35963")]
    vpcd: String,
    /// The identity as a JSON file (fields of promess_card_sim::Identity); flags below override it.
    #[arg(long)]
    identity: Option<std::path::PathBuf>,
    #[arg(long)]
    rpps: Option<String>,
    #[arg(long)]
    adeli: Option<String>,
    #[arg(long)]
    nom: Option<String>,
    #[arg(long)]
    prenom: Option<String>,
    /// TRE_G15 profession code.
    #[arg(long)]
    profession: Option<u32>,
    /// The certificate's title (the profession's label).
    #[arg(long)]
    titre: Option<String>,
    #[arg(long)]
    civilite: Option<String>,
    /// TRE_R38 specialty code (read after the PIN).
    #[arg(long)]
    specialite: Option<String>,
    #[arg(long)]
    specialite_libelle: Option<String>,
    #[arg(long)]
    pin: Option<String>,
    /// The card's authentication key: RS256 (RSA 2048, as a CPS3) or ES256 (P-256, the ECDSA path).
    #[arg(long, default_value = "RS256", value_parser = |s: &str| SignatureAlgorithm::from_name(s).ok_or("RS256 or ES256"))]
    key: SignatureAlgorithm,
    /// Writes the test CA's certificate (PEM) there: the server's trust anchor (PROMESS_CARD_TRUST).
    #[arg(long)]
    ca_out: Option<std::path::PathBuf>,
    /// Writes a CRL of the test CA there (DER), valid for `--crl-days`: the server's PROMESS_CARD_CRL.
    #[arg(long)]
    crl_out: Option<std::path::PathBuf>,
    /// How long the CRL is valid, in days.
    #[arg(long, default_value_t = 7)]
    crl_days: i64,
    /// Lists the card's own certificate as revoked in the CRL.
    #[arg(long)]
    revoke: bool,
    /// Plays a CPS4 card (its ATR, and its authentication by PSO DECIPHER; an RSA key).
    #[arg(long)]
    cps4: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let mut identity = match &args.identity {
        Some(path) => serde_json::from_str(&std::fs::read_to_string(path)?)?,
        None => Identity::example(),
    };
    if let Some(rpps) = args.rpps {
        (identity.rpps, identity.adeli) = (Some(rpps), None);
    }
    if let Some(adeli) = args.adeli {
        (identity.rpps, identity.adeli) = (None, Some(adeli));
    }
    let set = |slot: &mut String, value: Option<String>| {
        if let Some(v) = value {
            *slot = v;
        }
    };
    set(&mut identity.nom, args.nom);
    set(&mut identity.prenom, args.prenom);
    set(&mut identity.titre, args.titre);
    set(&mut identity.civilite, args.civilite);
    set(&mut identity.pin, args.pin);
    identity.profession = args.profession.unwrap_or(identity.profession);
    identity.specialite = args.specialite.or(identity.specialite);
    identity.specialite_libelle = args.specialite_libelle.or(identity.specialite_libelle);

    let issued = cert::issue(&identity, args.key)?;
    if let Some(path) = &args.ca_out {
        std::fs::write(path, issued.authority.pem())?;
    }
    if let Some(path) = &args.crl_out {
        let revoked = if args.revoke { vec![issued.serial.clone()] } else { Vec::new() };
        let now = cert::now_secs();
        std::fs::write(path, issued.authority.crl(&revoked, now - 60, now + args.crl_days * 86_400)?)?;
    }
    eprintln!(
        "promess-card-sim: {} card of {} {} ({}), PIN tries 3, in the vpcd reader at {}",
        if args.cps4 { "CPS4" } else { "CPS3" },
        identity.prenom,
        identity.nom,
        identity.national_id(),
        args.vpcd
    );
    let card = Card::new(identity, issued.leaf, issued.key);
    let card = Arc::new(Mutex::new(if args.cps4 { card.cps4() } else { card }));
    let _inserted = Inserted::insert(args.vpcd, card);
    loop {
        std::thread::park();
    }
}
