//! `accord analyze`: the engine's answers, as a readable report or as JSON.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use accord_core::{IssueKind, Negotiation, Package};
use std::sync::Mutex;

use accord_engine::analyse::{Budget, Budgets, Outcome, Part, Progress};
use accord_engine::bargain::Solution;
use accord_engine::frontier::Frontier;
use accord_engine::improve::Improvement;
use accord_engine::{EngineError, Problem};
use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value as Json, json};

use crate::report::{self, Table};

/// Find what is acceptable to all, the fair packages and the repair of a draft.
///
/// Reads a scenario file (TOML) or a GENIUS domain directory (a domain XML and
/// one profile XML per party), compiles it, and computes:
///
///   frontier     the Pareto frontier of the packages every signatory prefers
///                to walking away (individually rational), with every package
///                behind each point;
///   nash         the package maximising the product of gains over the
///                reservation values;
///   ks           Kalai–Smorodinsky: the package maximising the smallest gain
///                as a share of each party's best possible gain;
///   egalitarian  the package maximising the smallest gain;
///   welfare      the package maximising the sum of utilities;
///   zopa         whether any package satisfies every signatory, how many, and one;
///   repair       the fewest issues to change in the draft so that it does;
///   improve      a package every party likes at least as much as the draft,
///                and one party more (or a proof that none exists);
///   balance      each provision's contribution to each party's utility.
///
/// Every optimum is exact, or reports the gap between it and a proven bound.
/// Profiles are confidential: run this where the scenario file's holder may see
/// them (the mediator's desk), not in front of the parties.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  accord analyze examples/peace-framework.toml
  accord analyze examples/peace-framework.toml --solution repair --draft territory=freeze
  accord analyze examples/peace-framework.toml --solution nash --json
  accord analyze path/to/genius-domain --json > analysis.json

The JSON output is documented in docs/analyze-json.md.")]
pub struct Args {
    /// A scenario file (`.toml`) or a GENIUS domain directory.
    pub input: PathBuf,

    /// Which analysis to run.
    #[arg(long, value_enum, default_value_t = SolutionKind::All)]
    pub solution: SolutionKind,

    /// The draft to repair, improve and balance, as `issue=value` pairs
    /// (repeat the flag or separate pairs with commas). Issues not named keep
    /// the scenario's draft values.
    #[arg(long, value_name = "ISSUE=VALUE", value_delimiter = ',')]
    pub draft: Vec<String>,

    /// Print one JSON object on stdout instead of the report.
    #[arg(long)]
    pub json: bool,

    /// Most frontier points listed in the report (the chart shows them all).
    #[arg(long, default_value_t = 15, value_name = "N")]
    pub show: usize,

