//! Gateway configuration: defaults < TOML file < `CODEXKEY_*` environment < command-line flags.
//!
//! Each layer is parsed into an all-`Option` [`RawConfig`]; [`Config::load`] merges them with an
//! explicit `flag.or(env).or(file).unwrap_or(default)` chain and validates the result into an
//! `Option`-free [`Config`]. The scalar settings are defined once (`settings.rs`, through the
//! `settings!` macro of `define.rs`); upstreams and currencies merge by name and are written by
//! hand beside their validation.
//!
//! This file only names the modules and what they export.

mod currencies;
mod decimal;
mod define;
pub mod env;
mod error;
mod load;
mod print;
mod settings;
mod upstreams;
mod validate;

pub use currencies::{CurrencyConfig, RawCurrency};
pub use decimal::DecimalText;
pub use define::Setting;
pub use error::ConfigError;
pub use load::Flags;
pub use settings::{
    AdminBootstrap, Admission, AuthConfig, BillingConfig, Config, Database, DeletedBalance,
    LogFormat, MailConfig, MeteringConfig, ProxyConfig, RawAdmin, RawAuth, RawBilling, RawConfig,
    RawMail, RawMetering, RawProxy, RawRetention, RawServer, RawUpstreamTuning, Registration,
    RetentionConfig, SETTINGS, ServerConfig, SmtpUrl, TlsFiles, UpstreamTuning,
};
pub use upstreams::{Provider, RawUpstream, UpstreamConfig, UpstreamOrigin};
pub use validate::masked_url;

