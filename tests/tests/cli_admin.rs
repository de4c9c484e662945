//! End to end: `codexkey pricing`, `codexkey admin prices …` and `codexkey admin upstreams …`
//! with the real binary against a real `codexkey gateway` process.

use codexkey_tests::cli::{CliUser, GatewayProcess, refused};
use serde_json::Value;

/// 32 bytes in hex: what `CODEXKEY_MASTER_KEY` takes.
const MASTER_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const UPSTREAM: &str = "acme-openai-eu";
const UPSTREAM_KEY: &str = "sk-upstream-FIRST-7c1e0f5a9b2d4e8f";
const SECOND_KEY: &str = "sk-upstream-SECOND-3a9d6b1c0e7f2a4d";

/// One model's entry in a `pricing --json` document.
fn model<'a>(pricing: &'a Value, name: &str) -> Option<&'a Value> {
    pricing["models"]
        .as_array()
        .expect("models")
        .iter()
        .find(|m| m["model"] == name)
}

fn priced(user: &CliUser, name: &str) -> Value {
    let pricing = user.run(&["pricing", "--model", name, "--json"]).json();
    model(&pricing, name)
        .unwrap_or_else(|| panic!("`{name}` is not priced: {pricing}"))
        .clone()
}

/// Setting input and output on a shipped model keeps its cached-input price (it used to be
/// erased), and the command names what it changes, old -> new.
#[test]
fn prices_set_keeps_fields_not_given_and_names_the_changes() {
    let gw = GatewayProcess::start();
    let anyone = CliUser::new(&gw.url);
    let before = priced(&anyone, "gpt-4o");
    assert_eq!(before["price"]["cached_input"], 1_250_000, "{before}");
    assert_eq!(before["overridden"], false);

    let admin = CliUser::admin(&gw);
    let set = admin.run(&[
        "admin", "prices", "set", "gpt-4o", "--input", "3", "--output", "12",
    ]);
    assert_eq!(set.code, 0, "{set:?}");
    assert!(set.stdout.is_empty(), "{set:?}");
    assert!(
        set.stderr.contains("input: 2.50 -> 3.00") && set.stderr.contains("output: 10.00 -> 12.00"),
        "names each change, old -> new: {set:?}"
    );
    assert!(
        !set.stderr.contains("cached input:"),
        "an unchanged field is not listed as a change: {set:?}"
    );

    let after = priced(&anyone, "gpt-4o");
    assert_eq!(after["price"]["input"], 3_000_000);
    assert_eq!(after["price"]["output"], 12_000_000);
    assert_eq!(after["price"]["cached_input"], 1_250_000, "kept: {after}");
    assert_eq!(after["provider"], "openai", "kept without --provider");
    assert_eq!(after["max_input_tokens"], before["max_input_tokens"]);
    assert_eq!(after["overridden"], true);

    // One field at a time: only it changes.
    let set = admin.run(&["admin", "prices", "set", "gpt-4o", "--cached-input", "1"]);
    assert_eq!(set.code, 0, "{set:?}");
    assert!(set.stderr.contains("cached input: 1.25 -> 1.00"), "{set:?}");
    let after = priced(&anyone, "gpt-4o");
    assert_eq!(after["price"]["input"], 3_000_000);
    assert_eq!(after["price"]["cached_input"], 1_000_000);

    // A model without a price needs the essentials, and nothing is sent without them.
    refused(
        &admin.run(&["admin", "prices", "set", "no-such-model", "--input", "1"]),
        "`--output` is required",
    );
    assert!(model(&anyone.run(&["pricing", "--json"]).json(), "no-such-model").is_none());
}

