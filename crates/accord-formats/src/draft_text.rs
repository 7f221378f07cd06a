//! The draft's text form: the working draft as a plain text file a mediator
//! edits in any editor (`accord draft edit`), read back without loss.
//!
//! ```text
//! @accord-draft 1
//! # Lines that start with '#' are comments and are ignored.
//!
//! @provision art-1 1 "Ceasefire"
//! The parties agree to a ceasefire along {territory}.
//! @wording territory withdraw "the line of 1991"
//! @wording territory freeze "the current line of contact"
//!
//! @provision art-2 2 "Armed forces"
//! The armed forces shall not exceed {army-cap}.
//! @template army-cap "{value} {unit}"
//!
//! @issue territory "Territory"
//! @option withdraw "Withdrawal"
//! @option freeze "Freeze"
//! @draft freeze
//!
//! @issue army-cap "Army cap"
//! @range 400000 1000000 100000 integer unit "troops"
//! @draft 600000
//! ```
//!
//! The rules, all of them:
//!
//! - The first line that is not blank or a comment is `@accord-draft 1`.
//! - A line that starts with `#` is a comment; a blank line outside a body is
//!   nothing.
//! - `@provision ID NUMBER HEADING` starts a provision. The lines after it,
//!   up to the next line that starts with `@`, are its body (blank lines at
//!   either end dropped). Slots in the body are `{issue-id}`.
//! - In a body, a line that would start with `@`, `#` or `\` is written with
//!   a `\` in front; the reader removes one leading `\`.
//! - `@wording ISSUE OPTION TEXT` gives the wording of one option of a
//!   discrete issue's slot; the lines for one issue follow each other.
//!   `@template ISSUE TEXT` gives a numeric issue's slot (`{value}`, `{unit}`).
//! - `@issue ID TITLE` starts an issue. A discrete issue lists its options
//!   with `@option ID LABEL`; a numeric one has one
//!   `@range MIN MAX STEP [integer] [unit UNIT]`. `@draft VALUE` is the
//!   value the draft takes (an option id or a number).
//! - A field (NUMBER, HEADING, TEXT, LABEL, UNIT, VALUE) is either one word
//!   without spaces or quotes, or a quoted string with `\"`, `\\`, `\n`,
//!   `\r` and `\t` escapes.
//!
//! What is kept: provisions in order with id, number, heading, body and
//! wordings; issues in order with id, title, options or range, and draft
//! value. Comments and blank lines are not kept, nor trailing spaces on body
//! lines, nor blank lines at either end of a body ([`normalise`] says what a
//! draft reads as after a round trip).

use std::fmt::Write as _;

use accord_core::{Issue, IssueKind, IssueOption, NumericRange, Provision, Value, Wording, WordingText};

/// The largest text form read, in bytes.
pub const MAX_DRAFT_TEXT_BYTES: usize = 16 * 1024 * 1024;

/// The first line of every file in this format.
pub const HEADER: &str = "@accord-draft 1";

/// What the text form holds: the provisions and the issues of a draft.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DraftText {
    pub provisions: Vec<Provision>,
    pub issues: Vec<Issue>,
}

/// A text form that cannot be read, with the line (1-based) it is on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DraftTextError {
    #[error("the file is {size} bytes; at most {limit} are read")]
    TooLarge { size: usize, limit: usize },
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
}

fn at(line: usize, message: impl Into<String>) -> DraftTextError {
    DraftTextError::Line { line, message: message.into() }
}

