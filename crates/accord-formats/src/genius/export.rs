//! A [`Negotiation`] into GENIUS domain and profile files.

use std::collections::HashSet;
use std::fmt::Write as _;

use accord_core::utility::{UtilityTables, rate};
use accord_core::{Issue, IssueKind, Negotiation, NumericRange, Profile, Rating, Role, Weighting, format_plain_number};

use super::ids::sanitise;
use super::import::real_grid;
use super::{GeniusError, GeniusExport, REAL_ISSUE_POINTS};

/// How one issue is written.
enum Shape {
    /// Discrete, with these value strings (one per value index).
    Discrete(Vec<String>),
    /// An integer issue with linear evaluators.
    Integer { lower: i64, upper: i64 },
    /// A real issue with linear evaluators through the origin.
    Real { lower: f64, upper: f64 },
}

pub(crate) fn export(negotiation: &Negotiation) -> Result<GeniusExport, GeniusError> {
    let mut notes = Vec::new();
    let exported: Vec<&Profile> = select_profiles(negotiation, &mut notes)?;

    let names = issue_names(&negotiation.issues, &mut notes);
    let mut shapes = Vec::with_capacity(negotiation.issues.len());
    for issue in &negotiation.issues {
        shapes.push(shape(issue, &exported, &mut notes)?);
    }
    check_finite(negotiation, &exported)?;
    note_losses(negotiation, &exported, &mut notes);

    let domain_file = format!("{}.xml", file_stem(&negotiation.title, &negotiation.id));
    let mut files = vec![(domain_file.clone(), domain_xml(negotiation, &names, &shapes))];
    let mut renamed = Vec::new();
    for profile in &exported {
        let party_name = negotiation.party(&profile.party).map_or(profile.party.as_str(), |p| p.name.as_str());
        let stem = file_stem(party_name, &profile.party);
        if stem != party_name {
            renamed.push(profile.party.as_str());
        }
        let mut name = format!("{stem}.xml");
        if name.eq_ignore_ascii_case(&domain_file) {
            name = format!("{stem}-profile.xml");
        }
        files.push((name, profile_xml(negotiation, profile, &names, &shapes, &mut notes)));
    }
    if !renamed.is_empty() {
        notes.push(format!(
            "GENIUS names a party by its profile file, so these parties are named by their ids: {}",
            renamed.join(", ")
        ));
    }

    verify(negotiation, &exported, &files, &mut notes)?;
    Ok(GeniusExport { files, notes })
}

/// The file stem for an entity: its name when that is a plain file name that
/// imports back to the same id (so the name survives the round trip), else its id.
fn file_stem<'a>(name: &'a str, id: &'a str) -> &'a str {
    let plain = !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if plain && sanitise(name, "") == id { name } else { id }
}

/// Signatories with a profile, in party order.
fn select_profiles<'a>(negotiation: &'a Negotiation, notes: &mut Vec<String>) -> Result<Vec<&'a Profile>, GeniusError> {
    let mut out = Vec::new();
    for party in &negotiation.parties {
        let profile = negotiation.profile(&party.id);
        match (party.role, profile) {
            (Role::Signatory, Some(profile)) => out.push(profile),
            (Role::Signatory, None) => {
                notes.push(format!("signatory \"{}\" has no profile, so no GENIUS profile file", party.id))
            }
            (role, Some(_)) => notes.push(format!(
                "the profile of \"{}\" is left out: GENIUS parties are the signatories, and \"{}\" is {role}",
                party.id, party.id
            )),
            (_, None) => {}
        }
    }
    if out.len() < 2 {
        return Err(GeniusError::Export(format!(
            "a GENIUS domain needs a profile per party, and only {} signator{} ha{} a profile",
            out.len(),
            if out.len() == 1 { "y" } else { "ies" },
            if out.len() == 1 { "s" } else { "ve" },
        )));
    }
    Ok(out)
}

/// The GENIUS issue names: the titles, unless empty or shared, then the ids.
fn issue_names(issues: &[Issue], notes: &mut Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    let duplicated: HashSet<&str> = issues.iter().map(|i| i.title.as_str()).filter(|t| !seen.insert(*t)).collect();
    issues
        .iter()
        .map(|issue| {
            if issue.title.trim().is_empty() || duplicated.contains(issue.title.as_str()) {
                notes.push(format!(
                    "issue \"{}\" is named by its id: its title is empty or shared with another issue",
                    issue.id
                ));
                issue.id.clone()
            } else {
                issue.title.clone()
            }
        })
        .collect()
}