#[test]
fn pricing_is_public_and_admins_override_it() {
    let gw = GatewayProcess::start();
    // Nobody logged in: the price list is public.
    let anyone = CliUser::new(&gw.url);
    let all = anyone.run(&["pricing", "--json"]).json();
    let models = all["models"].as_array().expect("models");
    let opus = model(&all, "claude-opus-4-8").expect("claude-opus-4-8 is shipped");
    assert_eq!(opus["provider"], "anthropic");
    assert_eq!(opus["price"]["input"], 5_000_000);
    assert_eq!(opus["price"]["output"], 25_000_000);
    assert_eq!(opus["coefficient_ppm"], 1_000_000);
    assert_eq!(opus["overridden"], false);
    let names: Vec<&str> = models.iter().filter_map(|m| m["model"].as_str()).collect();
    assert!(names.is_sorted(), "sorted by model");

    let claude = anyone
        .run(&["pricing", "--model", "claude-*", "--json"])
        .json();
    let claude = claude["models"].as_array().expect("models");
    assert!(!claude.is_empty() && claude.len() < models.len());
    assert!(
        claude.iter().all(|m| m["model"]
            .as_str()
            .is_some_and(|n| n.starts_with("claude-"))),
        "{claude:?}"
    );
    let exact = anyone
        .run(&["pricing", "--model", "claude-opus-4-8", "--json"])
        .json();
    assert_eq!(exact["models"].as_array().map(Vec::len), Some(1));
    let anthropic = anyone
        .run(&["pricing", "--provider", "anthropic", "--json"])
        .json();
    assert!(
        anthropic["models"]
            .as_array()
            .expect("models")
            .iter()
            .all(|m| m["provider"] == "anthropic")
    );

    let table = anyone.run(&["pricing", "--model", "claude-opus-4-8"]);
    assert_eq!(table.code, 0, "{table:?}");
    assert!(
        table.stdout.contains("claude-opus-4-8")
            && table.stdout.contains("5.00")
            && table.stdout.contains("25.00"),
        "{table:?}"
    );
    assert!(table.stderr.contains("per 1M tokens"), "{table:?}");
    let none = anyone.run(&["pricing", "--model", "no-such-model-*"]);
    assert_eq!(none.code, 0, "{none:?}");
    assert!(none.stdout.is_empty() && none.stderr.contains("no model matches"));

    // An override changes what is given, exactly, and keeps the rest of the shipped row.
    let admin = CliUser::admin(&gw);
    let set = admin
        .run(&[
            "admin",
            "prices",
            "set",
            "claude-opus-4-8",
            "--provider",
            "anthropic",
            "--input",
            "4.5",
            "--output",
            "20.000001",
            "--cached-input",
            "0.45",
            "--json",
        ])
        .json();
    assert_eq!(set["model"], "claude-opus-4-8");
    let opus = priced(&anyone, "claude-opus-4-8");
    assert_eq!(opus["price"]["input"], 4_500_000);
    assert_eq!(opus["price"]["output"], 20_000_001);
    assert_eq!(opus["price"]["cached_input"], 450_000);
    assert_eq!(opus["price"]["cache_write_5m"], 6_250_000, "kept: {opus}");
    assert_eq!(opus["price"]["cache_write_1h"], 10_000_000, "kept: {opus}");
    assert_eq!(opus["overridden"], true);
    assert_eq!(opus["mode"], "chat");

    // Model names with `/` and `.` travel as one path segment.
    let r = admin.run(&[
        "admin",
        "prices",
        "set",
        "acme/model-1.5",
        "--provider",
        "openai",
        "--mode",
        "chat",
        "--input",
        "1",
        "--output",
        "2",
        "--per-request",
        "0.001",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.is_empty() && r.stderr.contains("acme/model-1.5"),
        "{r:?}"
    );
    let acme = priced(&anyone, "acme/model-1.5");
    assert_eq!(acme["price"]["input"], 1_000_000);
    assert_eq!(acme["price"]["output"], 2_000_000);
    assert_eq!(acme["price"]["per_request"], 1_000);

    let coef = admin
        .run(&[
            "admin",
            "prices",
            "coefficient",
            "claude-opus-4-8",
            "1.25",
            "--json",
        ])
        .json();
    assert_eq!(coef["coefficient_ppm"], 1_250_000);
    assert_eq!(
        priced(&anyone, "claude-opus-4-8")["coefficient_ppm"],
        1_250_000
    );
    let table = anyone.run(&["pricing", "--model", "claude-opus-4-8"]);
    assert!(
        table.stdout.contains("×1.25") && table.stdout.contains("yes"),
        "{table:?}"
    );
    let coef = admin
        .run(&[
            "admin",
            "prices",
            "coefficient",
            "claude-opus-4-8",
            "1",
            "--json",
        ])
        .json();
    assert_eq!(coef["coefficient_ppm"], 1_000_000);

    // Resetting brings the shipped price back, and `--json` shows it.
    let reset = admin
        .run(&["admin", "prices", "reset", "claude-opus-4-8", "--json"])
        .json();
    assert_eq!(reset["price"]["input"], 5_000_000);
    assert_eq!(reset["overridden"], false);
    let opus = priced(&anyone, "claude-opus-4-8");
    assert_eq!(opus["price"]["input"], 5_000_000);
    assert_eq!(opus["price"]["output"], 25_000_000);
    assert_eq!(opus["price"]["cache_write_5m"], 6_250_000);
    assert_eq!(opus["overridden"], false);
    refused(
        &admin.run(&["admin", "prices", "reset", "claude-opus-4-8"]),
        "no price override",
    );
    // A model with no shipped price is gone after its reset.
    let reset = admin
        .run(&["admin", "prices", "reset", "acme/model-1.5", "--json"])
        .json();
    assert!(reset.is_null(), "{reset}");
    assert!(model(&anyone.run(&["pricing", "--json"]).json(), "acme/model-1.5").is_none());

    // Bad input is refused before anything is sent, with the fix.
    let r = admin.run(&[
        "admin",
        "prices",
        "set",
        "claude-opus-4-8",
        "--provider",
        "anthropic",
        "--input",
        "abc",
        "--output",
        "1",
    ]);
    refused(&r, "`--input`: `abc` is not an amount");
    assert!(r.stderr.contains("hint: "), "{r:?}");
    refused(
        &admin.run(&[
            "admin",
            "prices",
            "set",
            "m",
            "--provider",
            "openai",
            "--input",
            "1",
            "--output",
            "0.0000001",
        ]),
        "more than 6 decimal places",
    );
    refused(
        &admin.run(&["admin", "prices", "coefficient", "claude-opus-4-8", "1.x"]),
        "VALUE",
    );
    refused(
        &admin.run(&["admin", "prices", "coefficient", "claude-opus-4-8", "0"]),
        "not a positive factor",
    );
    refused(
        &admin.run(&["admin", "prices", "coefficient", "no-such-model", "2"]),
        "has no price",
    );
    assert_eq!(
        priced(&anyone, "claude-opus-4-8")["price"]["input"],
        5_000_000,
        "refused changes change nothing"
    );
}

#[test]
fn admins_import_litellm_price_lists() {
    let gw = GatewayProcess::start();
    let admin = CliUser::admin(&gw);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("prices.json");
    std::fs::write(
        &file,
        r#"{
            "sample_spec": {"litellm_provider": "openai", "input_cost_per_token": 0.0},
            "test-chat-a": {
                "litellm_provider": "openai", "mode": "chat",
                "input_cost_per_token": 1.5e-06, "output_cost_per_token": 6e-06,
                "cache_read_input_token_cost": 1.5e-07, "max_input_tokens": 128000
            },
            "test-chat-b": {
                "litellm_provider": "anthropic", "mode": "chat",
                "input_cost_per_token": 0.000003, "output_cost_per_token": 0.000015,
                "cache_creation_input_token_cost": 3.75e-06
            },
            "test-image": {
                "litellm_provider": "openai", "mode": "image_generation",
                "output_cost_per_image": 0.04
            },
            "test-free": {
                "litellm_provider": "openai", "mode": "chat",
                "input_cost_per_token": 0, "output_cost_per_token": 0
            }
        }"#,
    )
    .expect("write the price list");
    let path = file.to_str().expect("utf-8 path");

    let r = admin.run(&["admin", "prices", "import", path, "--json"]);
    let resp = r.json();
    assert_eq!(resp["imported"], 3, "{resp}");
    let warnings = resp["warnings"].as_array().expect("warnings");
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().is_some_and(|w| w.contains("test-free"))),
        "{resp}"
    );
    assert!(
        r.stderr.contains("warning: ") && r.stderr.contains("test-free"),
        "warnings also go to stderr: {r:?}"
    );

    let anyone = CliUser::new(&gw.url);
    let a = priced(&anyone, "test-chat-a");
    assert_eq!(a["provider"], "openai");
    assert_eq!(a["price"]["input"], 1_500_000);
    assert_eq!(a["price"]["output"], 6_000_000);
    assert_eq!(a["price"]["cached_input"], 150_000);
    assert_eq!(a["max_input_tokens"], 128_000);
    assert_eq!(a["overridden"], true);
    let b = priced(&anyone, "test-chat-b");
    assert_eq!(b["price"]["input"], 3_000_000);
    assert_eq!(b["price"]["output"], 15_000_000);
    assert_eq!(b["price"]["cache_write_5m"], 3_750_000);
    assert_eq!(priced(&anyone, "test-image")["price"]["per_image"], 40_000);
    let imported = anyone
        .run(&["pricing", "--model", "test-*", "--json"])
        .json();
    assert_eq!(imported["models"].as_array().map(Vec::len), Some(3));

    // `-` reads standard input; the table form reports on stderr only.
    let r = admin.run_with_stdin(
        &["admin", "prices", "import", "-"],
        r#"{"test-chat-a": {"litellm_provider": "openai", "mode": "chat",
            "input_cost_per_token": 2e-06, "output_cost_per_token": 8e-06}}"#,
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");
    assert!(r.stderr.contains("imported 1 model"), "{r:?}");
    let a = priced(&anyone, "test-chat-a");
    assert_eq!(a["price"]["input"], 2_000_000);
    assert_eq!(a["price"]["output"], 8_000_000);

    refused(
        &admin.run_with_stdin(&["admin", "prices", "import", "-"], "not json"),
        "stdin is not JSON",
    );
    refused(
        &admin.run_with_stdin(&["admin", "prices", "import", "-"], "[1, 2]"),
        "not a JSON object",
    );
    refused(
        &admin.run(&["admin", "prices", "import", "/no/such/prices.json"]),
        "cannot read `/no/such/prices.json`",
    );
    refused(
        &admin.run_with_stdin(
            &["admin", "prices", "import", "-"],
            r#"{"x": {"litellm_provider": "openai", "input_cost_per_token": 0}}"#,
        ),
        "no model with a usable price",
    );
}

