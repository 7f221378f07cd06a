//! Every chart, as the browser would get it: well-formed XML, escaped text,
//! every coordinate inside the viewBox, a "no data" chart for empty input, and
//! a snapshot of each on a small fixed input.

#![allow(clippy::unwrap_used)]

use accord_charts::*;
use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).single().unwrap()
}

#[derive(Debug, Default)]
struct Parsed {
    width: f64,
    height: f64,
    /// Every coordinate found, with what it came from (for the failure message).
    coordinates: Vec<(String, f64, f64)>,
    elements: usize,
    root_attributes: Vec<(String, String)>,
    text: String,
}

fn numbers(text: &str) -> Vec<f64> {
    text.split(|c: char| c.is_whitespace() || c == ',' || c.is_ascii_alphabetic() || c == '(' || c == ')')
        .filter(|t| !t.is_empty())
        .map(|t| t.parse::<f64>().unwrap_or(f64::NAN))
        .collect()
}

fn attribute_map(element: &BytesStart<'_>) -> Vec<(String, String)> {
    element
        .attributes()
        .map(|a| {
            let a = a.expect("well-formed attribute");
            let key = a.key.as_ref().to_string();
            let value = a.normalized_value(XmlVersion::Implicit1_0).expect("escaped attribute value").into_owned();
            (key, value)
        })
        .collect()
}

/// Parses the chart as XML (panicking on any error) and collects every coordinate:
/// x/y/x1/y1/x2/y2/cx/cy, the far corner of rects, polygon and polyline points,
/// path points (the charts only use absolute M and L) and rotation centres.
fn parse(svg: &str) -> Parsed {
    let mut reader = Reader::from_str(svg);
    reader.config_mut().check_end_names = true;
    let mut parsed = Parsed::default();
    let mut depth = 0usize;
    let mut in_pattern = 0usize;
    let mut roots = 0;
    loop {
        let event = reader.read_event().unwrap_or_else(|e| panic!("not XML: {e} in\n{svg}"));
        let (element, is_start) = match &event {
            Event::Start(e) => (Some(e.clone()), true),
            Event::Empty(e) => (Some(e.clone()), false),
            Event::End(e) => {
                depth -= 1;
                if e.name().as_ref() == "pattern" {
                    in_pattern -= 1;
                }
                (None, false)
            }
            Event::Text(t) => {
                parsed.text.push_str(&t.xml10_content());
                (None, false)
            }
            Event::GeneralRef(r) => {
                let name = r.as_ref().to_string();
                assert!(
                    matches!(name.as_str(), "amp" | "lt" | "gt" | "quot" | "#39"),
                    "unexpected entity &{name}; in\n{svg}"
                );
                (None, false)
            }
            Event::Eof => break,
            other => panic!("unexpected XML event {other:?}"),
        };
        let Some(element) = element else { continue };
        parsed.elements += 1;
        let name = element.name().as_ref().to_string();
        let attrs = attribute_map(&element);
        if depth == 0 {
            roots += 1;
            assert_eq!(name, "svg");
            let view_box = numbers(&attrs.iter().find(|(k, _)| k == "viewBox").expect("viewBox").1);
            assert_eq!(view_box.len(), 4);
            assert_eq!((view_box[0], view_box[1]), (0.0, 0.0));
            parsed.width = view_box[2];
            parsed.height = view_box[3];
            parsed.root_attributes = attrs.clone();
        }
        if name == "pattern" && is_start {
            in_pattern += 1;
        }
        if is_start {
            depth += 1;
        }
        if in_pattern > 0 || name == "pattern" {
            continue; // pattern tiles live in their own coordinate space
        }
        let get = |key: &str| attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let number = |key: &str| get(key).map(|v| v.parse::<f64>().unwrap_or(f64::NAN));
        for (x_key, y_key) in [("x", "y"), ("x1", "y1"), ("x2", "y2"), ("cx", "cy")] {
            if let (Some(x), Some(y)) = (number(x_key), number(y_key)) {
                parsed.coordinates.push((format!("{name} {x_key},{y_key}"), x, y));
            }
        }
        if let (Some(x), Some(y), Some(w), Some(h)) = (number("x"), number("y"), number("width"), number("height")) {
            assert!(w >= 0.0 && h >= 0.0, "negative size on {name}: {w} {h}");
            parsed.coordinates.push((format!("{name} far corner"), x + w, y + h));
        }
        for key in ["points", "d"] {
            if let Some(value) = get(key) {
                let values = numbers(&value);
                assert_eq!(values.len() % 2, 0, "odd coordinate count in {key}={value}");
                for pair in values.chunks(2) {
                    parsed.coordinates.push((format!("{name} {key}"), pair[0], pair[1]));
                }
            }
        }
        if let Some(transform) = get("transform") {
            let values = numbers(&transform);
            assert!(transform.starts_with("rotate(") && values.len() == 3, "{transform}");
            parsed.coordinates.push((format!("{name} rotation centre"), values[1], values[2]));
        }
    }
    assert_eq!(roots, 1, "exactly one root element");
    assert_eq!(depth, 0);
    parsed
}

