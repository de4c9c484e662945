//! The README's Quick start, followed literally in one terminal: its commands, in order, in one
//! config dir, end with the balance it promises. The commands are read from the README itself,
//! so the two cannot drift apart.

use codexkey_tests::cli::{ADMIN_PASSWORD, CliUser, GatewayProcess, USER_PASSWORD};

const README_ADMIN: &str = "admin@localhost";

/// The shell block of the README's Quick start that drives the CLI: one command per line.
fn quick_start_commands() -> Vec<(Vec<String>, String)> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    let section = readme
        .split("## Quick start")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a Quick start section");
    let block = section
        .split("```sh\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .find(|b| b.contains("codexkey register"))
        .expect("the Quick start's CLI block");
    block
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let (command, comment) = match line.find(" #") {
                Some(i) => (&line[..i], line[i + 2..].trim()),
                None => (line, ""),
            };
            (words(command), comment.to_owned())
        })
        .collect()
}

/// Splits a command line into words, honouring double quotes (all the README uses).
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(word);
    }
    out
}

#[test]
fn the_readme_quick_start_ends_with_the_promised_balance() {
    let gw = GatewayProcess::start_with_env(&[("CODEXKEY_ADMIN_EMAIL", README_ADMIN)]);
    // One terminal: one config dir for every command.
    let terminal = CliUser::new(&gw.url);
    let commands = quick_start_commands();
    assert!(commands.len() >= 5, "{commands:?}");
    let mut last = None;
    for (words, comment) in &commands {
        assert_eq!(words[0], "codexkey", "{words:?}");
        let mut args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
        // The README's password prompts, answered on stdin.
        let password = if args.contains(&"register") {
            Some(USER_PASSWORD)
        } else if args.contains(&"login") {
            assert!(args.contains(&README_ADMIN), "{args:?}");
            Some(ADMIN_PASSWORD)
        } else {
            None
        };
        if password.is_some() {
            args.push("--password-stdin");
        }
        let run = terminal.run_with_stdin(&args, &format!("{}\n", password.unwrap_or("")));
        assert_eq!(run.code, 0, "`{}` failed: {run:?}", words.join(" "));
        last = Some((words.clone(), comment.clone(), run));
    }
    let (words, promise, run) = last.expect("a last command");
    assert_eq!(
        words,
        ["codexkey", "balance"],
        "the Quick start ends with the balance"
    );
    // The comment names the line to expect (`balance 10.00 cr`); the output aligns its columns.
    let promised = promise
        .rsplit(": ")
        .next()
        .expect("the promised balance")
        .to_owned();
    assert!(promised.starts_with("balance "), "{promise}");
    let shown = run
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|l| l.starts_with("balance "))
        .unwrap_or_default();
    assert_eq!(shown, promised, "{run:?}");

    // Both sessions are still there, side by side.
    let me = terminal.run(&["whoami", "--json"]).json();
    assert_eq!(me["account"]["email"], "you@example.com");
    let admin = terminal
        .run(&["--profile", "admin", "whoami", "--json"])
        .json();
    assert_eq!(admin["account"]["email"], README_ADMIN);
    let admin = terminal
        .run_env(&["whoami", "--json"], &[("CODEXKEY_PROFILE", "admin")])
        .json();
    assert_eq!(admin["account"]["email"], README_ADMIN, "CODEXKEY_PROFILE");
    assert!(
        terminal
            .config_dir
            .join("profiles/admin/credentials.toml")
            .exists()
    );
}
