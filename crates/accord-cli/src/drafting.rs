//! The mediator's drafting commands: `accord provision …`, `accord bracket …`
//! and `accord draft edit`. Each sends one batch of drafting edits
//! (`POST /api/negotiations/{id}/draft/edits`) with the log size it read
//! the draft at as its `base`; the server refuses the whole batch if the
//! draft moved since, so nothing is ever applied to a text the mediator did
//! not see.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use accord_api::{DraftEditsResult, DraftView, WriteResult};
use accord_core::drafting::{BracketOption, DraftEdit};
use accord_formats::draft_text::{self, DraftText};
use anyhow::{Context, bail};

use crate::client::{ApiFailure, Client, Method};
use crate::draft_diff;
use crate::remote::{load, path_id, written};

/// Provisions of the working draft (mediator only). Every command is one
/// atomic edit, refused if the draft changed since it was read.
#[derive(Debug, clap::Subcommand)]
pub enum ProvisionCommand {
    /// Insert a provision, numbered between its neighbours (5a after 5).
    #[command(after_help = "\
Examples:
  accord provision add peace-framework --after art-5 --heading \"Monitoring\" --body \"A joint commission monitors the ceasefire.\"
  accord provision add peace-framework --first --id preamble --heading \"Preamble\" --body-file preamble.txt")]
    Add {
        id: String,
        /// The provision it follows.
        #[arg(long, required_unless_present = "first", conflicts_with = "first")]
        after: Option<String>,
        /// Put it before every other provision.
        #[arg(long)]
        first: bool,
        /// Its permanent id (default: made from its number, `art-5a`).
        #[arg(long = "id", value_name = "ID")]
        new_id: Option<String>,
        #[arg(long, default_value = "")]
        heading: String,
        /// The body; `{issue-id}` marks a slot (write `{{` and `}}` for braces).
        #[arg(long, conflicts_with = "body_file", required_unless_present = "body_file")]
        body: Option<String>,
        /// Read the body from a file (`-` for standard input).
        #[arg(long, value_name = "FILE")]
        body_file: Option<PathBuf>,
    },
    /// Reword a provision: its heading, its body, or both.
    #[command(after_help = "\
Examples:
  accord provision set peace-framework art-3 --heading \"Security guarantees\"
  accord provision set peace-framework art-3 --body-file art-3.txt")]
    Set {
        id: String,
        provision: String,
        #[arg(long)]
        heading: Option<String>,
        #[arg(long, conflicts_with = "body_file")]
        body: Option<String>,
        #[arg(long, value_name = "FILE")]
        body_file: Option<PathBuf>,
    },
    /// Move a provision after another one (or to the start); it is numbered between its new neighbours.
    #[command(after_help = "\
Examples:
  accord provision move peace-framework art-9 --after art-2
  accord provision move peace-framework art-9 --first")]
    Move {
        id: String,
        provision: String,
        #[arg(long, required_unless_present = "first", conflicts_with = "first")]
        after: Option<String>,
        #[arg(long)]
        first: bool,
    },
    /// Remove a provision (its history, stances and comments stay in the log).
    #[command(after_help = "Example:\n  accord provision remove peace-framework art-12")]
    Remove { id: String, provision: String },
    /// Split a provision in two where the given text begins; the second part is a new provision.
    #[command(after_help = "\
Example:
  accord provision split peace-framework art-5 --at \"The parties shall\" --id art-5-monitoring --heading \"Monitoring\"")]
    Split {
        id: String,
        provision: String,
        /// The words the second part begins with (they must occur once in the body).
        #[arg(long)]
        at: String,
        /// The second part's id (default: made from its number).
        #[arg(long = "id", value_name = "ID")]
        new_id: Option<String>,
        /// The second part's heading (default: the original's).
        #[arg(long)]
        heading: Option<String>,
    },
    /// Merge provisions into the first one named: bodies joined, every wording kept, stances and comments carried.
    #[command(after_help = "Example:\n  accord provision merge peace-framework art-7 art-8 art-9")]
    Merge {
        id: String,
        /// The provisions, the one that stays first.
        #[arg(num_args = 2.., required = true)]
        provisions: Vec<String>,
    },
    /// Renumber every provision 1, 2, 3, … in text order (ids do not change).
    #[command(after_help = "Example:\n  accord provision renumber peace-framework")]
    Renumber { id: String },
}