#[test]
fn users_cannot_run_admin_commands() {
    let gw = GatewayProcess::start();
    let user = CliUser::registered(&gw);
    let commands: [&[&str]; 5] = [
        &[
            "admin",
            "prices",
            "set",
            "claude-opus-4-8",
            "--provider",
            "anthropic",
            "--input",
            "0.01",
            "--output",
            "0.01",
        ],
        &["admin", "prices", "coefficient", "claude-opus-4-8", "0.5"],
        &["admin", "prices", "reset", "claude-opus-4-8"],
        &["admin", "upstreams", "list"],
        &["admin", "upstreams", "remove", "anything"],
    ];
    for args in commands {
        let r = user.run(args);
        refused(&r, "error: ");
        assert!(
            r.stderr.contains("hint: this needs an admin account"),
            "{args:?}: {r:?}"
        );
    }
    let r = user.run_with_stdin(&["admin", "prices", "import", "-"], "{}");
    assert!(
        r.stderr.contains("hint: this needs an admin account"),
        "{r:?}"
    );
    let r = user.run_with_stdin(
        &[
            "admin",
            "upstreams",
            "add",
            "x",
            "--provider",
            "openai",
            "--key-stdin",
        ],
        "sk-x\n",
    );
    assert!(
        r.stderr.contains("hint: this needs an admin account"),
        "{r:?}"
    );
    // Nothing changed.
    let opus = priced(&user, "claude-opus-4-8");
    assert_eq!(opus["price"]["input"], 5_000_000);
    assert_eq!(opus["coefficient_ppm"], 1_000_000);

    // Not logged in at all: the admin commands say how to log in.
    let nobody = CliUser::new(&gw.url);
    let r = nobody.run(&["admin", "upstreams", "list"]);
    refused(&r, "not logged in");
    assert!(r.stderr.contains("codexkey login"), "{r:?}");
}