fn assert_accessible_and_inside(svg: &str) -> Parsed {
    let parsed = parse(svg);
    let root = |key: &str| parsed.root_attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    assert_eq!(root("role"), Some("img"));
    let id = root("id").expect("id");
    assert_eq!(root("aria-labelledby"), Some(format!("{id}-title {id}-desc").as_str()));
    assert!(svg.contains(&format!("<title id=\"{id}-title\">")));
    assert!(svg.contains(&format!("<desc id=\"{id}-desc\">")));
    assert!(root("width").is_none() && root("height").is_none(), "no fixed size, so it scales");
    assert!(parsed.width > 0.0 && parsed.height > 0.0);
    for (what, x, y) in &parsed.coordinates {
        assert!(x.is_finite() && y.is_finite(), "{what}: ({x}, {y}) not finite");
        assert!(
            (0.0..=parsed.width).contains(x) && (0.0..=parsed.height).contains(y),
            "{what}: ({x}, {y}) outside 0 0 {} {}",
            parsed.width,
            parsed.height
        );
    }
    parsed
}

const HOSTILE: &str = "<script>alert(\"x\")</script> & 'Ω'";

fn hostile_charts() -> Vec<String> {
    let h = || HOSTILE.to_string();
    vec![
        timetable(&TimetableChart {
            id: h(),
            phases: vec![TimetablePhase {
                id: h(),
                name: h(),
                kind: h(),
                start: at(1, 0),
                end: at(3, 0),
                deadline: at(4, 0),
                current: true,
            }],
            now: Some(at(2, 0)),
        }),
        reservation_history(&ReservationHistoryChart {
            id: h(),
            party: h(),
            changes: vec![ReservationChange { at: at(1, 0), value: 0.5 }],
            now: None,
        }),
        utility_bar(&UtilityBarChart { id: h(), party: h(), subject: h(), utility: Some(0.5), reservation: Some(0.2) }),
        package_gains(&PackageGainsChart { id: h(), package: h(), gains: vec![PartyGain { party: h(), gain: -0.2 }] }),
        pareto(&ParetoChart {
            id: h(),
            party_x: h(),
            party_y: h(),
            frontier: vec![UtilityPair { x: 0.2, y: 0.8 }],
            draft: Some(UtilityPair { x: 0.3, y: 0.3 }),
            suggestions: vec![Suggestion {
                kind: SuggestionKind::Nash,
                label: h(),
                at: UtilityPair { x: 0.2, y: 0.8 },
            }],
            disagreement: Some(UtilityPair { x: 0.1, y: 0.1 }),
        }),
        balance(&BalanceChart {
            id: h(),
            party: h(),
            provisions: vec![ProvisionBalance { provision: h(), score: 0.3 }],
        }),
    ]
}