/// Brackets: alternative wordings bound to an issue (mediator only).
#[derive(Debug, clap::Subcommand)]
pub enum BracketCommand {
    /// Turn a span of a provision's body into a bracket: a new issue with its options, one wording each.
    #[command(after_help = "\
Each --option is ID=LABEL or ID=LABEL=WORDING; the first option's wording
defaults to the span itself, the others' to their label. The draft takes the
first option.

Example:
  accord bracket open peace-framework art-4 --span \"600,000 troops\" --issue army-size \\
      --title \"Size of the armed forces\" \\
      --option current=\"As drafted\" --option smaller=\"Smaller\"=\"400,000 troops\"")]
    Open {
        id: String,
        provision: String,
        /// The words to bracket (they must occur once in the body, outside slots).
        #[arg(long)]
        span: String,
        /// The new issue's id.
        #[arg(long)]
        issue: String,
        /// The issue's title (default: the span).
        #[arg(long)]
        title: Option<String>,
        /// An option: ID=LABEL[=WORDING]. Repeat for each.
        #[arg(long = "option", value_parser = parse_option, required = true)]
        options: Vec<BracketOption>,
    },
    /// Close a bracket on one option: its wording is written into the text and the issue goes.
    #[command(after_help = "Example:\n  accord bracket close peace-framework territory freeze")]
    Close { id: String, issue: String, option: String },
    /// Add an alternative to a bracket, in every provision that words the issue.
    #[command(after_help = "\
Example:
  accord bracket add-option peace-framework territory referendum --label \"Referendum\" --wording \"a line set by referendum\"")]
    AddOption {
        id: String,
        issue: String,
        option: String,
        #[arg(long)]
        label: String,
        /// Its wording (default: the label).
        #[arg(long)]
        wording: Option<String>,
    },
    /// Drop an alternative (one must stay; close the bracket instead).
    #[command(after_help = "Example:\n  accord bracket remove-option peace-framework territory withdraw")]
    RemoveOption { id: String, issue: String, option: String },
}

fn parse_option(text: &str) -> Result<BracketOption, String> {
    let mut parts = text.splitn(3, '=');
    let (Some(id), Some(label)) = (parts.next(), parts.next()) else {
        return Err(format!("write ID=LABEL or ID=LABEL=WORDING, not {text:?}"));
    };
    Ok(BracketOption { id: id.trim().to_string(), label: label.to_string(), wording: parts.next().map(str::to_string) })
}

fn body_of(body: Option<String>, file: Option<&Path>) -> anyhow::Result<Option<String>> {
    match (body, file) {
        (Some(body), _) => Ok(Some(body)),
        (None, Some(path)) if path == Path::new("-") => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .context("reading the body from standard input")?;
            Ok(Some(text.trim_end_matches('\n').to_string()))
        }
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            Ok(Some(text.trim_end_matches('\n').to_string()))
        }
        (None, None) => Ok(None),
    }
}

/// The request body of `POST …/draft/edits` (`accord_api::DraftEditsInput`, borrowed).
#[derive(serde::Serialize)]
struct Batch<'a> {
    base: u64,
    edits: &'a [DraftEdit],
}

/// The log size now: the base an edit decided on what it reads next is based on.
fn base_of(client: &Client, id: &str) -> anyhow::Result<u64> {
    Ok(client.get::<accord_api::NegotiationView>(&format!("/api/negotiations/{}", path_id(id)?))?.log_size)
}

fn send(client: &Client, id: &str, base: u64, edits: &[DraftEdit]) -> anyhow::Result<WriteResult> {
    let result: DraftEditsResult = client.send(
        Method::Post,
        &format!("/api/negotiations/{}/draft/edits", path_id(id)?),
        None,
        Some(&Batch { base, edits }),
    )?;
    Ok(WriteResult { position: result.position, log_size: result.log_size, root: result.root })
}

fn one(id: &str, edit: DraftEdit) -> anyhow::Result<ExitCode> {
    let (_, _, client) = load()?;
    let base = base_of(&client, id)?;
    let what = draft_diff::describe(&edit);
    let result = send(&client, id, base, std::slice::from_ref(&edit))?;
    Ok(written(&format!("Draft edited: {what}"), &result))
}

