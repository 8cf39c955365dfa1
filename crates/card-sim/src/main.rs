//! promess-card-sim: a simulated CPS3 card in the vpcd virtual reader of a running pcscd.
//! `promess-card-sim` plays the default test professional (PIN 1234); flags or `--identity FILE` (JSON) play another.
use clap::Parser;
use promess_card_sim::{Card, Identity, cert, vpcd::Inserted};
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
    /// Writes the test CA's certificate (DER) there.
    #[arg(long)]
    ca_out: Option<std::path::PathBuf>,
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

    let issued = cert::issue(&identity)?;
    if let Some(path) = &args.ca_out {
        std::fs::write(path, &issued.ca)?;
    }
    eprintln!(
        "promess-card-sim: CPS3 card of {} {} ({}), PIN tries 3, in the vpcd reader at {}",
        identity.prenom,
        identity.nom,
        identity.national_id(),
        args.vpcd
    );
    let card = Arc::new(Mutex::new(Card::new(identity, issued.leaf)));
    let _inserted = Inserted::insert(args.vpcd, card);
    loop {
        std::thread::park();
    }
}
