//! The NegMAS oracle files in `../shared/oracle`, read into [`Problem`]s.

use std::path::PathBuf;

use accord_engine::Problem;
use accord_engine::problem::{AnalysisParty, Group, IssueInfo};
use serde_json::Value as Json;

/// `$ACCORD_SHARED_DIR/oracle`, or `<repo>/../shared/oracle`; `None` (with a
/// visible line) when absent.
pub fn oracle_dir() -> Option<PathBuf> {
    let shared = std::env::var_os("ACCORD_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let dir = shared.join("oracle");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: ../shared not found ({} is absent)", dir.display());
        None
    }
}

#[derive(Debug)]
pub struct Oracle {
    pub name: String,
    pub json: Json,
    pub problem: Problem,
}

impl Oracle {
    /// The mode's reservation values (`-inf` when ignored).
    pub fn floors(&self, mode: &str) -> Vec<f64> {
        self.json[mode]["reserved_values"].as_array().unwrap().iter().map(number).collect()
    }

    /// The package (value index per issue) of an oracle outcome.
    pub fn package(&self, outcome: &Json) -> Vec<usize> {
        outcome
            .as_array()
            .unwrap()
            .iter()
            .zip(self.json["issues"].as_array().unwrap())
            .map(|(value, issue)| issue["values"].as_array().unwrap().iter().position(|v| v == value).unwrap())
            .collect()
    }
}

fn number(v: &Json) -> f64 {
    match v {
        Json::String(s) if s == "-inf" => f64::NEG_INFINITY,
        Json::String(s) if s == "inf" => f64::INFINITY,
        other => other.as_f64().unwrap(),
    }
}

/// Every oracle file, sorted by name, with its problem: tables are
/// `weight × normalised evaluation`, one singleton group per issue, and the
/// GENIUS-mode reservation values.
pub fn load_all(dir: &std::path::Path) -> Vec<Oracle> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let json: Json = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let name = json["name"].as_str().unwrap().to_string();
            let issues = json["issues"].as_array().unwrap();
            let profiles = json["profiles"].as_array().unwrap();
            let tables: Vec<Vec<Vec<f64>>> = profiles
                .iter()
                .map(|profile| {
                    let weights = profile["weights"].as_array().unwrap();
                    let functions = profile["value_functions"].as_array().unwrap();
                    weights
                        .iter()
                        .zip(functions)
                        .map(|(w, f)| {
                            let w = number(w);
                            f.as_array().unwrap().iter().map(|e| w * number(e)).collect()
                        })
                        .collect()
                })
                .collect();
            let n = tables.len();
            let genius_rv = &json["genius"]["reserved_values"];
            let problem = Problem {
                parties: (0..n)
                    .map(|p| AnalysisParty {
                        id: format!("p{p}"),
                        name: profiles[p]["file"].as_str().unwrap().to_string(),
                        reservation: number(&genius_rv[p]),
                    })
                    .collect(),
                issues: issues
                    .iter()
                    .map(|issue| IssueInfo {
                        id: issue["name"].as_str().unwrap().to_string(),
                        title: issue["name"].as_str().unwrap().to_string(),
                        values: issue["values"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|v| match v {
                                Json::String(s) => accord_core::Value::Option(s.clone()),
                                other => accord_core::Value::Number(other.as_f64().unwrap()),
                            })
                            .collect(),
                    })
                    .collect(),
                groups: (0..issues.len())
                    .map(|i| {
                        let size = tables[0][i].len();
                        Group {
                            issues: vec![i],
                            assignments: (0..size).map(|v| vec![v]).collect(),
                            utilities: (0..size).map(|v| (0..n).map(|p| 0.0 + tables[p][i][v]).collect()).collect(),
                        }
                    })
                    .collect(),
                rules: Vec::new(),
                tables,
            };
            Oracle { name, json, problem }
        })
        .collect()
}