#[test]
fn upstreams_need_a_master_key() {
    let gw = GatewayProcess::start();
    let admin = CliUser::admin(&gw);
    let r = admin.run_with_stdin(
        &[
            "admin",
            "upstreams",
            "add",
            UPSTREAM,
            "--provider",
            "openai",
            "--key-stdin",
        ],
        &format!("{UPSTREAM_KEY}\n"),
    );
    refused(&r, "no `master_key`");
    assert!(r.stderr.contains("CODEXKEY_MASTER_KEY"), "{r:?}");
    assert!(!r.stderr.contains(UPSTREAM_KEY), "{r:?}");
    let list = admin.run(&["admin", "upstreams", "list", "--json"]).json();
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");
    let r = admin.run(&["admin", "upstreams", "list"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.is_empty() && r.stderr.contains("no upstreams yet"),
        "{r:?}"
    );
}

#[test]
fn upstreams_keep_their_keys_secret() {
    let gw = GatewayProcess::start_with_env(&[("CODEXKEY_MASTER_KEY", MASTER_KEY)]);
    let admin = CliUser::admin(&gw);

    let r = admin.run_with_stdin(
        &[
            "admin",
            "upstreams",
            "add",
            UPSTREAM,
            "--provider",
            "openai",
            "--models",
            "gpt-4o,gpt-4o-mini",
            "--key-stdin",
            "--json",
        ],
        &format!("{UPSTREAM_KEY}\n"),
    );
    let created = r.json();
    assert!(!r.stdout.contains(UPSTREAM_KEY) && !r.stderr.contains(UPSTREAM_KEY));
    assert_eq!(created["name"], UPSTREAM);
    assert_eq!(created["provider"], "openai");
    assert_eq!(created["base_url"], "https://api.openai.com");
    assert_eq!(
        created["models"],
        serde_json::json!(["gpt-4o", "gpt-4o-mini"])
    );
    assert_eq!(created["keys"].as_array().map(Vec::len), Some(1));
    assert_eq!(created["source"], "database");

    let list = admin.run(&["admin", "upstreams", "list", "--json"]);
    assert!(!list.stdout.contains(UPSTREAM_KEY), "{list:?}");
    let list = list.json();
    let listed = list
        .as_array()
        .expect("a list")
        .iter()
        .find(|u| u["name"] == UPSTREAM)
        .expect("the new upstream is listed");
    assert_eq!(listed["keys"].as_array().map(Vec::len), Some(1));
    let table = admin.run(&["admin", "upstreams", "list"]);
    assert_eq!(table.code, 0, "{table:?}");
    assert!(
        table.stdout.contains(UPSTREAM)
            && table.stdout.contains("gpt-4o,gpt-4o-mini")
            && table.stdout.contains("database"),
        "{table:?}"
    );
    assert!(!table.stdout.contains(UPSTREAM_KEY), "{table:?}");

    let added = admin
        .run_with_stdin(
            &[
                "admin",
                "upstreams",
                "add-key",
                UPSTREAM,
                "--label",
                "backup",
                "--key-stdin",
                "--json",
            ],
            &format!("{SECOND_KEY}\n"),
        )
        .json();
    let keys = added["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 2, "{added}");
    assert!(keys.iter().any(|k| k["label"] == "backup"), "{added}");
    assert!(!added.to_string().contains(SECOND_KEY));
    let table = admin.run(&["admin", "upstreams", "list"]);
    assert!(table.stdout.contains("2 (backup)"), "{table:?}");

    // The database holds the upstream, but its keys only sealed.
    let db = gw.database_bytes();
    let contains = |needle: &str| db.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(contains(UPSTREAM), "the scan reads the real database");
    assert!(
        !contains(UPSTREAM_KEY),
        "an upstream key is in the database"
    );
    assert!(!contains(SECOND_KEY), "an upstream key is in the database");
    assert!(
        !contains(&UPSTREAM_KEY[12..]),
        "part of an upstream key is in the database"
    );

    // Refusals: bad provider, missing base URL or models, keys not on stdin, too many keys.
    let r = admin.run_with_stdin(
        &[
            "admin",
            "upstreams",
            "add",
            "other",
            "--provider",
            "bogus",
            "--key-stdin",
        ],
        "sk-other\n",
    );
    refused(&r, "`bogus` is not a provider");
    let r = admin.run_with_stdin(
        &[
            "admin",
            "upstreams",
            "add",
            "other",
            "--provider",
            "openai_compatible",
            "--models",
            "m",
            "--key-stdin",
        ],
        "sk-other\n",
    );
    refused(&r, "`base_url` is required");
    refused(
        &admin.run(&["admin", "upstreams", "add", "other", "--provider", "openai"]),
        "no upstream key given",
    );
    refused(
        &admin.run_with_stdin(
            &[
                "admin",
                "upstreams",
                "add",
                "other",
                "--provider",
                "openai",
                "--key-stdin",
            ],
            "\n\n",
        ),
        "no upstream key on standard input",
    );
    refused(
        &admin.run_with_stdin(
            &["admin", "upstreams", "add-key", UPSTREAM, "--key-stdin"],
            "sk-a\nsk-b\n",
        ),
        "`add-key` adds one",
    );
    refused(
        &admin.run_with_stdin(
            &[
                "admin",
                "upstreams",
                "add-key",
                "no-such-upstream",
                "--key-stdin",
            ],
            "sk-a\n",
        ),
        "no upstream `no-such-upstream`",
    );

    let removed = admin
        .run(&["admin", "upstreams", "remove", UPSTREAM, "--json"])
        .json();
    assert_eq!(removed["name"], UPSTREAM);
    let list = admin.run(&["admin", "upstreams", "list", "--json"]).json();
    assert!(
        !list
            .as_array()
            .expect("a list")
            .iter()
            .any(|u| u["name"] == UPSTREAM),
        "{list}"
    );
    refused(
        &admin.run(&["admin", "upstreams", "remove", UPSTREAM]),
        &format!("no upstream `{UPSTREAM}`"),
    );

    let (_, logs) = gw.terminate();
    assert!(
        !logs.contains(UPSTREAM_KEY) && !logs.contains(SECOND_KEY),
        "an upstream key reached the gateway's log"
    );
}

/// `admin upstreams remove` on an upstream it cannot remove names where it really comes from:
/// the environment variable, or the configuration file by its path.
#[test]
fn upstreams_remove_names_the_real_source() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("gateway.toml");
    std::fs::write(
        &file,
        "[[upstreams]]\nname = \"acme-file\"\nprovider = \"openai_compatible\"\n\
         base_url = \"http://127.0.0.1:9\"\nkeys = [\"sk-file-key\"]\nmodels = [\"acme-*\"]\n",
    )
    .expect("write the config file");
    let gw = GatewayProcess::start_with_env(&[
        ("CODEXKEY_MASTER_KEY", MASTER_KEY),
        ("CODEXKEY_CONFIG", file.to_str().expect("utf-8 path")),
        ("CODEXKEY_OPENAI_API_KEY", "sk-env-key"),
        ("CODEXKEY_OPENAI_BASE_URL", "http://127.0.0.1:9"),
    ]);
    let admin = CliUser::admin(&gw);

    let r = admin.run(&["admin", "upstreams", "remove", "openai"]);
    assert_ne!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("`CODEXKEY_OPENAI_API_KEY`")
            && r.stderr.contains("`CODEXKEY_OPENAI_BASE_URL`")
            && r.stderr.contains("environment variables"),
        "names the variables: {r:?}"
    );
    assert!(
        !r.stderr.contains("configuration file"),
        "not the file: {r:?}"
    );

    let r = admin.run(&["admin", "upstreams", "remove", "acme-file"]);
    assert_ne!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains(&format!("the configuration file `{}`", file.display())),
        "names the file by its path: {r:?}"
    );
    assert!(
        !r.stderr.contains("CODEXKEY_"),
        "not the environment: {r:?}"
    );

    // Adding one under a configured name says the same.
    let r = admin.run_with_stdin(
        &[
            "admin",
            "upstreams",
            "add",
            "openai",
            "--provider",
            "openai",
            "--key-stdin",
        ],
        "sk-another-key-1234567890\n",
    );
    assert_ne!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("`CODEXKEY_OPENAI_API_KEY`"), "{r:?}");

    // Both still serve.
    let listed = admin.run(&["admin", "upstreams", "list", "--json"]).json();
    let names: Vec<&str> = listed
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    assert!(
        names.contains(&"openai") && names.contains(&"acme-file"),
        "{listed}"
    );
}
