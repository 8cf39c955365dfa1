//! Pro Santé Connect (PSC), the national OpenID Connect federation of health professionals: what the server asks
//! of it, what its userinfo says (`UserInfo`), and the identity the wizard receives once the server has checked
//! everything (`PscIdentity`). The protocol itself is the server's (the `openidconnect` crate); the browser only
//! follows redirects and reads the identity back with a one-time handle.
use crate::{ErrorCode, card::NationalId, nos, wire::WireObject};
use serde::{Deserialize, Serialize};

/// The level of authentication asked for and required: eIDAS substantial (e-CPS, or the card through ANS's
/// middleware).
pub const ACR_EIDAS1: &str = "eidas1";
/// Whether an `acr` PSC answered is the level required: eidas1 only (an allow-list: a level PSC may add later is
/// refused until it is known).
pub fn sufficient_acr(acr: Option<&str>) -> bool {
    acr == Some(ACR_EIDAS1)
}

/// The scopes asked for: the identity and the practice (`SubjectRefPro`).
pub const SCOPES: [&str; 2] = ["openid", "scope_all"];
/// Where the browser leaves for PSC, and where PSC sends it back.
pub const START_PATH: &str = "/psc/connexion";
pub const RETURN_PATH: &str = "/psc/retour";
/// The fragment keys the server's redirect sets on the wizard's page: `#psc=<handle>` on step 2 once PSC proved
/// the identity, `#psc-erreur=<code>` on step 1 otherwise (a fragment is never sent to a server nor in a Referer).
pub const HANDLE_KEY: &str = "psc";
pub const ERROR_KEY: &str = "psc-erreur";
/// How long a journey to PSC may last, and how long its result waits for the registration that uses it.
pub const FLOW_SECS: i64 = 10 * 60;
pub const IDENTITY_SECS: i64 = 60 * 60;

/// PSC's own claims in its userinfo, as far as the wizard uses them (the names are PSC's); the names are the
/// standard `family_name` and `given_name`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PscClaims {
    #[serde(rename = "SubjectNameID", default)]
    pub subject_name_id: Option<String>,
    #[serde(rename = "SubjectRefPro", default)]
    pub ref_pro: Option<RefPro>,
}

/// `SubjectRefPro`: the civility and the practices (exercices) of the professional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RefPro {
    pub code_civilite: Option<String>,
    pub exercices: Vec<Exercice>,
}

/// One practice: a profession (TRE_G15), maybe a specialty (TRE_R38), and its activities (places).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Exercice {
    pub code_profession: Option<String>,
    pub code_civilite_dexercice: Option<String>,
    pub code_type_savoir_faire: Option<String>,
    pub code_savoir_faire: Option<String>,
    pub activities: Vec<Activity>,
}

/// One place of practice, with its address and phone as the national directory has them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Activity {
    pub raison_sociale_site: Option<String>,
    pub numero_voie: Option<String>,
    pub indice_repetition_voie: Option<String>,
    pub code_type_de_voie: Option<String>,
    pub libelle_voie: Option<String>,
    pub code_postal: Option<String>,
    pub bureau_cedex: Option<String>,
    pub telephone: Option<String>,
}

/// What PSC proved, as the page shows it on step 2: the identity (read-only there) and the practice (editable).
/// The server keeps its own copy and believes only that one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PscIdentity {
    /// `8` + RPPS or `0` + ADELI.
    pub identifiant_national: String,
    pub rpps: Option<String>,
    pub adeli: Option<String>,
    pub nom: String,
    pub prenom: String,
    /// A code of the wizard's civility tables, when PSC's is known.
    pub civilite: Option<String>,
    /// TRE_G15, and the TRE_R38 specialty when PSC gives one.
    pub profession: Option<String>,
    pub specialite: Option<String>,
    pub lieu_exercice: Option<String>,
    pub adresse: Option<String>,
    pub code_postal: Option<String>,
    pub ville: Option<String>,
    pub telephone: Option<String>,
}

/// A claim's text, trimmed, or None when absent or blank.
fn given(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// Words joined by one space, the blank ones left out.
fn joined<'a>(parts: impl IntoIterator<Item = &'a Option<String>>) -> Option<String> {
    let words: Vec<String> = parts.into_iter().filter_map(given).collect();
    (!words.is_empty()).then(|| words.join(" "))
}

