//! The scripts in `completions/` are what `codexkey completions SHELL` prints today.

use codexkey_tests::cli::command;

#[test]
fn completions_are_fresh() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let files = [
        ("bash", "codexkey.bash"),
        ("zsh", "_codexkey"),
        ("fish", "codexkey.fish"),
        ("powershell", "_codexkey.ps1"),
        ("elvish", "codexkey.elv"),
    ];
    for (shell, file) in files {
        let out = command()
            .args(["completions", shell])
            .output()
            .expect("run codexkey");
        assert!(out.status.success(), "{shell}: {out:?}");
        let committed = std::fs::read(root.join("completions").join(file)).unwrap_or_default();
        assert!(
            committed == out.stdout,
            "completions/{file} is stale: run `scripts/gen-completions.sh` and commit the result"
        );
    }
}