#[test]
fn hostile_names_appear_only_escaped() {
    for svg in hostile_charts() {
        let parsed = assert_accessible_and_inside(&svg);
        assert!(!svg.contains("<script"), "{svg}");
        assert!(!svg.contains("alert(\"x\")"), "unescaped quote: {svg}");
        assert!(svg.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;Ω&#39;"), "{svg}");
        // Well-formed and still carrying the name: no element was injected by it.
        assert!(parsed.elements > 3);
        assert!(!svg.contains("<alert"));
    }
}

#[test]
fn empty_inputs_give_a_no_data_chart() {
    let charts = [
        timetable(&TimetableChart { id: "t".into(), phases: vec![], now: Some(at(1, 0)) }),
        reservation_history(&ReservationHistoryChart { id: "r".into(), party: "p".into(), changes: vec![], now: None }),
        utility_bar(&UtilityBarChart {
            id: "u".into(),
            party: "p".into(),
            subject: "v1".into(),
            utility: None,
            reservation: Some(0.5),
        }),
        package_gains(&PackageGainsChart { id: "g".into(), package: "Nash".into(), gains: vec![] }),
        pareto(&ParetoChart {
            id: "p".into(),
            party_x: "a".into(),
            party_y: "b".into(),
            frontier: vec![],
            draft: None,
            suggestions: vec![],
            disagreement: Some(UtilityPair { x: 0.2, y: 0.2 }),
        }),
        balance(&BalanceChart { id: "b".into(), party: "p".into(), provisions: vec![] }),
    ];
    for svg in charts {
        let parsed = assert_accessible_and_inside(&svg);
        assert!(svg.contains("data-empty=\"true\""), "{svg}");
        assert!(parsed.text.contains("No "), "a visible sentence: {svg}");
    }
}

fn fixed_timetable() -> TimetableChart {
    TimetableChart {
        id: "timetable".into(),
        phases: vec![
            TimetablePhase {
                id: "consult".into(),
                name: "Consultation".into(),
                kind: "consultation".into(),
                start: at(2, 9),
                end: at(9, 17),
                deadline: at(9, 17),
                current: false,
            },
            TimetablePhase {
                id: "negotiate".into(),
                name: "Negotiation rounds".into(),
                kind: "negotiation".into(),
                start: at(9, 17),
                end: at(20, 17),
                deadline: at(23, 17),
                current: true,
            },
            TimetablePhase {
                id: "sign".into(),
                name: "Final session".into(),
                kind: "signing".into(),
                start: at(23, 17),
                end: at(27, 17),
                deadline: at(27, 17),
                current: false,
            },
        ],
        now: Some(at(21, 10)),
    }
}

fn fixed_pareto() -> ParetoChart {
    let p = |x, y| UtilityPair { x, y };
    ParetoChart {
        id: "pareto-north-south".into(),
        party_x: "Northern Alliance".into(),
        party_y: "Southern Front".into(),
        frontier: vec![p(0.95, 0.2), p(0.85, 0.45), p(0.7, 0.62), p(0.55, 0.74), p(0.35, 0.86), p(0.15, 0.93)],
        draft: Some(p(0.5, 0.4)),
        suggestions: vec![
            Suggestion { kind: SuggestionKind::Nash, label: "Nash".into(), at: p(0.7, 0.62) },
            Suggestion { kind: SuggestionKind::KalaiSmorodinsky, label: "KS".into(), at: p(0.7, 0.62) },
            Suggestion { kind: SuggestionKind::Egalitarian, label: "Egalitarian".into(), at: p(0.55, 0.74) },
            Suggestion { kind: SuggestionKind::Repair, label: "Repair".into(), at: p(0.52, 0.58) },
            Suggestion { kind: SuggestionKind::Improvement, label: "Improvement".into(), at: p(0.85, 0.45) },
        ],
        disagreement: Some(p(0.3, 0.25)),
    }
}

fn fixed_reservation_history() -> String {
    reservation_history(&ReservationHistoryChart {
        id: "reservation".into(),
        party: "Southern Front".into(),
        changes: vec![
            ReservationChange { at: at(3, 10), value: 0.55 },
            ReservationChange { at: at(8, 15), value: 0.45 },
            ReservationChange { at: at(15, 9), value: 0.48 },
        ],
        now: Some(at(21, 10)),
    })
}

fn fixed_utility_bar() -> String {
    utility_bar(&UtilityBarChart {
        id: "draft-gives-me".into(),
        party: "Southern Front".into(),
        subject: "Version 3".into(),
        utility: Some(0.62),
        reservation: Some(0.48),
    })
}

fn fixed_package_gains() -> String {
    package_gains(&PackageGainsChart {
        id: "gains-repair".into(),
        package: "Repair".into(),
        gains: vec![
            PartyGain { party: "Northern Alliance".into(), gain: 0.41 },
            PartyGain { party: "Southern Front".into(), gain: 0.66 },
            PartyGain { party: "Civil society".into(), gain: -0.12 },
        ],
    })
}

fn fixed_balance() -> String {
    balance(&BalanceChart {
        id: "balance".into(),
        party: "Southern Front".into(),
        provisions: vec![
            ProvisionBalance::from_share("Ceasefire monitoring", 0.12, 0.2, 0.05),
            ProvisionBalance::from_share("Elections", 0.05, 0.3, 0.04),
            ProvisionBalance::from_share("Power sharing", 0.1, 0.1, 0.1),
        ],
    })
}

/// One element per line, so a snapshot diff points at the element that changed
/// (only whitespace between tags is added; text content is untouched).
fn readable(svg: &str) -> String {
    svg.replace("><", ">\n<")
}

#[test]
fn snapshot_timetable() {
    let svg = timetable(&fixed_timetable());
    assert_accessible_and_inside(&svg);
    insta::assert_snapshot!(readable(&svg));
}

#[test]
fn snapshot_reservation_history() {
    let svg = fixed_reservation_history();
    assert_accessible_and_inside(&svg);
    insta::assert_snapshot!(readable(&svg));
}

#[test]
fn snapshot_utility_bar() {
    let svg = fixed_utility_bar();
    assert_accessible_and_inside(&svg);
    insta::assert_snapshot!(readable(&svg));
}

#[test]
fn snapshot_package_gains() {
    let svg = fixed_package_gains();
    assert_accessible_and_inside(&svg);
    insta::assert_snapshot!(readable(&svg));
}

#[test]
fn snapshot_pareto() {
    let svg = pareto(&fixed_pareto());
    assert_accessible_and_inside(&svg);
    insta::assert_snapshot!(readable(&svg));
}

#[test]
fn snapshot_balance() {
    let svg = fixed_balance();
    assert_accessible_and_inside(&svg);
    insta::assert_snapshot!(readable(&svg));
}

/// For `ACCORD_CHARTS_PREVIEW=dir`: writes every fixed chart into one HTML page
/// at both widths, to look at in a browser. Does nothing otherwise.
#[test]
fn preview_page_when_asked() {
    let Ok(dir) = std::env::var("ACCORD_CHARTS_PREVIEW") else { return };
    let mut charts = vec![
        timetable(&fixed_timetable()),
        pareto(&fixed_pareto()),
        fixed_reservation_history(),
        fixed_utility_bar(),
        fixed_package_gains(),
        fixed_balance(),
    ];
    charts.extend(hostile_charts());
    let mut html = String::from("<!doctype html><meta charset=utf-8><body style=\"margin:0;background:#eee\">");
    for width in [390, 1280] {
        html.push_str(&format!("<div style=\"width:{width}px;background:#fff;margin-bottom:20px\">"));
        for chart in &charts {
            html.push_str(chart);
        }
        html.push_str("</div>");
    }
    std::fs::write(std::path::Path::new(&dir).join("charts.html"), html).unwrap();
}

fn unit() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => 0.0f64..=1.0,
        1 => -5.0f64..5.0,
        1 => prop::sample::select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, 1.0]),
    ]
}