impl PscClaims {
    /// The identity PSC proved, with the userinfo's `family_name` and `given_name`. The national id must be an RPPS
    /// or an ADELI (`NationalId`), and both names given.
    pub fn identity(&self, family_name: Option<&str>, given_name: Option<&str>) -> Result<PscIdentity, ErrorCode> {
        let national = given(&self.subject_name_id)
            .and_then(|id| NationalId::parse(&id))
            .ok_or(ErrorCode::PscNationalIdInvalid)?;
        let name = |n: Option<&str>| given(&n.map(str::to_owned)).ok_or(ErrorCode::PscNationalIdInvalid);
        let (nom, prenom) = (name(family_name)?, name(given_name)?);
        let ref_pro = self.ref_pro.clone().unwrap_or_default();
        let exercice = ref_pro.exercices.first().cloned().unwrap_or_default();
        let activity = exercice.activities.first().cloned().unwrap_or_default();
        let profession = given(&exercice.code_profession)
            .and_then(|p| nos::parse(&[nos::PROFESSIONS_CODES], &p).ok())
            .map(str::to_owned);
        let specialite = match (&profession, given(&exercice.code_savoir_faire)) {
            (Some(p), Some(s)) => nos::parse_specialite_rpps(p, &s).ok().map(str::to_owned),
            _ => None,
        };
        let civilite = given(&exercice.code_civilite_dexercice)
            .and_then(|c| nos::parse(nos::CIVILITE_CODES, &c).ok())
            .or_else(|| match given(&ref_pro.code_civilite)?.as_str() {
                "MME" => Some("22"),
                "M" => Some("31"),
                _ => None,
            })
            .map(str::to_owned);
        // The town is the bureau's name: « 33000 BORDEAUX » or « BORDEAUX ».
        let ville = given(&activity.bureau_cedex).map(|b| {
            let town = b.trim_start_matches(|c: char| c.is_ascii_digit()).trim();
            town.to_owned()
        });
        Ok(PscIdentity {
            identifiant_national: national.to_string(),
            rpps: national.rpps().map(str::to_owned),
            adeli: national.adeli().map(str::to_owned),
            nom,
            prenom,
            civilite,
            profession,
            specialite,
            lieu_exercice: given(&activity.raison_sociale_site),
            adresse: joined([
                &activity.numero_voie,
                &activity.indice_repetition_voie,
                &activity.code_type_de_voie.as_deref().map(street_type),
                &activity.libelle_voie,
            ]),
            code_postal: given(&activity.code_postal),
            ville: ville.filter(|v| !v.is_empty()),
            telephone: given(&activity.telephone),
        })
    }
}

/// The street type's word for an RPPS code (TRE_R35's most common ones; others are kept as given).
fn street_type(code: &str) -> String {
    match code {
        "R" => "rue",
        "AV" => "avenue",
        "BD" => "boulevard",
        "PL" => "place",
        "CHE" => "chemin",
        "ALL" => "allée",
        "IMP" => "impasse",
        "QUAI" => "quai",
        "RTE" => "route",
        other => other,
    }
    .to_owned()
}

impl PscIdentity {
    pub fn read(o: &impl WireObject) -> Option<PscIdentity> {
        Some(PscIdentity {
            identifiant_national: o.text("identifiant_national")?,
            rpps: o.text("rpps"),
            adeli: o.text("adeli"),
            nom: o.text("nom")?,
            prenom: o.text("prenom")?,
            civilite: o.text("civilite"),
            profession: o.text("profession"),
            specialite: o.text("specialite"),
            lieu_exercice: o.text("lieu_exercice"),
            adresse: o.text("adresse"),
            code_postal: o.text("code_postal"),
            ville: o.text("ville"),
            telephone: o.text("telephone"),
        })
    }
}

/// The answer of `GET /api/psc`: whether this service offers Pro Santé Connect (the operator configured it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PscOffer {
    pub disponible: bool,
}

impl PscOffer {
    pub fn read(o: &impl WireObject) -> Option<PscOffer> {
        Some(PscOffer { disponible: o.flag("disponible")? })
    }
}

