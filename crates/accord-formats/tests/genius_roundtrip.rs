//! GENIUS export: import → export → import keeps every utility bit for bit on
//! GENIUS domains; scenarios that GENIUS cannot say in full come back with
//! notes and utilities equal up to float rounding.
#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod genius_support;

use std::path::Path;

use accord_core::utility::UtilityTables;
use accord_core::{Negotiation, Package, Profile, Rating, Weighting};
use accord_formats::genius;
use accord_formats::scenario;
use genius_support::{fixture_dir, sample_packages, shared_domains};

/// Every table entry of every profile, by party id, must have the same bits.
fn assert_same_tables(what: &str, a: &Negotiation, b: &Negotiation) {
    assert_eq!(a.profiles.len(), b.profiles.len(), "{what}: profile count");
    for pa in &a.profiles {
        let pb = b.profile(&pa.party).unwrap_or_else(|| panic!("{what}: no profile for {}", pa.party));
        let ta = UtilityTables::new(a, pa);
        let tb = UtilityTables::new(b, pb);
        assert_eq!(ta.tables.len(), tb.tables.len(), "{what}/{}", pa.party);
        for (i, (x, y)) in ta.tables.iter().zip(&tb.tables).enumerate() {
            let xb: Vec<u64> = x.iter().map(|v| v.to_bits()).collect();
            let yb: Vec<u64> = y.iter().map(|v| v.to_bits()).collect();
            assert_eq!(xb, yb, "{what}/{}/issue {}: {x:?} vs {y:?}", pa.party, a.issues[i].id);
        }
        assert_eq!(pa.reservation.to_bits(), pb.reservation.to_bits(), "{what}/{}", pa.party);
        assert_eq!(pa.discount_factor, pb.discount_factor, "{what}/{}", pa.party);
    }
}

fn sizes(n: &Negotiation) -> Vec<usize> {
    n.issues.iter().map(|i| i.value_count()).collect()
}

fn utilities(n: &Negotiation, profile: &Profile, packages: &[Vec<usize>]) -> Vec<f64> {
    let tables = UtilityTables::new(n, profile);
    packages.iter().map(|p| tables.utility(&Package(p.clone()))).collect()
}

fn export_and_reimport(n: &Negotiation) -> (Negotiation, genius::GeniusExport) {
    let dir = tempfile::tempdir().unwrap();
    let exported = genius::export_dir(n, dir.path()).unwrap();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), exported.files.len());
    (genius::import_dir(dir.path()).unwrap(), exported)
}

#[test]
fn every_shared_domain_round_trips_bit_for_bit() {
    let Some(dirs) = shared_domains() else { return };
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let first = genius::import_dir(&dir).unwrap();
        let (second, exported) = export_and_reimport(&first);
        assert!(exported.notes.is_empty(), "{name}: {:?}", exported.notes);
        assert_eq!(first.issues, second.issues, "{name}: issues");
        assert_eq!(first.title, second.title, "{name}");
        let mut ids_a: Vec<&str> = first.parties.iter().map(|p| p.id.as_str()).collect();
        let mut ids_b: Vec<&str> = second.parties.iter().map(|p| p.id.as_str()).collect();
        ids_a.sort_unstable();
        ids_b.sort_unstable();
        assert_eq!(ids_a, ids_b, "{name}: parties");
        assert_same_tables(&name, &first, &second);
        for pa in &first.profiles {
            assert_eq!(Some(pa), second.profile(&pa.party), "{name}: profile {}", pa.party);
        }

        let packages = sample_packages(&sizes(&first), 200);
        for pa in &first.profiles {
            let pb = second.profile(&pa.party).unwrap();
            let ua: Vec<u64> = utilities(&first, pa, &packages).iter().map(|u| u.to_bits()).collect();
            let ub: Vec<u64> = utilities(&second, pb, &packages).iter().map(|u| u.to_bits()).collect();
            assert_eq!(ua, ub, "{name}/{}: sample utilities", pa.party);
        }
    }
}

#[test]
fn every_shared_domain_round_trips_through_the_scenario_format() {
    let Some(dirs) = shared_domains() else { return };
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let imported = genius::import_dir(&dir).unwrap();
        let toml = scenario::to_toml(&imported);
        let parsed = scenario::parse(&toml, &format!("{name}.toml")).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(parsed, imported, "{name}: scenario round trip");
        // And on to GENIUS again.
        let (back, _) = export_and_reimport(&parsed);
        assert_same_tables(&name, &imported, &back);
    }
}

#[test]
fn the_fixture_round_trips_its_utilities_exactly() {
    let first = genius::import_dir(&fixture_dir()).unwrap();
    let (second, exported) = export_and_reimport(&first);
    assert_same_tables("holiday", &first, &second);
    // Integer and discrete issues come back as they were; the real issue rated by a
    // triangle for one party has no GENIUS form with linear evaluators, so it comes
    // back as a discrete issue of its ten grid values.
    assert_eq!(first.issues[..2], second.issues[..2]);
    assert_eq!(second.issues[2].value_count(), 10);
    assert!(
        exported.notes.iter().any(|n| n.contains("\"budget-share\" is written as a discrete issue")),
        "{:?}",
        exported.notes
    );
    assert!(!exported.notes.iter().any(|n| n.contains("preserved up to")), "{:?}", exported.notes);
}

