//! Writing a negotiation as a scenario file, laid out as a person would write
//! it: one `[[...]]` block per entity, wordings and profiles as sub-tables.

use std::fmt::Write as _;

use accord_core::model::{
    Condition, IssueKind, Negotiation, Position, Profile, Rating, Test, Value, Weighting, WordingText,
};

/// Writes `negotiation` in the scenario format. For a valid negotiation,
/// [`super::parse`] of the result gives it back unchanged.
pub fn to_toml(negotiation: &Negotiation) -> String {
    let mut out = String::new();
    let w = &mut out;
    line(w, "[negotiation]");
    field(w, "id", &string(&negotiation.id));
    field(w, "title", &string(&negotiation.title));
    if !negotiation.description.is_empty() {
        field(w, "description", &string(&negotiation.description));
    }
    if !negotiation.privacy.is_default() {
        line(w, "\n[privacy]");
        field(w, "blind_mediation", &negotiation.privacy.blind_mediation.to_string());
        field(w, "count_threshold", &negotiation.privacy.count_threshold.to_string());
    }

    for party in &negotiation.parties {
        line(w, "\n[[party]]");
        field(w, "id", &string(&party.id));
        field(w, "name", &string(&party.name));
        field(w, "role", &string(party.role.as_str()));
    }

    for issue in &negotiation.issues {
        line(w, "\n[[issue]]");
        field(w, "id", &string(&issue.id));
        field(w, "title", &string(&issue.title));
        match &issue.kind {
            IssueKind::Discrete { options } => {
                line(w, "options = [");
                for o in options {
                    line(w, &format!("  {{ id = {}, label = {} }},", string(&o.id), string(&o.label)));
                }
                line(w, "]");
            }
            IssueKind::Numeric(range) => {
                let bound = |x: f64| if range.integer { number(x) } else { float(x) };
                let mut text =
                    format!("{{ min = {}, max = {}, step = {}", bound(range.min), bound(range.max), bound(range.step));
                if let Some(unit) = &range.unit {
                    let _ = write!(text, ", unit = {}", string(unit));
                }
                text.push_str(" }");
                field(w, "range", &text);
            }
        }
        match &issue.draft {
            Some(Value::Option(id)) => field(w, "draft", &string(id)),
            Some(Value::Number(x)) => field(w, "draft", &number(*x)),
            None => {}
        }
    }

    for provision in &negotiation.provisions {
        line(w, "\n[[provision]]");
        field(w, "id", &string(&provision.id));
        field(w, "number", &string(&provision.number));
        if !provision.heading.is_empty() {
            field(w, "heading", &string(&provision.heading));
        }
        field(w, "text", &string(&provision.body));
        for wording in &provision.wordings {
            line(w, &format!("\n[provision.wording.{}]", key(&wording.issue)));
            match &wording.text {
                WordingText::Template(t) => field(w, "template", &string(t)),
                WordingText::PerOption(texts) => {
                    for (option, text) in texts {
                        field(w, &key(option), &string(text));
                    }
                }
            }
        }
    }

    for constraint in &negotiation.constraints {
        line(w, "\n[[constraint]]");
        field(w, "id", &string(&constraint.id));
        if let Some(d) = &constraint.description {
            field(w, "description", &string(d));
        }
        field(w, "when", &conditions(&constraint.when));
        field(w, "then", &conditions(&constraint.then));
    }

    for phase in &negotiation.timetable.phases {
        line(w, "\n[[phase]]");
        field(w, "id", &string(&phase.id));
        field(w, "name", &string(&phase.name));
        field(w, "kind", &string(phase.kind.as_str()));
        field(w, "start", &phase.start.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
        field(w, "end", &phase.end.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
    }

    for p in &negotiation.profiles {
        profile(w, p);
    }

    for stance in &negotiation.stances {
        line(w, "\n[[stance]]");
        field(w, "party", &string(&stance.party));
        field(w, "provision", &string(&stance.provision));
        field(w, "position", &string(stance.position.as_str()));
        if let Position::AcceptableIf { conditions: c } = &stance.position {
            field(w, "conditions", &conditions(c));
        }
        if let Some(reason) = &stance.reason {
            field(w, "reason", &string(reason));
        }
    }
    out
}

fn profile(w: &mut String, p: &Profile) {
    let party = key(&p.party);
    line(w, &format!("\n[profile.{party}]"));
    if p.illustrative {
        field(w, "illustrative", "true");
    }
    field(w, "reservation", &float(p.reservation));
    if p.weighting == Weighting::AsWritten {
        field(w, "weighting", "\"as_written\"");
    }
    if let Some(d) = p.discount_factor {
        field(w, "discount_factor", &float(d));
    }
    // Keys of `[profile.P]` itself must come before its sub-tables.
    if !p.red_lines.is_empty() {
        field(w, "red_lines", &conditions(&p.red_lines));
    }
    if !p.weights.is_empty() {
        line(w, &format!("\n[profile.{party}.weights]"));
        for (issue, weight) in &p.weights {
            field(w, &key(issue), &number(*weight));
        }
    }
    for (issue, rating) in &p.ratings {
        line(w, &format!("\n[profile.{party}.ratings.{}]", key(issue)));
        match rating {
            Rating::Table(entries) => {
                for (option, r) in entries {
                    field(w, &key(option), &float(*r));
                }
            }
            Rating::Piecewise(points) => {
                let points: Vec<String> =
                    points.iter().map(|&(x, r)| format!("[{}, {}]", number(x), float(r))).collect();
                field(w, "points", &format!("[{}]", points.join(", ")));
            }
            Rating::Linear { offset, slope, origin } => field(
                w,
                "linear",
                &format!("{{ offset = {}, slope = {}, origin = {} }}", float(*offset), float(*slope), float(*origin)),
            ),
        }
    }
}

fn line(w: &mut String, text: &str) {
    w.push_str(text);
    w.push('\n');
}

fn field(w: &mut String, name: &str, value: &str) {
    let _ = writeln!(w, "{name} = {value}");
}

fn conditions(list: &[Condition]) -> String {
    if list.is_empty() {
        return "[]".into();
    }
    let items: Vec<String> = list.iter().map(condition).collect();
    if list.len() == 1 { format!("[{}]", items[0]) } else { format!("[\n  {},\n]", items.join(",\n  ")) }
}

fn condition(c: &Condition) -> String {
    let test = match &c.test {
        Test::OneOf(ids) => format!("is = [{}]", ids.iter().map(|s| string(s)).collect::<Vec<_>>().join(", ")),
        Test::Range { min, max } => {
            let mut parts = Vec::new();
            if let Some(x) = min {
                parts.push(format!("at_least = {}", number(*x)));
            }
            if let Some(x) = max {
                parts.push(format!("at_most = {}", number(*x)));
            }
            parts.join(", ")
        }
    };
    if test.is_empty() {
        format!("{{ issue = {} }}", string(&c.issue))
    } else {
        format!("{{ issue = {}, {test} }}", string(&c.issue))
    }
}

/// A TOML string: basic, literal or multi-line, whichever reads best.
fn string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A bare key when TOML allows one (`army-cap`), else a quoted one (`"art.7"`).
fn key(s: &str) -> String {
    let bare = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare { s.to_string() } else { basic_string(s) }
}

/// Keys may not be multi-line strings, so they are always written as basic strings.
fn basic_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A float that reads back as the same `f64`, always with a point or exponent.
fn float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // `{:?}` is the shortest round-trip form and always marks a float ("1.0", "1e300").
    format!("{x:?}")
}

/// A whole number as a TOML integer ("600000"), anything else as a float.
/// Every whole `f64` in the `i64` range converts exactly, so this reads back
/// as the same number, and an integer range stays an integer range.
fn number(x: f64) -> String {
    const I64_BOUND: f64 = 9_223_372_036_854_775_808.0; // 2^63
    if x.fract() == 0.0 && (-I64_BOUND..I64_BOUND).contains(&x) { format!("{}", x as i64) } else { float(x) }
}