/// The proof of a PSC-proven request, as the server verified it and records it with the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PscUse {
    pub identifiant_national: String,
    pub emetteur: String,
    /// The ID token's `sub`.
    pub sujet: String,
    pub acr: String,
    /// Unix time of the authentication at PSC (`auth_time`, else the ID token's issue time).
    pub authentifie_le: i64,
    /// SHA-256 of the ID token, hexadecimal.
    pub jeton: String,
    /// Unix time of the verification.
    pub verifie_le: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PSC's claims of a userinfo shaped as PSC's (its claims' names and nesting), for a midwife in Bordeaux.
    fn userinfo() -> PscClaims {
        serde_json::from_value(serde_json::json!({
            "sub": "f:550dc1c8:899700771191",
            "SubjectNameID": "899700771191",
            "preferred_username": "899700771191",
            "given_name": "CECILE",
            "family_name": "SAGE",
            "SubjectRefPro": {
                "codeCivilite": "MME",
                "exercices": [{
                    "codeProfession": "50",
                    "codeCategorieProfessionnelle": "C",
                    "codeCiviliteDexercice": "",
                    "codeTypeSavoirFaire": "",
                    "codeSavoirFaire": "",
                    "activities": [{
                        "codeModeExercice": "S",
                        "raisonSocialeSite": "MATERNITE DU CHU",
                        "numeroVoie": "12",
                        "indiceRepetitionVoie": "",
                        "codeTypeDeVoie": "R",
                        "libelleVoie": "DUBERNAT",
                        "codePostal": "33000",
                        "bureauCedex": "33000 BORDEAUX",
                        "telephone": "0564090090"
                    }]
                }]
            }
        }))
        .unwrap()
    }

    #[test]
    fn the_identity_and_practice_are_read_from_psc_claims() {
        let id = userinfo().identity(Some("SAGE"), Some("CECILE")).unwrap();
        assert_eq!(id.identifiant_national, "899700771191");
        assert_eq!((id.rpps.as_deref(), id.adeli.as_deref()), (Some("99700771191"), None));
        assert_eq!((id.nom.as_str(), id.prenom.as_str()), ("SAGE", "CECILE"));
        assert_eq!(id.civilite.as_deref(), Some("22"));
        assert_eq!(id.profession.as_deref(), Some("50"));
        assert_eq!(id.specialite, None);
        assert_eq!(id.lieu_exercice.as_deref(), Some("MATERNITE DU CHU"));
        assert_eq!(id.adresse.as_deref(), Some("12 rue DUBERNAT"));
        assert_eq!((id.code_postal.as_deref(), id.ville.as_deref()), (Some("33000"), Some("BORDEAUX")));
        assert_eq!(id.telephone.as_deref(), Some("0564090090"));
    }

    #[test]
    fn an_adeli_a_specialty_and_a_practice_civility() {
        let mut info = userinfo();
        info.subject_name_id = Some("0331234567".into());
        let exercice = &mut info.ref_pro.as_mut().unwrap().exercices[0];
        exercice.code_profession = Some("10".into());
        exercice.code_savoir_faire = Some("SM26".into());
        exercice.code_civilite_dexercice = Some("DR".into());
        let id = info.identity(Some("SAGE"), Some("CECILE")).unwrap();
        assert_eq!((id.rpps, id.adeli.as_deref()), (None, Some("331234567")));
        assert_eq!((id.profession.as_deref(), id.specialite.as_deref()), (Some("10"), Some("SM26")));
        assert_eq!(id.civilite.as_deref(), Some("DR"));
    }

    #[test]
    fn a_national_id_that_is_neither_rpps_nor_adeli_is_refused() {
        for bad in [None, Some(""), Some("ANS20210107161422"), Some("3997007711910"), Some("89970077119")] {
            let info = PscClaims { subject_name_id: bad.map(str::to_owned), ..userinfo() };
            assert_eq!(info.identity(Some("SAGE"), Some("CECILE")), Err(ErrorCode::PscNationalIdInvalid), "{bad:?}");
        }
        assert_eq!(userinfo().identity(Some(" "), Some("CECILE")), Err(ErrorCode::PscNationalIdInvalid));
        assert_eq!(userinfo().identity(Some("SAGE"), None), Err(ErrorCode::PscNationalIdInvalid));
    }

    #[test]
    fn a_bare_userinfo_gives_the_identity_alone() {
        let info = PscClaims { ref_pro: None, ..userinfo() };
        let id = info.identity(Some("SAGE"), Some("CECILE")).unwrap();
        assert_eq!((id.profession, id.adresse, id.civilite), (None, None, None));
    }
}