    /// Most packages kept behind each frontier point (all are counted).
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub packages_cap: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SolutionKind {
    Frontier,
    Nash,
    Ks,
    Egalitarian,
    Welfare,
    Zopa,
    Repair,
    Improve,
    Balance,
    All,
}

/// Where the negotiation came from decides how values are written: GENIUS
/// domains by their original value strings, scenarios by option ids.
struct Loaded {
    negotiation: Negotiation,
    from_genius: bool,
}

fn load(path: &std::path::Path) -> anyhow::Result<Loaded> {
    if path.is_dir() {
        let negotiation = accord_formats::genius::import_dir(path)
            .with_context(|| format!("cannot import the GENIUS domain in {}", path.display()))?;
        Ok(Loaded { negotiation, from_genius: true })
    } else {
        // The scenario errors already name the file, line and column.
        let negotiation = accord_formats::scenario::read_file(path)?;
        Ok(Loaded { negotiation, from_genius: false })
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Loaded { negotiation, from_genius } = load(&args.input)?;
    let draft = negotiation
        .package_from_pairs(parse_pairs(&args.draft)?)
        .context("the --draft package names an unknown issue or value")?;

    let progress = progress_bar();
    let analysis = Analysis::run(&negotiation, &draft, &args, &progress)?;
    progress.finish_and_clear();

    if args.json {
        let out = analysis.to_json(&negotiation, from_genius);
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", analysis.report(&negotiation, &draft, &args));
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_pairs(pairs: &[String]) -> anyhow::Result<Vec<(&str, &str)>> {
    pairs
        .iter()
        .filter(|p| !p.trim().is_empty())
        .map(|pair| {
            pair.split_once('=')
                .map(|(k, v)| (k.trim(), v.trim()))
                .with_context(|| format!("--draft expects issue=value, got \"{pair}\""))
        })
        .collect()
}

/// Drawn on stderr only when it is a terminal, so `--json` on stdout and
/// piped runs stay clean.
fn progress_bar() -> ProgressBar {
    let target =
        if std::io::stderr().is_terminal() { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
    let bar = ProgressBar::with_draw_target(Some(0), target);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg:12} [{bar:30}] {pos}/{len} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

/// Everything computed, with the time each part took.
struct Analysis {
    problem: Problem,
    /// The stances left out because the wording they answer is gone (a
    /// scenario's stances are unpinned, so only a log's can be stale).
    stale: Vec<accord_engine::compile::StaleStance>,
    frontier: Option<Result<Frontier, EngineError>>,
    nash: Option<Option<Solution>>,
    ks: Option<Option<Solution>>,
    egalitarian: Option<Option<Solution>>,
    welfare: Option<Option<Solution>>,
    improve: Option<Improvement>,
    extra: crate::analyze_extra::Extra,
    /// The budgets that ran out, by part (empty when every answer is exact).
    exhausted: Vec<(Part, Budget)>,
    timings_ms: BTreeMap<&'static str, f64>,
}

fn timed<T>(timings: &mut BTreeMap<&'static str, f64>, name: &'static str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    timings.insert(name, start.elapsed().as_secs_f64() * 1e3);
    out
}

/// The engine parts `--solution` asks for.
fn parts(kind: SolutionKind) -> Vec<Part> {
    match kind {
        SolutionKind::All => Part::ALL.to_vec(),
        SolutionKind::Frontier => vec![Part::Frontier],
        SolutionKind::Nash => vec![Part::Nash],
        SolutionKind::Ks => vec![Part::KalaiSmorodinsky],
        SolutionKind::Egalitarian => vec![Part::Egalitarian],
        SolutionKind::Welfare => vec![Part::MaxWelfare],
        SolutionKind::Zopa => vec![Part::Zopa],
        SolutionKind::Repair => vec![Part::Repair],
        SolutionKind::Improve => vec![Part::Improvement],
        SolutionKind::Balance => Vec::new(),
    }
}

/// The budgets of `accord analyze`: the engine's defaults, with the flags that set a limit.
fn budgets(args: &Args) -> Budgets {
    Budgets { packages_cap: args.packages_cap, ..Budgets::default() }
}

/// A solution as the report shows it, or the error that stops the command.
fn solution_of(outcome: Option<Outcome<Option<Solution>>>, name: &str) -> anyhow::Result<Option<Option<Solution>>> {
    outcome.map(|o| o.into_result().with_context(|| format!("the {name} computation failed"))).transpose()
}

impl Analysis {
    fn run(negotiation: &Negotiation, draft: &Package, args: &Args, bar: &ProgressBar) -> anyhow::Result<Self> {
        let mut timings = BTreeMap::new();
        let (problem, report) = timed(&mut timings, "compile", || {
            accord_engine::compile::compile_with(negotiation, &accord_engine::compile::CompileOptions::default())
        })
        .context("cannot analyse this negotiation")?;

        // The engine reads no clock: the parts are timed here, as it reports them.
        let clock = Mutex::new((Instant::now(), BTreeMap::new()));
        let progress = |event: Progress| match event {
            Progress::Started(part) => {
                bar.set_message(part.name());
                bar.tick();
                clock.lock().unwrap_or_else(|e| e.into_inner()).0 = Instant::now();
            }
            Progress::Frontier { done, total } => {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            }
            Progress::Finished(part) => {
                let mut clock = clock.lock().unwrap_or_else(|e| e.into_inner());
                let elapsed = clock.0.elapsed().as_secs_f64() * 1e3;
                clock.1.insert(part.name(), elapsed);
            }
        };
        let mut engine =
            accord_engine::analyse::analyse_parts(&problem, &draft.0, &budgets(args), &parts(args.solution), &progress);
        timings.append(&mut clock.into_inner().unwrap_or_else(|e| e.into_inner()).1);

        let exhausted = engine.exhausted();
        let frontier = engine.frontier.take().map(Outcome::into_result);
        let nash = solution_of(engine.nash.take(), "nash")?;
        let ks = solution_of(engine.kalai_smorodinsky.take(), "kalai_smorodinsky")?;
        let egalitarian = solution_of(engine.egalitarian.take(), "egalitarian")?;
        let welfare = solution_of(engine.max_welfare.take(), "max_welfare")?;
        let improve = engine
            .improvement
            .take()
            .map(|o| o.into_result().context("the post-settlement improvement failed"))
            .transpose()?;
        let extra =
            crate::analyze_extra::Extra::run(negotiation, &problem, draft, args.solution, &mut engine, &mut timings)?;
        Ok(Analysis {
            problem,
            stale: report.stale,
            frontier,
            nash,
            ks,
            egalitarian,
            welfare,
            improve,
            extra,
            exhausted,
            timings_ms: timings,
        })
    }

    fn to_json(&self, negotiation: &Negotiation, from_genius: bool) -> Json {
        let values = |package: &[usize]| -> Json { Json::Array(package_values(negotiation, package, from_genius)) };
        let solution = |s: &Option<Solution>| -> Json {
            match s {
                None => Json::Null,
                Some(s) => json!({
                    "utilities": s.utilities,
                    "package": values(&s.package),
                    "objective": s.objective,
                    "gap": s.gap,
                    "active_rules": s.active_rules,
                }),
            }
        };
        let mut out = serde_json::Map::new();
        out.insert("parties".into(), json!(self.problem.parties.iter().map(|p| p.name.clone()).collect::<Vec<_>>()));
        out.insert("party_ids".into(), json!(self.problem.parties.iter().map(|p| p.id.clone()).collect::<Vec<_>>()));
        out.insert(
            "reservation_values".into(),
            json!(self.problem.parties.iter().map(|p| p.reservation).collect::<Vec<_>>()),
        );
        out.insert(
            "issues".into(),
            Json::Array(
                negotiation
                    .issues
                    .iter()
                    .enumerate()
                    .map(|(i, issue)| {
                        json!({
                            "id": issue.id,
                            "name": issue.title,
                            "values": (0..issue.value_count())
                                .map(|v| value_json(negotiation, i, v, from_genius))
                                .collect::<Vec<_>>(),
                        })
                    })
                    .collect(),
            ),
        );
        out.insert("stale".into(), json!(self.stale));
        out.insert(
            "n_outcomes".into(),
            json!(negotiation.outcome_count().map_or_else(|| "more than 2^128".to_string(), |n| n.to_string())),
        );
        if let Some(frontier) = &self.frontier {
            let value = match frontier {
                Ok(f) => Json::Array(
                    f.points
                        .iter()
                        .map(|p| {
                            json!({
                                "utilities": p.utilities,
                                "packages": p.packages.iter().map(|pk| values(pk)).collect::<Vec<_>>(),
                                "n_packages": p.n_packages,
                            })
                        })
                        .collect(),
                ),
                Err(e) => json!({ "omitted": e.to_string() }),
            };
            out.insert("frontier".into(), value);
        }
        for (key, s) in [
            ("nash", &self.nash),
            ("kalai_smorodinsky", &self.ks),
            ("egalitarian", &self.egalitarian),
            ("max_welfare", &self.welfare),
        ] {
            if let Some(s) = s {
                out.insert(key.into(), solution(s));
            }
        }
        if let Some(imp) = &self.improve {
            out.insert(
                "improve".into(),
                match imp {
                    Improvement::Better { solution: s } => {
                        json!({ "kind": "better", "solution": solution(&Some(s.clone())) })
                    }
                    Improvement::ParetoOptimal { baseline_welfare, max_welfare } => json!({
                        "kind": "pareto_optimal",
                        "baseline_welfare": baseline_welfare,
                        "max_welfare": max_welfare,
                    }),
                },
            );
        }
        self.extra.to_json(negotiation, from_genius, &mut out);
        if !self.exhausted.is_empty() {
            let exhausted: Vec<Json> = self
                .exhausted
                .iter()
                .map(|(part, budget)| json!({ "part": part.name(), "budget": budget.name() }))
                .collect();
            out.insert("budgets_exhausted".into(), Json::Array(exhausted));
        }
        out.insert("timings_ms".into(), json!(self.timings_ms));
        Json::Object(out)
    }

    fn report(&self, negotiation: &Negotiation, draft: &Package, args: &Args) -> String {
        let mut out = String::new();
        let names: Vec<&str> = self.problem.parties.iter().map(|p| p.name.as_str()).collect();
        out += &format!("{}\n{}\n\n", negotiation.title, "=".repeat(negotiation.title.chars().count()));
        if negotiation.profiles.iter().any(|p| p.illustrative) {
            out += "Note: the profiles in this scenario are ILLUSTRATIVE, invented for demonstration; \
                    they are nobody's real position.\n\n";
        }
        out += &format!(
            "{} signatories with profiles: {}; {} issues; {} possible packages.\n",
            names.len(),
            self.problem
                .parties
                .iter()
                .map(|p| format!("{} (walks away below {:.3})", p.name, p.reservation))
                .collect::<Vec<_>>()
                .join(", "),
            negotiation.issues.len(),
            negotiation.outcome_count().map_or_else(|| "more than 2^128".into(), report::group_digits),
        );
        if !self.problem.rules.is_empty() {
            out += &format!(
                "{} hard rules from constraints and stances: {}.\n",
                self.problem.rules.len(),
                self.problem.rules.iter().map(|r| r.source.as_str()).collect::<Vec<_>>().join("; ")
            );
        }
        out += "\n";
        out += &self.extra.report_before(negotiation, &self.problem, draft);

        let mut marks: Vec<(char, &str, Vec<f64>)> = Vec::new();
        marks.push(('D', "draft", self.problem.utilities(&draft.0)));
        let mut solutions = Table::new(
            std::iter::once("solution".to_string())
                .chain(names.iter().map(|n| n.to_string()))
                .chain(["objective".into(), "gap".into(), "changes from the draft".into()])
                .collect(),
        );
        for (mark, label, s) in [
            ('N', "Nash", &self.nash),
            ('K', "Kalai-Smorodinsky", &self.ks),
            ('E', "egalitarian", &self.egalitarian),
            ('W', "max welfare", &self.welfare),
        ] {
            let Some(s) = s else { continue };
            match s {
                None => solutions.row(
                    std::iter::once(label.to_string())
                        .chain(names.iter().map(|_| "-".to_string()))
                        .chain(["no rational package".into(), String::new(), String::new()])
                        .collect(),
                ),
                Some(s) => {
                    marks.push((mark, label, s.utilities.clone()));
                    solutions.row(
                        std::iter::once(label.to_string())
                            .chain(s.utilities.iter().map(|u| format!("{u:.4}")))
                            .chain([
                                format!("{:.6}", s.objective),
                                format!("{:.1e}", s.gap),
                                report::describe_changes(negotiation, &draft.0, &s.package),
                            ])
                            .collect(),
                    )
                }
            }
        }
        if !solutions.is_empty() {
            out += "Bargaining solutions (d = reservation values; gap 0 = proven optimal)\n";
            out += &solutions.render();
            out += "\n";
        }

        if let Some(frontier) = &self.frontier {
            match frontier {
                Err(e) => out += &format!("Pareto frontier: not computed: {e}\n\n"),
                Ok(f) if f.points.is_empty() => {
                    out +=
                        "Pareto frontier: empty — no package gives every signatory at least its reservation value.\n\n"
                }
                Ok(f) => {
                    out += &format!(
                        "Pareto frontier of the individually rational packages: {} points, {} packages\n",
                        f.points.len(),
                        report::group_digits(f.points.iter().map(|p| p.n_packages).sum::<u128>())
                    );
                    let mut table = Table::new(
                        names
                            .iter()
                            .map(|n| n.to_string())
                            .chain(["packages".into(), "example (changes from the draft)".into()])
                            .collect(),
                    );
                    for p in f.points.iter().take(args.show) {
                        table.row(
                            p.utilities
                                .iter()
                                .map(|u| format!("{u:.4}"))
                                .chain([
                                    report::group_digits(p.n_packages),
                                    p.packages
                                        .first()
                                        .map(|pk| report::describe_changes(negotiation, &draft.0, pk))
                                        .unwrap_or_default(),
                                ])
                                .collect(),
                        );
                    }
                    out += &table.render();
                    if f.points.len() > args.show {
                        out += &format!("  … and {} more points (--show N lists more)\n", f.points.len() - args.show);
                    }
                    if names.len() >= 2 {
                        out += "\n";
                        out += &report::frontier_chart(
                            &f.points.iter().map(|p| p.utilities.clone()).collect::<Vec<_>>(),
                            &marks,
                            (names[0], names[1]),
                        );
                    }
                    out += "\n";
                }
            }
        }
        if let Some(imp) = &self.improve {
            out += "Post-settlement improvement of the draft\n";
            match imp {
                Improvement::Better { solution } => {
                    out += &format!(
                        "  Every party is at least as well off and one better off with: {}\n  utilities {}\n\n",
                        report::describe_changes(negotiation, &draft.0, &solution.package),
                        report::describe_utilities(&names, &solution.utilities),
                    )
                }
                Improvement::ParetoOptimal { baseline_welfare, max_welfare } => {
                    out += &format!(
                        "  None: the draft is Pareto-optimal (the best total utility without making anyone worse \
                         off is {max_welfare:.6}, the draft's own is {baseline_welfare:.6}).\n\n"
                    )
                }
            }
        }
        out += &self.extra.report_after(negotiation, &self.problem, draft);
        if !self.exhausted.is_empty() {
            out += &format!(
                "Not proven: a work budget ran out for {}; those answers are the best found within it, with \
                 their bounds.\n\n",
                self.exhausted
                    .iter()
                    .map(|(part, budget)| format!("{} ({})", part.name(), budget.name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        out += &format!(
            "Computed in {}.\n",
            self.timings_ms.iter().map(|(k, v)| format!("{k} {v:.1} ms")).collect::<Vec<_>>().join(", ")
        );
        out
    }
}

/// A value as the domain writes it: an option's original string (GENIUS) or
/// id (scenarios), or a number for numeric issues.
pub fn value_json(negotiation: &Negotiation, issue: usize, value: usize, from_genius: bool) -> Json {
    let issue = &negotiation.issues[issue];
    match &issue.kind {
        IssueKind::Discrete { options } => {
            let option = &options[value];
            json!(if from_genius { &option.label } else { &option.id })
        }
        IssueKind::Numeric(range) => {
            let x = range.value_at(value);
            if range.integer { json!(x as i64) } else { json!(x) }
        }
    }
}

pub fn package_values(negotiation: &Negotiation, package: &[usize], from_genius: bool) -> Vec<Json> {
    package.iter().enumerate().map(|(i, &v)| value_json(negotiation, i, v, from_genius)).collect()
}