#[test]
fn a_real_issue_with_linear_evaluators_stays_real() {
    let mut n = genius::import_dir(&fixture_dir()).unwrap();
    for profile in &mut n.profiles {
        for (issue, rating) in &mut profile.ratings {
            if issue == "budget-share" {
                *rating = Rating::Linear { offset: 0.25, slope: 0.5, origin: 0.0 };
            }
        }
    }
    let files = genius::export(&n).unwrap();
    assert!(files[0].1.contains(r#"vtype="real""#), "{}", files[0].1);
    let (back, exported) = export_and_reimport(&n);
    assert!(exported.notes.is_empty(), "{:?}", exported.notes);
    assert_eq!(n.issues, back.issues);
    assert_same_tables("real", &n, &back);
}

#[test]
fn exported_files_look_like_genius_files() {
    let n = genius::import_dir(&fixture_dir()).unwrap();
    let files = genius::export(&n).unwrap();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["holiday-domain.xml", "alex.xml", "sam.xml"]);
    let domain = &files[0].1;
    assert!(domain.contains("<negotiation_template>"));
    assert!(domain.contains(r#"<item index="3" value="St. Ives &amp; Penzance"/>"#), "{domain}");
    assert!(
        domain
            .contains(r#"name="Nights" vtype="integer" type="integer" etype="integer" lowerbound="2" upperbound="7""#),
        "{domain}"
    );
    let alex = &files[1].1;
    assert!(alex.contains(r#"<evaluator ftype="linear" offset="0.2" slope="0.2"/>"#), "{alex}");
    assert!(alex.contains(r#"<weight index="1" value="0.5"/>"#), "{alex}");
    assert!(alex.contains(r#"<reservation value="0.4"/>"#), "{alex}");
    assert!(alex.contains(r#"<discount_factor value="0.9"/>"#), "{alex}");
    // Sam's profile gives its integer evaluator the origin 0, below the domain's bound.
    assert!(files[2].1.contains(r#"lowerbound="0" upperbound="7""#), "{}", files[2].1);
}

fn example(name: &str) -> Negotiation {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(name);
    scenario::read_file(&path).unwrap()
}

#[test]
fn native_scenarios_export_with_notes_and_utilities_up_to_rounding() {
    for name in ["labour-agreement.toml", "peace-framework.toml"] {
        let n = example(name);
        let (back, exported) = export_and_reimport(&n);
        let notes = exported.notes.join("\n");
        if !n.constraints.is_empty() {
            assert!(notes.contains("constraint(s) left out"), "{name}: {notes}");
        }
        if n.profiles.iter().any(|p| !p.red_lines.is_empty()) {
            assert!(notes.contains("red lines of"), "{name}: {notes}");
        }
        // Numeric issues off the GENIUS integer shape come back as discrete issues of their grid values.
        assert_eq!(sizes(&n), sizes(&back), "{name}");
        let packages = sample_packages(&sizes(&n), 500);
        let exported_parties: Vec<&Profile> = n
            .profiles
            .iter()
            .filter(|p| n.party(&p.party).is_some_and(|party| party.role == accord_core::Role::Signatory))
            .collect();
        assert!(exported_parties.len() >= 2, "{name}");
        for pa in exported_parties {
            let pb = back.profile(&pa.party).unwrap();
            assert_eq!(pb.weighting, Weighting::AsWritten);
            let ua = utilities(&n, pa, &packages);
            let ub = utilities(&back, pb, &packages);
            for (x, y) in ua.iter().zip(&ub) {
                assert!((x - y).abs() <= 1e-14, "{name}/{}: {x} vs {y}\n{notes}", pa.party);
            }
            let exact = ua.iter().zip(&ub).all(|(x, y)| x.to_bits() == y.to_bits());
            if !exact {
                assert!(notes.contains("preserved up to"), "{name}/{}: inexact without a note\n{notes}", pa.party);
            }
        }
    }
}

#[test]
fn normalised_weights_are_written_as_exact_shares() {
    let mut n = genius::import_dir(&fixture_dir()).unwrap();
    for profile in &mut n.profiles {
        profile.weighting = Weighting::Normalised;
        for (_, w) in &mut profile.weights {
            *w *= 7.0;
        }
    }
    let (back, exported) = export_and_reimport(&n);
    assert!(!exported.notes.iter().any(|n| n.contains("preserved up to")), "{:?}", exported.notes);
    assert_same_tables("normalised", &n, &back);
}

#[test]
fn ratings_that_do_not_peak_at_one_move_their_peak_into_the_weight() {
    let mut n = genius::import_dir(&fixture_dir()).unwrap();
    let alex = n.profiles.iter_mut().find(|p| p.party == "alex").unwrap();
    alex.ratings[0].1 =
        Rating::Table(vec![("lisbon".into(), 0.3), ("krak-w".into(), 0.7), ("st.-ives-penzance".into(), 0.1)]);
    let (back, exported) = export_and_reimport(&n);
    assert!(exported.notes.iter().any(|n| n.contains("ratings peak at 0.7")), "{:?}", exported.notes);
    let a = UtilityTables::new(&n, n.profile("alex").unwrap());
    let b = UtilityTables::new(&back, back.profile("alex").unwrap());
    for (x, y) in a.tables[0].iter().zip(&b.tables[0]) {
        assert!((x - y).abs() <= 1e-16, "{x} vs {y}");
    }
}

#[test]
fn too_few_profiles_cannot_be_exported() {
    let mut n = genius::import_dir(&fixture_dir()).unwrap();
    n.profiles.retain(|p| p.party == "alex");
    let err = genius::export(&n).unwrap_err().to_string();
    assert!(err.contains("only 1 signatory has a profile"), "{err}");
}