fn shape(issue: &Issue, profiles: &[&Profile], notes: &mut Vec<String>) -> Result<Shape, GeniusError> {
    let ratings = || profiles.iter().filter_map(move |p| rating_of(p, &issue.id));
    match &issue.kind {
        IssueKind::Discrete { options } => {
            if options.is_empty() {
                return Err(GeniusError::Export(format!("issue \"{}\" has no options", issue.id)));
            }
            let labels: Vec<String> = options.iter().map(|o| o.label.clone()).collect();
            let distinct: HashSet<&str> = labels.iter().map(String::as_str).collect();
            if distinct.len() == labels.len() && labels.iter().all(|l| !l.trim().is_empty()) {
                Ok(Shape::Discrete(labels))
            } else {
                notes.push(format!(
                    "issue \"{}\": values are named by option ids, as some labels are empty or shared",
                    issue.id
                ));
                Ok(Shape::Discrete(options.iter().map(|o| o.id.clone()).collect()))
            }
        }
        IssueKind::Numeric(range) => {
            let Some(len) = range.len() else {
                return Err(GeniusError::Export(format!(
                    "issue \"{}\" has an invalid range (the step must be positive and divide max - min)",
                    issue.id
                )));
            };
            if integer_linear(range, ratings()) {
                return Ok(Shape::Integer { lower: range.min as i64, upper: range.max as i64 });
            }
            if real_linear(range, len, ratings()) {
                return Ok(Shape::Real { lower: range.min, upper: range.max });
            }
            let values: Vec<String> = (0..len).map(|k| format_plain_number(range.value_at(k))).collect();
            let distinct: HashSet<&str> = values.iter().map(String::as_str).collect();
            if distinct.len() != values.len() {
                return Err(GeniusError::Export(format!(
                    "issue \"{}\": its grid values are not distinct numbers",
                    issue.id
                )));
            }
            notes.push(format!(
                "numeric issue \"{}\" is written as a discrete issue with {len} values rated point by point \
                 (GENIUS integer issues have step 1 and linear evaluators only)",
                issue.id
            ));
            Ok(Shape::Discrete(values))
        }
    }
}

/// Whole numbers GENIUS parses as Java ints.
fn is_int(x: f64) -> bool {
    x.fract() == 0.0 && x.abs() <= i32::MAX as f64
}

fn integer_linear<'a>(range: &NumericRange, mut ratings: impl Iterator<Item = &'a Rating>) -> bool {
    range.integer
        && range.step == 1.0
        && is_int(range.min)
        && is_int(range.max)
        && ratings.all(|r| matches!(r, Rating::Linear { origin, .. } if is_int(*origin)))
}

fn real_linear<'a>(range: &NumericRange, len: usize, mut ratings: impl Iterator<Item = &'a Rating>) -> bool {
    // Only the exact grid import builds: re-importing then rebuilds the same floats.
    !range.integer
        && len == REAL_ISSUE_POINTS
        && range.step == real_grid(range.min, range.max).step
        && ratings.all(|r| matches!(r, Rating::Linear { origin, .. } if *origin == 0.0))
}

fn rating_of<'a>(profile: &'a Profile, issue: &str) -> Option<&'a Rating> {
    profile.ratings.iter().find(|(id, _)| id == issue).map(|(_, r)| r)
}

/// The share of an issue in the profile's utility, computed exactly as
/// [`UtilityTables::new`] computes it, so that writing it as an as-written
/// weight reproduces the same floats.
fn share(profile: &Profile, issue: &str) -> f64 {
    let total: f64 = profile.weights.iter().map(|(_, w)| *w).sum();
    let weight = profile.weights.iter().find(|(id, _)| id == issue).map_or(0.0, |(_, w)| *w);
    match profile.weighting {
        Weighting::AsWritten => weight,
        Weighting::Normalised if total > 0.0 => weight / total,
        Weighting::Normalised => 0.0,
    }
}

fn check_finite(negotiation: &Negotiation, profiles: &[&Profile]) -> Result<(), GeniusError> {
    for profile in profiles {
        let bad = |what: String| {
            GeniusError::Export(format!("profile of \"{}\": {what} is not a finite number", profile.party))
        };
        if !profile.reservation.is_finite() {
            return Err(bad("the reservation value".into()));
        }
        if profile.discount_factor.is_some_and(|d| !d.is_finite()) {
            return Err(bad("the discount factor".into()));
        }
        for issue in &negotiation.issues {
            if !share(profile, &issue.id).is_finite() {
                return Err(bad(format!("the weight of issue \"{}\"", issue.id)));
            }
            if let Some(Rating::Linear { offset, slope, origin }) = rating_of(profile, &issue.id)
                && !(offset.is_finite() && slope.is_finite() && origin.is_finite())
            {
                return Err(bad(format!("the linear rating of issue \"{}\"", issue.id)));
            }
            for k in 0..issue.value_count() {
                if let Some(r) = rating_of(profile, &issue.id)
                    && !rate(issue, r, k).is_finite()
                {
                    return Err(bad(format!("a rating of issue \"{}\"", issue.id)));
                }
            }
        }
    }
    Ok(())
}