/// An annotated example configuration, shipped in the binary.
pub const EXAMPLE_CONFIG: &str = include_str!("../../codexkey.example.toml");

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("gateway.toml");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn defaults_need_no_file() {
        let c = Config::load(
            Flags {
                data_dir: Some("/tmp/ck".into()),
                ..Flags::default()
            },
            &lookup(&[]),
        )
        .unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert!(
            matches!(c.database, Database::Sqlite { ref path } if path == Path::new("/tmp/ck/codexkey.db"))
        );
        assert_eq!(c.admin.email, "admin@localhost");
        assert!(c.admin.password.is_none());
        assert_eq!(c.auth.session_ttl, Duration::from_secs(30 * 24 * 3600));
        assert_eq!(c.workers, crate::system::default_workers(), "one per CPU");
    }

    #[test]
    fn workers_from_file_and_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "workers = 3\n");
        let flags = || Flags {
            config: Some(file.clone()),
            ..Flags::default()
        };
        assert_eq!(Config::load(flags(), &lookup(&[])).unwrap().workers, 3);
        let env = lookup(&[("CODEXKEY_WORKERS", "5")]);
        assert_eq!(Config::load(flags(), &env).unwrap().workers, 5);
        let env = lookup(&[("CODEXKEY_WORKERS", "0")]);
        assert_eq!(
            Config::load(flags(), &env).unwrap().workers,
            crate::system::default_workers(),
            "0 means one per CPU"
        );
    }

    #[test]
    fn flags_beat_env_beat_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            "listen = \"127.0.0.1:1111\"\ndata_dir = \"/from/file\"\nlog = \"debug\"\n[auth]\nsession_ttl_secs = 60\n",
        );
        let env = lookup(&[
            ("CODEXKEY_LISTEN", "127.0.0.1:2222"),
            ("CODEXKEY_DATA_DIR", "/from/env"),
            ("CODEXKEY_AUTH__SESSION_TTL_SECS", "120"),
        ]);
        let flags = Flags {
            config: Some(file.clone()),
            listen: Some("127.0.0.1:3333".into()),
            data_dir: None,
        };
        let c = Config::load(flags, &env).unwrap();
        assert_eq!(c.listen.port(), 3333, "flag wins over env and file");
        assert_eq!(c.data_dir, Path::new("/from/env"), "env wins over file");
        assert_eq!(
            c.auth.session_ttl.as_secs(),
            120,
            "nested env wins over file"
        );
        assert_eq!(c.log, "debug", "file wins over default");
        assert_eq!(c.source.as_deref(), Some(file.as_path()));
    }

    #[test]
    fn config_file_named_by_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            "listen = \"127.0.0.1:4444\"\ndata_dir = \"/d\"\n",
        );
        let env = lookup(&[("CODEXKEY_CONFIG", file.to_str().unwrap())]);
        let c = Config::load(Flags::default(), &env).unwrap();
        assert_eq!(c.listen.port(), 4444);
    }

    #[test]
    fn upstreams_remember_where_they_were_defined() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            "[[upstreams]]\nname = \"openai\"\nprovider = \"openai\"\nkeys = [\"sk-f\"]\n\
             [[upstreams]]\nname = \"acme\"\nprovider = \"openai_compatible\"\n\
             base_url = \"http://a\"\nkeys = [\"sk-a\"]\nmodels = [\"a\"]\n",
        );
        let env = lookup(&[
            ("CODEXKEY_CONFIG", file.to_str().unwrap()),
            ("CODEXKEY_OPENAI_API_KEY", "sk-e"),
            ("CODEXKEY_ANTHROPIC_API_KEY", "sk-ant"),
        ]);
        let c = Config::load(Flags::default(), &env).unwrap();
        let origin = |name: &str| {
            c.upstreams
                .iter()
                .find(|u| u.name == name)
                .unwrap()
                .origin
                .clone()
        };
        let shown = file.display().to_string();
        assert_eq!(
            origin("openai").describe(),
            format!(
                "the environment variable `CODEXKEY_OPENAI_API_KEY` and the configuration file `{shown}`"
            )
        );
        assert_eq!(
            origin("acme").describe(),
            format!("the configuration file `{shown}`")
        );
        assert_eq!(
            origin("anthropic").describe(),
            "the environment variable `CODEXKEY_ANTHROPIC_API_KEY`"
        );
    }

    #[test]
    fn server_settings_that_need_each_other_or_a_form() {
        let env_only = |vars: &[(&str, &str)]| Config::load(Flags::default(), &lookup(vars));
        let err = env_only(&[("CODEXKEY_SERVER__TLS_CERT", "/etc/c.pem")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid value for `server.tls_cert`: `server.tls_cert` and `server.tls_key` go together: set both or neither"
        );
        let err =
            env_only(&[("CODEXKEY_SERVER__TRUSTED_PROXIES", "10.0.0.0/8, proxy.lan")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid value for `server.trusted_proxies`: `proxy.lan` is not an IP address or a CIDR such as `10.0.0.0/8`"
        );
        let err = env_only(&[("CODEXKEY_LOG_FORMAT", "xml")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid value for `log_format`: `xml` is not `text` or `json`"
        );
        let err = env_only(&[("CODEXKEY_METERING__ADMISSION", "loose")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid value for `metering.admission`: `loose` is not `bounded` or `capped`"
        );
    }

    #[test]
    fn unknown_keys_and_bad_types_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "[auth]\nsesion_ttl_secs = 5\n");
        let err = Config::load(
            Flags {
                config: Some(file),
                ..Flags::default()
            },
            &lookup(&[]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("sesion_ttl_secs"), "{err}");

        let file = write(dir.path(), "[auth]\nargon2_iterations = \"two\"\n");
        let err = Config::load(
            Flags {
                config: Some(file),
                ..Flags::default()
            },
            &lookup(&[]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("auth.argon2_iterations"), "{err}");

        let err = Config::load(
            Flags::default(),
            &lookup(&[("CODEXKEY_AUTH__SESSION_TTL_SECS", "soon")]),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("CODEXKEY_AUTH__SESSION_TTL_SECS"),
            "{err}"
        );

        let err = Config::load(
            Flags {
                listen: Some("localhost".into()),
                ..Flags::default()
            },
            &lookup(&[]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("`listen`"), "{err}");
    }

    #[test]
    fn print_config_leaves_secrets_out_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let env = lookup(&[
            ("CODEXKEY_ADMIN_PASSWORD", "correct-horse-battery"),
            ("CODEXKEY_DATA_DIR", "/d"),
            ("CODEXKEY_METERING__MARGIN_PERCENT", "2.5"),
            ("CODEXKEY_OPENAI_API_KEY", "sk-secret-upstream"),
            ("CODEXKEY_CURRENCIES", "RUB=92.5312@2026-11-20"),
        ]);
        let c = Config::load(Flags::default(), &env).unwrap();
        let shown = c.to_toml();
        assert!(!shown.contains("correct-horse-battery"), "{shown}");
        assert!(!shown.contains("sk-secret-upstream"), "{shown}");
        assert!(
            shown.contains("#   admin.password (CODEXKEY_ADMIN_PASSWORD)"),
            "{shown}"
        );
        assert!(
            shown.contains("#   upstreams.openai.keys (1 set)"),
            "{shown}"
        );
        assert!(shown.contains("listen = \"127.0.0.1:8080\""), "{shown}");
        assert!(shown.contains("margin_percent = \"2.50\""), "{shown}");
        assert!(shown.contains("max_hold_credits = \"5.00\""), "{shown}");
        // The printed file, read back with the same environment, gives the same configuration.
        let file = write(dir.path(), &shown);
        let again = Config::load(
            Flags {
                config: Some(file.clone()),
                ..Flags::default()
            },
            &env,
        )
        .unwrap();
        let reprinted = again.to_toml();
        let body = |t: &str| t.lines().skip(1).collect::<Vec<_>>().join("\n");
        assert_eq!(body(&reprinted), body(&shown));
        // And alone, without the environment (no upstream keys then: no upstreams).
        let bare = shown.replace("[[upstreams]]\nname = \"openai\"\nprovider = \"openai\"\nbase_url = \"https://api.openai.com\"\n", "");
        let file = write(dir.path(), &bare);
        Config::load(
            Flags {
                config: Some(file),
                ..Flags::default()
            },
            &lookup(&[]),
        )
        .unwrap();
    }

    #[test]
    fn money_settings_take_integers_or_decimal_strings_but_not_floats() {
        let dir = tempfile::tempdir().unwrap();
        let load = |text: &str| {
            let file = write(dir.path(), text);
            Config::load(
                Flags {
                    config: Some(file),
                    ..Flags::default()
                },
                &lookup(&[("CODEXKEY_DATA_DIR", "/d")]),
            )
        };
        let c = load("[metering]\nmax_hold_credits = 5\nmargin_percent = 20\n").unwrap();
        assert_eq!(c.metering.max_hold_micros, 5_000_000);
        assert_eq!(c.metering.margin_ppm, 200_000);
        let c = load("[metering]\nmax_hold_credits = \"2.5\"\n").unwrap();
        assert_eq!(c.metering.max_hold_micros, 2_500_000);
        let err = load("[metering]\nmax_hold_credits = 2.5\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("write 2.5 as a string (\"2.5\"): a TOML float is not an exact decimal"),
            "{err}"
        );
    }

    #[test]
    fn billing_amounts_and_rates_are_exact_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let load = |text: &str| {
            let file = write(dir.path(), text);
            Config::load(
                Flags {
                    config: Some(file),
                    ..Flags::default()
                },
                &lookup(&[("CODEXKEY_DATA_DIR", "/d")]),
            )
        };
        let c = load("").unwrap();
        assert_eq!(
            (
                c.billing.currency.as_str(),
                c.billing.minor_units_per_credit
            ),
            ("usd", 100),
            "1 credit = 1 USD by default"
        );
        assert_eq!(c.billing.min_topup.0, 5_000_000);
        assert!(c.billing.stripe_secret_key.is_none());
        let c = load("[billing]\ncurrency = \"jpy\"\nminor_units_per_credit = 150\nmin_topup = \"0.5\"\nstripe_webhook_secret = \"whsec_a, whsec_b\"\n").unwrap();
        assert_eq!(c.billing.minor_units_per_credit, 150);
        assert_eq!(c.billing.min_topup.0, 500_000);
        assert_eq!(
            c.billing
                .stripe_webhook_secrets
                .iter()
                .map(|s| s.expose().as_str())
                .collect::<Vec<_>>(),
            ["whsec_a", "whsec_b"]
        );
        for (text, key, says) in [
            (
                "currency = \"eur\"\n",
                "billing.minor_units_per_credit",
                "exact rate",
            ),
            (
                "currency = \"EUR\"\nminor_units_per_credit = 1\n",
                "billing.currency",
                "lower-case",
            ),
            (
                "minor_units_per_credit = 92.5\n",
                "minor_units_per_credit",
                "",
            ),
            (
                "minor_units_per_credit = 0\n",
                "billing.minor_units_per_credit",
                "at least 1",
            ),
            (
                "min_topup = 2.5\n",
                "min_topup",
                "a TOML float is not an exact decimal",
            ),
            ("min_topup = 0\n", "billing.min_topup", "positive"),
            (
                "min_topup = 10\nmax_topup = 5\n",
                "billing.max_topup",
                "at least",
            ),
            (
                "stripe_secret_key = \"sk_test_x\"\n",
                "billing.success_url",
                "success_url",
            ),
            (
                "success_url = \"ftp://x\"\n",
                "billing.success_url",
                "http(s)",
            ),
            (
                "stripe_webhook_secret = \"whsec_a,,whsec_b\"\n",
                "billing.stripe_webhook_secret",
                "empty",
            ),
        ] {
            let err = load(&format!("[billing]\n{text}")).unwrap_err().to_string();
            assert!(err.contains(key) && err.contains(says), "{text}: {err}");
        }
    }

    #[test]
    fn the_example_file_is_accepted_and_shows_every_setting() {
        let dir = tempfile::tempdir().unwrap();
        // Every setting, uncommented, is a valid file.
        let uncommented: String = EXAMPLE_CONFIG
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                // The master key's placeholder is not a key; every other example value is valid.
                Some(rest)
                    if !rest.starts_with("master_key")
                        && (rest.contains(" = ")
                            || rest.starts_with('[') && rest.ends_with(']')) =>
                {
                    rest
                }
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let file = write(dir.path(), &uncommented);
        let c = Config::load(
            Flags {
                config: Some(file),
                ..Flags::default()
            },
            &lookup(&[]),
        )
        .unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
        // And every key the gateway prints appears in it.
        let printed = c.to_toml();
        for line in printed
            .lines()
            .filter(|l| l.contains(" = ") && !l.starts_with('#'))
        {
            let key = line.split(" = ").next().unwrap();
            assert!(
                EXAMPLE_CONFIG.contains(&format!("{key} = ")),
                "the example does not show `{key}`"
            );
        }
        for section in printed.lines().filter(|l| l.starts_with('[')) {
            assert!(
                EXAMPLE_CONFIG.contains(section),
                "the example does not show {section}"
            );
        }
    }

    #[test]
    fn currencies_from_file_and_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            "[currencies.RUB]\nrate = \"92.5312\"\ndate = \"2026-11-20\"\n[currencies.EUR]\nrate = \"0.92\"\ndate = \"2026-11-01\"\n",
        );
        let flags = || Flags {
            config: Some(file.clone()),
            ..Flags::default()
        };
        let c = Config::load(flags(), &lookup(&[])).unwrap();
        assert_eq!(c.currencies.len(), 2);
        assert_eq!(c.currencies["RUB"].rate.to_string(), "92.5312");
        assert_eq!(c.currencies["RUB"].date.to_string(), "2026-11-20");

        // The environment's entry replaces the file's whole; others stay.
        let env = lookup(&[(
            "CODEXKEY_CURRENCIES",
            "RUB=95@2026-11-21, KZT=470.5@2026-11-21",
        )]);
        let c = Config::load(flags(), &env).unwrap();
        assert_eq!(
            c.currencies
                .iter()
                .map(|(k, v)| format!("{k}={}@{}", v.rate, v.date))
                .collect::<Vec<_>>(),
            [
                "EUR=0.92@2026-11-01",
                "KZT=470.5@2026-11-21",
                "RUB=95@2026-11-21"
            ]
        );
        assert!(c.to_toml().contains("rate = \"95\""));

        for (value, key) in [
            ("RUB=92.5", "CODEXKEY_CURRENCIES"),
            ("rub=92.5@2026-11-20", "currencies.rub"),
            ("USD=1@2026-11-20", "currencies.USD"),
            ("RUB=-1@2026-11-20", "currencies.RUB.rate"),
            ("RUB=92.5@yesterday", "currencies.RUB.date"),
        ] {
            let err = Config::load(Flags::default(), &lookup(&[("CODEXKEY_CURRENCIES", value)]))
                .unwrap_err();
            assert!(
                err.to_string().contains(&format!("`{key}`")),
                "{value}: {err}"
            );
        }
        let file = write(dir.path(), "[currencies.RUB]\nrate = \"92.5\"\n");
        let err = Config::load(
            Flags {
                config: Some(file),
                ..Flags::default()
            },
            &lookup(&[]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("currencies.RUB.date"), "{err}");
    }

    /// Every setting of the definition, once: read from the file, overridden by the
    /// environment, and printed by `--print-config` as what is in force. A setting added to the
    /// definition fails here until it has a row.
    #[test]
    fn every_defined_setting_is_read_from_file_and_env_and_printed() {
        // key, in the file, printed from the file, in the environment, printed from it.
        let rows: &[(&str, &str, &str, &str, &str)] = &[
            (
                "listen",
                "\"127.0.0.1:1111\"",
                "\"127.0.0.1:1111\"",
                "127.0.0.1:2222",
                "\"127.0.0.1:2222\"",
            ),
            ("workers", "3", "3", "5", "5"),
            (
                "data_dir",
                "\"/from/file\"",
                "\"/from/file\"",
                "/from/env",
                "\"/from/env\"",
            ),
            (
                "database_url",
                "\"sqlite:///f.db\"",
                "\"sqlite:///f.db\"",
                "sqlite:///e.db",
                "\"sqlite:///e.db\"",
            ),
            ("log", "\"debug\"", "\"debug\"", "trace", "\"trace\""),
            (
                "redis_url",
                "\"redis://cache.f.test:6379/1\"",
                "\"redis://cache.f.test:6379/1\"",
                "redis://:hunter2@cache.e.test:6379/2",
                "\"redis://:*****@cache.e.test:6379/2\"",
            ),
            ("redis_prefix", "\"f\"", "\"f\"", "e", "\"e\""),
            ("log_format", "\"json\"", "\"json\"", "text", "\"text\""),
            (
                "master_key",
                &format!("\"{}\"", "ab".repeat(32)),
                "",
                &"cd".repeat(32),
                "",
            ),
            (
                "public_url",
                "\"https://f.test/\"",
                "\"https://f.test\"",
                "http://e.test:8080",
                "\"http://e.test:8080\"",
            ),
            ("server.header_read_timeout_secs", "5", "5", "6", "6"),
            ("server.idle_timeout_secs", "7", "7", "8", "8"),
            ("server.max_connections", "9", "9", "10", "10"),
            (
                "server.http2_max_concurrent_streams",
                "11",
                "11",
                "12",
                "12",
            ),
            (
                "server.trusted_proxies",
                "[\"10.0.0.0/8\"]",
                "[\"10.0.0.0/8\"]",
                "127.0.0.1, fd00::/8",
                "[\"127.0.0.1/32\", \"fd00::/8\"]",
            ),
            (
                "server.tls_cert",
                "\"/etc/a.pem\"",
                "\"/etc/a.pem\"",
                "/etc/b.pem",
                "\"/etc/b.pem\"",
            ),
            (
                "server.tls_key",
                "\"/etc/a.key\"",
                "\"/etc/a.key\"",
                "/etc/b.key",
                "\"/etc/b.key\"",
            ),
            (
                "server.metrics_listen",
                "\"127.0.0.1:9101\"",
                "\"127.0.0.1:9101\"",
                "127.0.0.1:9102",
                "\"127.0.0.1:9102\"",
            ),
            (
                "admin.email",
                "\"file@x.test\"",
                "\"file@x.test\"",
                "env@x.test",
                "\"env@x.test\"",
            ),
            (
                "admin.password",
                "\"from-the-file\"",
                "",
                "from-the-env",
                "",
            ),
            ("auth.session_ttl_secs", "60", "60", "120", "120"),
            ("auth.allow_registration", "false", "false", "true", "true"),
            (
                "auth.registration",
                "\"invite\"",
                "\"invite\"",
                "closed",
                "\"closed\"",
            ),
            (
                "auth.require_2fa_for_admins",
                "true",
                "true",
                "false",
                "false",
            ),
            ("auth.argon2_memory_kib", "64", "64", "128", "128"),
            ("auth.argon2_iterations", "2", "2", "3", "3"),
            ("auth.argon2_parallelism", "2", "2", "1", "1"),
            ("proxy.body_limit_mb", "2", "2", "3", "3"),
            (
                "metering.margin_percent",
                "\"2.5\"",
                "\"2.50\"",
                "7",
                "\"7.00\"",
            ),
            (
                "metering.admission",
                "\"capped\"",
                "\"capped\"",
                "bounded",
                "\"bounded\"",
            ),
            (
                "metering.max_hold_credits",
                "3",
                "\"3.00\"",
                "2.5",
                "\"2.50\"",
            ),
            ("metering.disconnect_drain_secs", "4", "4", "5", "5"),
            (
                "metering.default_max_output_tokens",
                "100",
                "100",
                "200",
                "200",
            ),
            ("metering.commit_interval_ms", "7", "7", "8", "8"),
            ("metering.ready_max_queue", "13", "13", "14", "14"),
            ("metering.lease_ttl_ms", "1500", "1500", "2500", "2500"),
            ("upstream.connect_timeout_secs", "20", "20", "21", "21"),
            ("upstream.first_byte_timeout_secs", "22", "22", "23", "23"),
            ("upstream.idle_timeout_secs", "24", "24", "25", "25"),
            ("upstream.cooldown_secs", "26", "26", "27", "27"),
            ("upstream.max_attempts", "4", "4", "5", "5"),
            (
                "billing.stripe_secret_key",
                "\"sk_test_fromthefile\"",
                "",
                "sk_test_fromtheenv",
                "",
            ),
            (
                "billing.stripe_webhook_secret",
                "\"whsec_fromthefile\"",
                "",
                "whsec_fromtheenv,whsec_second",
                "",
            ),
            (
                "billing.stripe_api_base",
                "\"http://127.0.0.1:1/\"",
                "\"http://127.0.0.1:1\"",
                "http://127.0.0.1:2",
                "\"http://127.0.0.1:2\"",
            ),
            (
                "billing.success_url",
                "\"https://f.test/ok\"",
                "\"https://f.test/ok\"",
                "https://e.test/ok",
                "\"https://e.test/ok\"",
            ),
            (
                "billing.cancel_url",
                "\"https://f.test/no\"",
                "\"https://f.test/no\"",
                "https://e.test/no",
                "\"https://e.test/no\"",
            ),
            ("billing.currency", "\"eur\"", "\"eur\"", "jpy", "\"jpy\""),
            ("billing.minor_units_per_credit", "95", "95", "150", "150"),
            ("billing.min_topup", "\"2.5\"", "\"2.50\"", "1", "\"1.00\""),
            (
                "billing.max_topup",
                "500",
                "\"500.00\"",
                "600",
                "\"600.00\"",
            ),
            ("billing.max_pending_orders", "3", "3", "4", "4"),
            ("billing.order_ttl_secs", "600", "600", "700", "700"),
            ("billing.sweep_interval_secs", "30", "30", "40", "40"),
            ("billing.webhook_tolerance_secs", "60", "60", "90", "90"),
            ("billing.refund_window_secs", "3600", "3600", "7200", "7200"),
            (
                "billing.refund_auto_approve",
                "true",
                "true",
                "false",
                "false",
            ),
            ("billing.referral_rate_bps", "500", "500", "250", "250"),
            ("billing.referral_max_topups", "3", "3", "4", "4"),
            ("billing.referral_max_age_secs", "600", "600", "700", "700"),
            ("retention.request_metadata_days", "30", "30", "60", "60"),
            ("retention.usage_event_days", "400", "400", "0", "0"),
            (
                "retention.deleted_balance",
                "\"keep\"",
                "\"keep\"",
                "forfeit",
                "\"forfeit\"",
            ),
            ("retention.deleted_account_days", "400", "400", "0", "0"),
            ("retention.interval_secs", "60", "60", "120", "120"),
            (
                "mail.smtp_url",
                "\"smtp://mx.f.test:2525\"",
                "\"smtp://mx.f.test:2525\"",
                "smtps://bot:hunter2@mx.e.test",
                "\"smtps://bot:*****@mx.e.test\"",
            ),
            (
                "mail.from",
                "\"f <f@f.test>\"",
                "\"f <f@f.test>\"",
                "e@e.test",
                "\"e@e.test\"",
            ),
        ];
        assert_eq!(
            rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            SETTINGS.iter().map(|s| s.key).collect::<Vec<_>>(),
            "one row per defined setting, in the definition's order"
        );
        let dir = tempfile::tempdir().unwrap();
        for (s, &(key, in_file, from_file, in_env, from_env)) in SETTINGS.iter().zip(rows) {
            // `[admin]`'s variables keep their single `_` (`CODEXKEY_ADMIN_EMAIL`): operators set
            // them already.
            let separator = if key.starts_with("admin.") { "_" } else { "__" };
            assert_eq!(
                s.env,
                format!("CODEXKEY_{}", key.to_uppercase().replace('.', separator)),
                "`{key}` is read from the variable its key names"
            );
            let (section, name) = key.split_once('.').unwrap_or(("", key));
            // Settings that only go in pairs get their partner in the file too.
            let partner = match key {
                "server.tls_cert" => "tls_key = \"/etc/partner.key\"\n",
                "server.tls_key" => "tls_cert = \"/etc/partner.pem\"\n",
                "billing.stripe_secret_key" => {
                    "success_url = \"https://x.test/ok\"\ncancel_url = \"https://x.test/no\"\n"
                }
                "billing.currency" => "minor_units_per_credit = 100\n",
                _ => "",
            };
            let text = if section.is_empty() {
                format!("{name} = {in_file}\n")
            } else {
                format!("[{section}]\n{name} = {in_file}\n{partner}")
            };
            let file = write(dir.path(), &text);
            let flags = || Flags {
                config: Some(file.clone()),
                ..Flags::default()
            };
            let printed = |c: &Config| -> String {
                let body = c.to_toml();
                let table: toml::Table = toml::from_str(&body).unwrap();
                let value = if section.is_empty() {
                    table.get(name)
                } else {
                    table[section].get(name)
                };
                value.map(ToString::to_string).unwrap_or_default()
            };
            let shown_secret = |c: &Config| {
                let body = c.to_toml();
                assert!(
                    !body.contains(in_env) && !body.contains(in_file.trim_matches('"')),
                    "{body}"
                );
                body.contains(&format!("#   {key} ({})", s.env))
            };
            let c = Config::load(flags(), &lookup(&[]))
                .unwrap_or_else(|e| panic!("{key} in the file: {e}"));
            let c_env = Config::load(flags(), &lookup(&[(s.env, in_env)]))
                .unwrap_or_else(|e| panic!("{key} in the environment: {e}"));
            if s.secret {
                assert!(
                    shown_secret(&c),
                    "`{key}` from the file is named, not printed"
                );
                assert!(
                    shown_secret(&c_env),
                    "`{key}` from the environment is named, not printed"
                );
                let merged = RawConfig::from_env(&lookup(&[(s.env, in_env)]))
                    .unwrap()
                    .or(RawConfig::from_toml(&file).unwrap());
                let secret = match key {
                    "master_key" => merged.master_key,
                    "admin.password" => merged.admin.password,
                    "billing.stripe_secret_key" => merged.billing.stripe_secret_key,
                    "billing.stripe_webhook_secret" => merged.billing.stripe_webhook_secret,
                    _ => panic!("a secret `{key}` this test does not know"),
                };
                assert_eq!(
                    secret.unwrap().expose(),
                    in_env,
                    "`{key}`: the environment wins"
                );
            } else {
                assert_eq!(printed(&c), from_file, "`{key}` read from the file");
                assert_eq!(
                    printed(&c_env),
                    from_env,
                    "`{key}` from the environment wins"
                );
            }
        }
    }
}