fn pair() -> impl Strategy<Value = UtilityPair> {
    (unit(), unit()).prop_map(|(x, y)| UtilityPair { x, y })
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..4_000_000).prop_map(|minutes| at(1, 0) + Duration::minutes(minutes))
}

fn kind() -> impl Strategy<Value = SuggestionKind> {
    prop::sample::select(vec![
        SuggestionKind::Nash,
        SuggestionKind::KalaiSmorodinsky,
        SuggestionKind::Egalitarian,
        SuggestionKind::Repair,
        SuggestionKind::Improvement,
    ])
}

fn phase() -> impl Strategy<Value = TimetablePhase> {
    (".{0,30}", instant(), 0i64..200_000, 0i64..20_000, any::<bool>()).prop_map(
        |(name, start, length, extra, current)| {
            let end = start + Duration::minutes(length);
            TimetablePhase {
                id: name.clone(),
                name: name.clone(),
                kind: name,
                start,
                end,
                deadline: end + Duration::minutes(extra),
                current,
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn pareto_stays_inside(
        names in (".{0,40}", ".{0,40}"),
        frontier in prop::collection::vec(pair(), 0..40),
        draft in prop::option::of(pair()),
        suggestions in prop::collection::vec((kind(), ".{0,20}", pair()), 0..8),
        disagreement in prop::option::of(pair()),
    ) {
        let chart = ParetoChart {
            id: names.0.clone(),
            party_x: names.0,
            party_y: names.1,
            frontier,
            draft,
            suggestions: suggestions.into_iter().map(|(kind, label, at)| Suggestion { kind, label, at }).collect(),
            disagreement,
        };
        assert_accessible_and_inside(&pareto(&chart));
    }

    #[test]
    fn timetable_stays_inside(phases in prop::collection::vec(phase(), 0..8), now in prop::option::of(instant())) {
        assert_accessible_and_inside(&timetable(&TimetableChart { id: "t".into(), phases, now }));
    }

    #[test]
    fn reservation_history_stays_inside(
        changes in prop::collection::vec((instant(), unit()), 0..20),
        now in prop::option::of(instant()),
    ) {
        let changes = changes.into_iter().map(|(at, value)| ReservationChange { at, value }).collect();
        let chart = ReservationHistoryChart { id: "r".into(), party: "p".into(), changes, now };
        assert_accessible_and_inside(&reservation_history(&chart));
    }

    #[test]
    fn bars_stay_inside(
        utility in prop::option::of(unit()),
        reservation in prop::option::of(unit()),
        gains in prop::collection::vec((".{0,40}", unit()), 0..10),
        scores in prop::collection::vec((".{0,60}", unit()), 0..10),
    ) {
        let bar = UtilityBarChart { id: "u".into(), party: "p".into(), subject: "s".into(), utility, reservation };
        assert_accessible_and_inside(&utility_bar(&bar));
        let gains = gains.into_iter().map(|(party, gain)| PartyGain { party, gain: gain * 2.0 - 1.0 }).collect();
        assert_accessible_and_inside(&package_gains(&PackageGainsChart { id: "g".into(), package: "n".into(), gains }));
        let provisions = scores.into_iter().map(|(provision, score)| ProvisionBalance { provision, score: score * 2.0 - 1.0 }).collect();
        assert_accessible_and_inside(&balance(&BalanceChart { id: "b".into(), party: "p".into(), provisions }));
    }
}

#[test]
#[should_panic(expected = "outside 0 0 100 50")]
fn the_inside_check_catches_a_point_outside() {
    let svg = "<svg id=\"c\" role=\"img\" aria-labelledby=\"c-title c-desc\" viewBox=\"0 0 100 50\">\
               <title id=\"c-title\">t</title><desc id=\"c-desc\">d</desc>\
               <polyline points=\"10,10 120,20\"/></svg>";
    assert_accessible_and_inside(svg);
}

#[test]
#[should_panic(expected = "not XML")]
fn the_xml_check_catches_a_broken_document() {
    parse("<svg viewBox=\"0 0 1 1\"><text>a</svg>");
}
