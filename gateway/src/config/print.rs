//! `--print-config`: the configuration in force, written as a config file that `--config`
//! accepts back. Its settings come from the definition (`settings.rs`); secrets are named, never
//! printed.

use super::settings::{Config, RawConfig, secrets_set};

impl Config {
    /// The effective configuration as a config file: every setting with the value in force
    /// (defaults included), in the file's own vocabulary, so `--config` accepts it unchanged.
    /// Secrets are left out and named in a comment: what `--print-config` shows.
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        match &self.source {
            Some(p) => out.push_str(&format!(
                "# effective configuration; read from {}\n",
                p.display()
            )),
            None => out.push_str(
                "# effective configuration; no config file: defaults, environment and flags\n",
            ),
        }
        let mut omitted: Vec<String> = secrets_set(self)
            .iter()
            .map(|s| format!("{} ({})", s.key, s.env))
            .collect();
        for u in &self.upstreams {
            omitted.push(format!("upstreams.{}.keys ({} set)", u.name, u.keys.len()));
        }
        if !omitted.is_empty() {
            out.push_str(
                "# secrets are not printed; give them in the environment or add them here:\n",
            );
            for o in omitted {
                out.push_str(&format!("#   {o}\n"));
            }
        }
        out.push('\n');
        out.push_str(
            &toml::to_string_pretty(&RawConfig::effective(self))
                .unwrap_or_else(|e| format!("# cannot render: {e}\n")),
        );
        out
    }
}