pub fn provision(command: ProvisionCommand) -> anyhow::Result<ExitCode> {
    match command {
        ProvisionCommand::Add { id, after, first: _, new_id, heading, body, body_file } => {
            let body = body_of(body, body_file.as_deref())?.unwrap_or_default();
            one(&id, DraftEdit::AddProvision { after, id: new_id, heading, body, wordings: Vec::new() })
        }
        ProvisionCommand::Set { id, provision, heading, body, body_file } => {
            let body = body_of(body, body_file.as_deref())?;
            if heading.is_none() && body.is_none() {
                bail!("nothing to change: give --heading, --body or --body-file");
            }
            one(&id, DraftEdit::SetProvision { provision, heading, body, wordings: None })
        }
        ProvisionCommand::Move { id, provision, after, first: _ } => {
            one(&id, DraftEdit::MoveProvision { provision, after })
        }
        ProvisionCommand::Remove { id, provision } => one(&id, DraftEdit::RemoveProvision { provision }),
        ProvisionCommand::Split { id, provision, at, new_id, heading } => {
            one(&id, DraftEdit::SplitProvision { provision, at, id: new_id, heading })
        }
        ProvisionCommand::Merge { id, provisions } => one(&id, DraftEdit::MergeProvisions { provisions }),
        ProvisionCommand::Renumber { id } => one(&id, DraftEdit::Renumber),
    }
}

pub fn bracket(command: BracketCommand) -> anyhow::Result<ExitCode> {
    match command {
        BracketCommand::Open { id, provision, span, issue, title, options } => {
            one(&id, DraftEdit::OpenBracket { provision, span, issue, title, options })
        }
        BracketCommand::Close { id, issue, option } => one(&id, DraftEdit::CloseBracket { issue, option }),
        BracketCommand::AddOption { id, issue, option, label, wording } => {
            one(&id, DraftEdit::AddAlternative { issue, option, label, wording })
        }
        BracketCommand::RemoveOption { id, issue, option } => one(&id, DraftEdit::RemoveAlternative { issue, option }),
    }
}

/// Arguments of `accord draft edit`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
The file is the draft's text form (docs/draft-text-format.md):

  @accord-draft 1
  @provision art-1 1 \"Ceasefire\"
  The parties agree to a ceasefire along {territory}.
  @wording territory withdraw \"the line of 1991\"
  @wording territory freeze \"the current line of contact\"

  @issue territory \"Territory\"
  @option withdraw \"Withdrawal\"
  @option freeze \"Freeze\"
  @draft freeze

Reword bodies and headings; reorder, delete or add @provision blocks (a new
one needs a new id; its number is given by the server); add or delete
@option lines (and their @wording lines); delete an @issue to close its
bracket on the draft's option; change @draft values; number every
provision 1, 2, 3, … to renumber. Split, merge and opening a bracket keep
their lineage only through `accord provision split|merge` and
`accord bracket open`.

A file that cannot be read, or asks for what the command cannot do, is
reopened in the editor when you are at a terminal, and kept otherwise.
If the draft changed while you edited, nothing is sent and the file is kept.

Examples:
  accord draft edit peace-framework
  EDITOR=nano accord draft edit peace-framework
  accord draft edit peace-framework --yes   # send without asking")]
pub struct EditArgs {
    pub id: String,
    /// Send without asking for confirmation.
    #[arg(long, short)]
    pub yes: bool,
}

/// The editor to run: `$VISUAL`, else `$EDITOR`, else `vi`.
fn editor() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string())
}

/// Runs the editor on `path` through the shell, so `EDITOR="code --wait"` works.
fn run_editor(path: &Path) -> anyhow::Result<()> {
    let editor = editor();
    let status = if cfg!(windows) {
        std::process::Command::new("cmd").arg("/C").arg(format!("{editor} \"{}\"", path.display())).status()
    } else {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("accord-editor")
            .arg(path)
            .status()
    }
    .with_context(|| format!("starting the editor ({editor})"))?;
    if !status.success() {
        bail!("the editor ({editor}) exited with {status}; nothing was sent (your file: {})", path.display());
    }
    Ok(())
}

fn text_of(draft: &DraftView) -> DraftText {
    DraftText { provisions: draft.provisions.clone(), issues: draft.issues.clone() }
}