/// Writes `draft` in the text form, with `comments` (one per line, without
/// the `#`) after the header.
pub fn write(draft: &DraftText, comments: &[String]) -> String {
    let mut out = String::new();
    out.push_str(HEADER);
    out.push('\n');
    for comment in comments {
        for line in comment.lines() {
            let _ = writeln!(out, "# {line}");
        }
    }
    for provision in &draft.provisions {
        out.push('\n');
        let _ = writeln!(
            out,
            "@provision {} {} {}",
            field(&provision.id),
            field(&provision.number),
            quoted(&provision.heading)
        );
        for line in body_lines(&provision.body) {
            if line.starts_with(['@', '#', '\\']) {
                out.push('\\');
            }
            out.push_str(line);
            out.push('\n');
        }
        for wording in &provision.wordings {
            match &wording.text {
                WordingText::PerOption(texts) => {
                    for (option, text) in texts {
                        let _ = writeln!(out, "@wording {} {} {}", field(&wording.issue), field(option), quoted(text));
                    }
                }
                WordingText::Template(template) => {
                    let _ = writeln!(out, "@template {} {}", field(&wording.issue), quoted(template));
                }
            }
        }
    }
    for issue in &draft.issues {
        out.push('\n');
        let _ = writeln!(out, "@issue {} {}", field(&issue.id), quoted(&issue.title));
        match &issue.kind {
            IssueKind::Discrete { options } => {
                for option in options {
                    let _ = writeln!(out, "@option {} {}", field(&option.id), quoted(&option.label));
                }
            }
            IssueKind::Numeric(range) => {
                let _ = write!(out, "@range {} {} {}", range.min, range.max, range.step);
                if range.integer {
                    out.push_str(" integer");
                }
                if let Some(unit) = &range.unit {
                    let _ = write!(out, " unit {}", quoted(unit));
                }
                out.push('\n');
            }
        }
        match &issue.draft {
            Some(Value::Option(id)) => {
                let _ = writeln!(out, "@draft {}", field(id));
            }
            Some(Value::Number(x)) => {
                let _ = writeln!(out, "@draft {x}");
            }
            None => {}
        }
    }
    out
}

/// What a draft reads as after [`write`] then [`parse`]: bodies without blank
/// lines at either end or spaces at line ends, and adjacent per-option
/// wordings of one issue joined into one.
pub fn normalise(draft: &DraftText) -> DraftText {
    let mut draft = draft.clone();
    for provision in &mut draft.provisions {
        provision.body = body_lines(&provision.body).join("\n");
        let mut wordings: Vec<Wording> = Vec::new();
        for wording in provision.wordings.drain(..) {
            match (wordings.last_mut(), wording.text) {
                (Some(Wording { issue, text: WordingText::PerOption(texts) }), WordingText::PerOption(more))
                    if *issue == wording.issue =>
                {
                    texts.extend(more)
                }
                // A per-option wording without options writes no line at all.
                (_, WordingText::PerOption(texts)) if texts.is_empty() => {}
                (_, text) => wordings.push(Wording { issue: wording.issue, text }),
            }
        }
        provision.wordings = wordings;
    }
    for issue in &mut draft.issues {
        issue.draft = match (issue.draft.take(), &issue.kind) {
            (Some(Value::Number(x)), IssueKind::Discrete { .. }) => Some(Value::Option(x.to_string())),
            (Some(Value::Option(text)), IssueKind::Numeric(_)) => match text.parse::<f64>() {
                Ok(x) => Some(Value::Number(x)),
                Err(_) => Some(Value::Option(text)),
            },
            (value, _) => value,
        };
    }
    draft
}

/// A body's lines as written: spaces at line ends and blank lines at either end dropped.
fn body_lines(body: &str) -> Vec<&str> {
    let lines: Vec<&str> = body.split('\n').map(str::trim_end).collect();
    let first = lines.iter().position(|l| !l.is_empty()).unwrap_or(lines.len());
    let last = lines.iter().rposition(|l| !l.is_empty()).map_or(first, |i| i + 1);
    lines[first..last].to_vec()
}

/// A field as one bare word when that reads back the same, else quoted.
fn field(text: &str) -> String {
    let bare = !text.is_empty()
        && !text.starts_with('"')
        && !text.chars().any(|c| c.is_whitespace() || c == '\\' || c.is_control());
    if bare { text.to_string() } else { quoted(text) }
}

fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Splits a directive's arguments into fields: bare words and quoted strings.
fn fields(rest: &str, line: usize) -> Result<Vec<String>, DraftTextError> {
    let mut out = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else { return Ok(out) };
        if first == '"' {
            chars.next();
            let mut text = String::new();
            loop {
                match chars.next() {
                    None => return Err(at(line, "a quoted string is not closed with \"")),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some('"') => text.push('"'),
                        Some('\\') => text.push('\\'),
                        Some('n') => text.push('\n'),
                        Some('r') => text.push('\r'),
                        Some('t') => text.push('\t'),
                        other => {
                            return Err(at(
                                line,
                                format!(
                                    "unknown escape \\{} in a quoted string (use \\\", \\\\, \\n, \\r or \\t)",
                                    other.map(String::from).unwrap_or_default()
                                ),
                            ));
                        }
                    },
                    Some(c) => text.push(c),
                }
            }
            if chars.peek().is_some_and(|c| !c.is_whitespace()) {
                return Err(at(line, "put a space after a quoted string"));
            }
            out.push(text);
        } else {
            let mut word = String::new();
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                word.push(c);
            }
            out.push(word);
        }
    }
}

/// Exactly `N` fields, or an error showing the directive's form.
fn exactly<const N: usize>(fields: Vec<String>, line: usize, form: &str) -> Result<[String; N], DraftTextError> {
    let found = fields.len();
    fields
        .try_into()
        .map_err(|_| at(line, format!("expected `{form}` ({N} fields after the directive), found {found}")))
}

fn number(text: &str, line: usize, what: &str) -> Result<f64, DraftTextError> {
    text.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| at(line, format!("the {what} {text:?} is not a finite number")))
}

/// What the lines being read belong to.
enum Open {
    Nothing,
    Provision { body: Vec<String>, body_done: bool },
    Issue,
}

