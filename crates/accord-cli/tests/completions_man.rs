//! `accord completions` and `accord man`: generated from the command tree,
//! so they know every command and flag, including new ones.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn accord(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_accord")).args(args).output().unwrap();
    assert!(output.status.success(), "accord {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn bash_completion_is_valid_bash_and_knows_the_commands() {
    let script = accord(&["completions", "bash"]);
    for word in ["negotiation", "stance", "serve", "--database", "--log-format", "completions"] {
        assert!(script.contains(word), "the bash script completes {word}");
    }
    assert!(script.contains("complete -F _accord"), "registers itself for `accord`");
    // Syntax check with the shell itself, where there is one.
    if let Ok(checked) =
        Command::new("bash").args(["-n", "/dev/stdin"]).stdin(std::process::Stdio::piped()).spawn().and_then(
            |mut child| {
                use std::io::Write;
                child.stdin.take().unwrap().write_all(script.as_bytes())?;
                child.wait()
            },
        )
    {
        assert!(checked.success(), "bash -n accepts the completion script");
    }
}

#[test]
fn zsh_and_fish_completions_are_for_accord() {
    assert!(accord(&["completions", "zsh"]).starts_with("#compdef accord"));
    let fish = accord(&["completions", "fish"]);
    assert!(fish.contains("complete -c accord") && fish.contains("negotiation"), "{fish}");
}

#[test]
fn an_unknown_shell_is_refused() {
    let output = Command::new(env!("CARGO_BIN_EXE_accord")).args(["completions", "tcsh"]).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("bash"), "the error lists the shells");
}

#[test]
fn man_writes_a_page_per_command_with_the_environment_variables() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    accord(&["man", "-o", out.to_str().unwrap()]);
    for page in ["accord.1", "accord-serve.1", "accord-negotiation.1", "accord-negotiation-list.1", "accord-man.1"] {
        assert!(out.join(page).is_file(), "{page} is written");
    }
    let serve = std::fs::read_to_string(out.join("accord-serve.1")).unwrap();
    assert!(serve.starts_with(".ie") || serve.contains(".TH accord-serve"), "a roff page:\n{serve}");
    assert!(serve.contains("ACCORD_DATABASE") && serve.contains("ACCORD_BIND"), "lists the variables");
    let top = std::fs::read_to_string(out.join("accord.1")).unwrap();
    assert!(top.contains("accord\\-serve(1)") || top.contains("serve"), "names its commands");
}