/// Asks a yes/no question on the terminal; `default` when the answer is empty.
fn ask(question: &str, default: bool) -> bool {
    print!("{question} ");
    let _ = std::io::Write::flush(&mut std::io::stdout());
    let mut answer = String::new();
    if std::io::stdin().read_line(&mut answer).is_err() {
        return false;
    }
    match answer.trim().to_ascii_lowercase().as_str() {
        "" => default,
        "y" | "yes" => true,
        _ => false,
    }
}

/// Reads the edited file and turns it into a batch, reopening the editor
/// on a mistake while someone is at the terminal.
fn edited_batch(id: &str, path: &Path, before: &DraftText, interactive: bool) -> anyhow::Result<Vec<DraftEdit>> {
    loop {
        run_editor(path)?;
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let problem = match draft_text::parse(&text) {
            Ok(after) => match draft_diff::edits(before, &after) {
                Ok(batch) => return Ok(batch),
                Err(reasons) => {
                    format!("the file asks for changes this command cannot make:\n  {}", reasons.join("\n  "))
                }
            },
            Err(error) => format!("{}: {error}", path.display()),
        };
        eprintln!("{problem}");
        if !(interactive && ask("Edit the file again? [Y/n]", true)) {
            bail!(
                "nothing was sent; your file is kept: {}\n(start again with `accord draft edit {id}`)",
                path.display()
            );
        }
    }
}

pub fn edit(args: EditArgs) -> anyhow::Result<ExitCode> {
    let (_, _, client) = load()?;
    let id = args.id.as_str();
    // The base is read before the draft: a change between the two reads makes the batch stale, never lost.
    let base = base_of(&client, id)?;
    let draft: DraftView = client.get(&format!("/api/negotiations/{}/draft", path_id(id)?))?;
    let comments = vec![
        format!("The working draft of {id}, read at log position {base}."),
        "Edit, save and close the editor; `accord draft edit` sends the differences as one batch.".to_string(),
        "Format: docs/draft-text-format.md. `@provision ID NUMBER \"HEADING\"`, then the body's lines;".to_string(),
        "`@wording ISSUE OPTION \"TEXT\"`; `@issue ID \"TITLE\"`, `@option ID \"LABEL\"`, `@draft VALUE`.".to_string(),
        "Lines starting with # are ignored; start a body line with \\ to begin it with @, # or \\.".to_string(),
    ];
    let before = draft_text::normalise(&text_of(&draft));
    // A name no other run picks: two edits of the same draft at once keep their own files.
    let mut nonce = [0u8; 4];
    getrandom::fill(&mut nonce).context("drawing a random file name")?;
    let path = std::env::temp_dir().join(format!("accord-draft-{}-{base}-{}.accord", path_id(id)?, hex::encode(nonce)));
    std::fs::write(&path, draft_text::write(&before, &comments))
        .with_context(|| format!("writing {}", path.display()))?;
    let interactive = std::io::stdin().is_terminal();
    let batch = edited_batch(id, &path, &before, interactive)?;
    if batch.is_empty() {
        println!("No changes: nothing sent.");
        let _ = std::fs::remove_file(&path);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} edit(s) to send, as one batch:", batch.len());
    for edit in &batch {
        println!("  {}", draft_diff::describe(edit));
    }
    if !args.yes && interactive && !ask("Send them? [y/N]", false) {
        println!("Not sent; your file is kept: {}", path.display());
        return Ok(ExitCode::FAILURE);
    }
    match send(&client, id, base, &batch) {
        Ok(result) => {
            let _ = std::fs::remove_file(&path);
            Ok(written("Draft edited", &result))
        }
        Err(error) => {
            let conflict = error
                .downcast_ref::<ApiFailure>()
                .is_some_and(|f| f.problem.code == accord_server::ErrorCode::Conflict.as_str());
            if conflict {
                bail!(
                    "the draft changed since you opened it, so nothing was sent (no one's change was overwritten).\nYour edited file is kept: {}\nLook at the draft (`accord draft show {id}`), then start again with `accord draft edit {id}` and carry your changes over.",
                    path.display()
                );
            }
            Err(error.context(format!("nothing was sent; your edited file is kept: {}", path.display())))
        }
    }
}