/// Reads a text form. Every error names its line.
pub fn parse(text: &str) -> Result<DraftText, DraftTextError> {
    if text.len() > MAX_DRAFT_TEXT_BYTES {
        return Err(DraftTextError::TooLarge { size: text.len(), limit: MAX_DRAFT_TEXT_BYTES });
    }
    let mut draft = DraftText::default();
    let mut open = Open::Nothing;
    let mut header_seen = false;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let in_body = matches!(open, Open::Provision { body_done: false, .. });
        if raw.starts_with('#') || (!in_body && raw.trim().is_empty()) {
            continue;
        }
        if !header_seen {
            if raw.trim_end() != HEADER {
                return Err(at(line, format!("the file must start with `{HEADER}`")));
            }
            header_seen = true;
            continue;
        }
        let Some(directive) = raw.strip_prefix('@') else {
            let Open::Provision { body, body_done: false } = &mut open else {
                return Err(at(
                    line,
                    "text outside a provision's body (a body follows its `@provision` line, before any `@wording`)",
                ));
            };
            let content = raw.strip_prefix('\\').unwrap_or(raw);
            body.push(content.trim_end().to_string());
            continue;
        };
        close_body(&mut draft, &mut open);
        let (name, rest) = directive.split_once(char::is_whitespace).unwrap_or((directive, ""));
        let args = fields(rest, line)?;
        match name {
            "provision" => {
                let [id, number, heading] = exactly(args, line, "@provision ID NUMBER HEADING")?;
                draft.provisions.push(Provision { id, number, heading, body: String::new(), wordings: Vec::new() });
                open = Open::Provision { body: Vec::new(), body_done: false };
            }
            "wording" | "template" => {
                let Some(provision) = draft.provisions.last_mut().filter(|_| matches!(open, Open::Provision { .. }))
                else {
                    return Err(at(line, format!("`@{name}` belongs under a `@provision`")));
                };
                if name == "template" {
                    let [issue, template] = exactly(args, line, "@template ISSUE TEXT")?;
                    provision.wordings.push(Wording { issue, text: WordingText::Template(template) });
                } else {
                    let [issue, option, text] = exactly(args, line, "@wording ISSUE OPTION TEXT")?;
                    match provision.wordings.last_mut() {
                        Some(Wording { issue: last, text: WordingText::PerOption(texts) }) if *last == issue => {
                            texts.push((option, text))
                        }
                        _ => provision
                            .wordings
                            .push(Wording { issue, text: WordingText::PerOption(vec![(option, text)]) }),
                    }
                }
            }
            "issue" => {
                let [id, title] = exactly(args, line, "@issue ID TITLE")?;
                draft.issues.push(Issue { id, title, kind: IssueKind::Discrete { options: Vec::new() }, draft: None });
                open = Open::Issue;
            }
            "option" | "range" | "draft" => {
                let Some(issue) = draft.issues.last_mut().filter(|_| matches!(open, Open::Issue)) else {
                    return Err(at(line, format!("`@{name}` belongs under an `@issue`")));
                };
                match name {
                    "option" => {
                        let [id, label] = exactly(args, line, "@option ID LABEL")?;
                        match &mut issue.kind {
                            IssueKind::Discrete { options } => options.push(IssueOption { id, label }),
                            IssueKind::Numeric(_) => {
                                return Err(at(line, "an issue has either `@option`s or one `@range`, not both"));
                            }
                        }
                    }
                    "range" => {
                        if !matches!(&issue.kind, IssueKind::Discrete { options } if options.is_empty()) {
                            return Err(at(line, "an issue has either `@option`s or one `@range`, not both"));
                        }
                        if issue.draft.is_some() {
                            return Err(at(line, "write `@range` before the issue's `@draft`"));
                        }
                        issue.kind = IssueKind::Numeric(range(args, line)?);
                    }
                    _ => {
                        if issue.draft.is_some() {
                            return Err(at(line, "an issue has at most one `@draft`"));
                        }
                        let [value] = exactly(args, line, "@draft VALUE")?;
                        issue.draft = Some(match &issue.kind {
                            IssueKind::Numeric(_) => Value::Number(number(&value, line, "draft value")?),
                            IssueKind::Discrete { .. } => Value::Option(value),
                        });
                    }
                }
            }
            "accord-draft" => return Err(at(line, "the header appears twice")),
            other => {
                return Err(at(
                    line,
                    format!(
                        "unknown directive `@{other}` (known: @provision, @wording, @template, @issue, @option, @range, @draft; write `\\@` to start a body line with @)"
                    ),
                ));
            }
        }
    }
    close_body(&mut draft, &mut open);
    if !header_seen {
        return Err(at(1, format!("the file must start with `{HEADER}`")));
    }
    Ok(draft)
}

fn range(args: Vec<String>, line: usize) -> Result<NumericRange, DraftTextError> {
    const FORM: &str = "@range MIN MAX STEP [integer] [unit UNIT]";
    let mut args = args.into_iter();
    let mut next_number = |what: &str| match args.next() {
        Some(text) => number(&text, line, what),
        None => Err(at(line, format!("expected `{FORM}`"))),
    };
    let (min, max, step) = (next_number("minimum")?, next_number("maximum")?, next_number("step")?);
    let mut range = NumericRange { min, max, step, integer: false, unit: None };
    while let Some(word) = args.next() {
        match word.as_str() {
            "integer" if !range.integer && range.unit.is_none() => range.integer = true,
            "unit" if range.unit.is_none() => {
                range.unit = Some(args.next().ok_or_else(|| at(line, "`unit` needs the unit after it"))?)
            }
            other => return Err(at(line, format!("unexpected {other:?}: expected `{FORM}`"))),
        }
    }
    Ok(range)
}

/// Ends the open provision's body: its lines, blank lines at either end dropped.
fn close_body(draft: &mut DraftText, open: &mut Open) {
    if let Open::Provision { body, body_done } = open
        && !*body_done
    {
        if let Some(provision) = draft.provisions.last_mut() {
            let first = body.iter().position(|l| !l.is_empty()).unwrap_or(body.len());
            let last = body.iter().rposition(|l| !l.is_empty()).map_or(first, |i| i + 1);
            provision.body = body[first..last.max(first)].join("\n");
        }
        *body_done = true;
    }
}

#[cfg(test)]
mod tests;