fn note_losses(negotiation: &Negotiation, profiles: &[&Profile], notes: &mut Vec<String>) {
    if !negotiation.constraints.is_empty() {
        notes.push(format!(
            "{} constraint(s) left out: GENIUS has no linkages between issues",
            negotiation.constraints.len()
        ));
    }
    if !negotiation.stances.is_empty() {
        notes.push(format!("{} stance(s) left out: GENIUS has no stances", negotiation.stances.len()));
    }
    for profile in profiles {
        if !profile.red_lines.is_empty() {
            notes.push(format!(
                "the red lines of \"{}\" are left out: GENIUS has none (the analysis of the exported files \
                 may find packages that the scenario forbids)",
                profile.party
            ));
        }
    }
    let drafts = negotiation.issues.iter().filter(|i| i.draft.is_some()).count();
    if drafts > 0 {
        notes.push(format!("the draft values of {drafts} issue(s) are left out: GENIUS has no draft"));
    }
    let units: Vec<&str> = negotiation
        .issues
        .iter()
        .filter(|i| matches!(&i.kind, IssueKind::Numeric(r) if r.unit.is_some()))
        .map(|i| i.id.as_str())
        .collect();
    if !units.is_empty() {
        notes.push(format!("units left out (GENIUS has none): {}", units.join(", ")));
    }
}

fn domain_xml(negotiation: &Negotiation, names: &[String], shapes: &[Shape]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<negotiation_template>\n");
    let _ = writeln!(out, "  <utility_space number_of_issues=\"{}\">", negotiation.issues.len());
    let _ = writeln!(
        out,
        "    <objective index=\"0\" description=\"\" name=\"{}\" type=\"objective\" etype=\"objective\">",
        escape(&negotiation.title)
    );
    for (k, (name, shape)) in names.iter().zip(shapes).enumerate() {
        let index = k + 1;
        let name = escape(name);
        match shape {
            Shape::Discrete(values) => {
                let _ = writeln!(
                    out,
                    "      <issue index=\"{index}\" name=\"{name}\" vtype=\"discrete\" type=\"discrete\" etype=\"discrete\">"
                );
                for (j, value) in values.iter().enumerate() {
                    let _ = writeln!(out, "        <item index=\"{}\" value=\"{}\"/>", j + 1, escape(value));
                }
                out.push_str("      </issue>\n");
            }
            Shape::Integer { lower, upper } => {
                let _ = writeln!(
                    out,
                    "      <issue index=\"{index}\" name=\"{name}\" vtype=\"integer\" type=\"integer\" \
                     etype=\"integer\" lowerbound=\"{lower}\" upperbound=\"{upper}\"/>"
                );
            }
            Shape::Real { lower, upper } => {
                let _ = writeln!(
                    out,
                    "      <issue index=\"{index}\" name=\"{name}\" vtype=\"real\" type=\"real\" etype=\"real\" \
                     lowerbound=\"{lower}\" upperbound=\"{upper}\">\n        <range lowerbound=\"{lower}\" \
                     upperbound=\"{upper}\"/>\n      </issue>"
                );
            }
        }
    }
    out.push_str("    </objective>\n  </utility_space>\n</negotiation_template>\n");
    out
}

fn profile_xml(
    negotiation: &Negotiation,
    profile: &Profile,
    names: &[String],
    shapes: &[Shape],
    notes: &mut Vec<String>,
) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<utility_space>\n");
    out.push_str("  <objective index=\"0\" description=\"\" name=\"root\" type=\"objective\" etype=\"objective\">\n");
    let mut weights = Vec::with_capacity(shapes.len());
    for (k, ((issue, name), shape)) in negotiation.issues.iter().zip(names).zip(shapes).enumerate() {
        let index = k + 1;
        let name = escape(name);
        let rating = rating_of(profile, &issue.id);
        let mut weight = share(profile, &issue.id);
        match shape {
            Shape::Discrete(values) => {
                let ratings: Vec<f64> = (0..values.len()).map(|v| rating.map_or(0.0, |r| rate(issue, r, v))).collect();
                let peak = ratings.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                // GENIUS divides evaluations by their peak: a peak of 1 (or all zeros) passes
                // through untouched; any other positive peak moves into the weight.
                let evaluations: Vec<f64> = if peak == 1.0 || ratings.iter().all(|&r| r == 0.0) {
                    ratings
                } else if peak > 0.0 {
                    notes.push(format!(
                        "profile of \"{}\", issue \"{}\": the ratings peak at {peak}, not 1; GENIUS divides by the \
                         peak, so the weight is multiplied by it (utilities agree up to float rounding)",
                        profile.party, issue.id
                    ));
                    weight *= peak;
                    ratings.iter().map(|r| r / peak).collect()
                } else {
                    notes.push(format!(
                        "profile of \"{}\", issue \"{}\": no rating is positive, and GENIUS reads such an issue as \
                         all 0",
                        profile.party, issue.id
                    ));
                    ratings
                };
                let _ = writeln!(
                    out,
                    "    <issue index=\"{index}\" name=\"{name}\" vtype=\"discrete\" type=\"discrete\" etype=\"discrete\">"
                );
                for (j, (value, e)) in values.iter().zip(&evaluations).enumerate() {
                    let _ = writeln!(
                        out,
                        "      <item index=\"{}\" value=\"{}\" evaluation=\"{e}\"/>",
                        j + 1,
                        escape(value)
                    );
                }
                out.push_str("    </issue>\n");
            }
            Shape::Integer { upper, lower } => {
                let (offset, slope, origin) = match rating {
                    Some(Rating::Linear { offset, slope, origin }) => (*offset, *slope, *origin as i64),
                    _ => (0.0, 0.0, *lower),
                };
                let _ = writeln!(
                    out,
                    "    <issue index=\"{index}\" name=\"{name}\" vtype=\"integer\" type=\"integer\" etype=\"integer\" \
                     lowerbound=\"{origin}\" upperbound=\"{upper}\">\n      <evaluator ftype=\"linear\" \
                     offset=\"{offset}\" slope=\"{slope}\"/>\n    </issue>"
                );
            }
            Shape::Real { lower, upper } => {
                let (offset, slope) = match rating {
                    Some(Rating::Linear { offset, slope, .. }) => (*offset, *slope),
                    _ => (0.0, 0.0),
                };
                let _ = writeln!(
                    out,
                    "    <issue index=\"{index}\" name=\"{name}\" vtype=\"real\" type=\"real\" etype=\"real\" \
                     lowerbound=\"{lower}\" upperbound=\"{upper}\">\n      <evaluator ftype=\"linear\" \
                     offset=\"{offset}\" slope=\"{slope}\"/>\n    </issue>"
                );
            }
        }
        weights.push(weight);
    }
    for (k, w) in weights.iter().enumerate() {
        let _ = writeln!(out, "    <weight index=\"{}\" value=\"{w}\"/>", k + 1);
    }
    out.push_str("  </objective>\n");
    if let Some(d) = profile.discount_factor {
        let _ = writeln!(out, "  <discount_factor value=\"{d}\"/>");
    }
    let _ = writeln!(out, "  <reservation value=\"{}\"/>", profile.reservation);
    out.push_str("</utility_space>\n");
    out
}

/// Re-imports the files and compares every utility table with the original's.
fn verify(
    negotiation: &Negotiation,
    profiles: &[&Profile],
    files: &[(String, String)],
    notes: &mut Vec<String>,
) -> Result<(), GeniusError> {
    let (domain, rest) = files.split_first().ok_or_else(|| GeniusError::Export("no files written".into()))?;
    let pairs: Vec<(&str, &str)> = rest.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    let back = super::import((&domain.0, &domain.1), &pairs).map_err(|e| {
        GeniusError::Export(format!("the written files do not read back ({e}); this is a bug in Accord"))
    })?;
    let mut worst = 0.0f64;
    for (original, reread) in profiles.iter().zip(&back.profiles) {
        let a = UtilityTables::new(negotiation, original);
        let b = UtilityTables::new(&back, reread);
        for (ta, tb) in a.tables.iter().zip(&b.tables) {
            if ta.len() != tb.len() {
                return Err(GeniusError::Export(
                    "the written files read back with other issue sizes; this is a bug in Accord".into(),
                ));
            }
            for (x, y) in ta.iter().zip(tb) {
                worst = worst.max((x - y).abs());
            }
        }
        if original.reservation.to_bits() != reread.reservation.to_bits() {
            worst = worst.max((original.reservation - reread.reservation).abs());
        }
    }
    if worst > 0.0 {
        notes.push(format!("utilities are preserved up to {worst:e} per issue (not bit for bit; see the notes above)"));
    }
    Ok(())
}

/// Escapes an attribute value; line breaks and tabs as character references
/// so attribute-value normalisation leaves them alone.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}
