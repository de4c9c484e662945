//! The `settings!` macro: how one definition of the scalar settings becomes every layer.
//!
//! A setting is written once, in `settings.rs`, as its key, raw type, environment variable and
//! how its validated value is shown. From that the macro generates the all-`Option` raw structs
//! (the file layer, with `deny_unknown_fields`), the `CODEXKEY_*` constants, `RawConfig::from_env`,
//! the merge `RawConfig::or`, `RawConfig::effective` for `--print-config`, the secrets it names
//! instead of printing, and `SETTINGS`, the list tests walk. Turning a raw layer into the typed
//! `Config` (defaults, checks) is `validate.rs`'s job, not this one's.

use std::path::PathBuf;

use codexkey_common::Secret;

use super::decimal::DecimalText;
use super::error::ConfigError;

/// One scalar setting as the definition names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// Its key path in the file: `listen`, `auth.session_ttl_secs`.
    pub key: &'static str,
    /// Its environment variable: `CODEXKEY_AUTH__SESSION_TTL_SECS`.
    pub env: &'static str,
    /// Never printed by `--print-config`; named in a comment instead.
    pub secret: bool,
}

/// How a raw setting is read from its environment variable.
pub trait EnvValue: Sized {
    fn from_env_text(key: &str, text: String) -> Result<Self, ConfigError>;

    /// The variable `key` through `get`, if set.
    fn read(get: &dyn Fn(&str) -> Option<String>, key: &str) -> Result<Option<Self>, ConfigError> {
        get(key).map(|v| Self::from_env_text(key, v)).transpose()
    }
}

// Text settings are taken as written: an address, a path or a secret is checked (or not) by
// validation, exactly as when it comes from the file.
impl EnvValue for String {
    fn from_env_text(_: &str, text: String) -> Result<Self, ConfigError> {
        Ok(text)
    }
}

impl EnvValue for PathBuf {
    fn from_env_text(_: &str, text: String) -> Result<Self, ConfigError> {
        Ok(PathBuf::from(text))
    }
}

impl EnvValue for Secret<String> {
    fn from_env_text(_: &str, text: String) -> Result<Self, ConfigError> {
        Ok(Secret::new(text))
    }
}

/// A list: comma-separated in a variable (`10.0.0.0/8, 192.168.1.7`), an array in the file.
impl EnvValue for Vec<String> {
    fn from_env_text(_: &str, text: String) -> Result<Self, ConfigError> {
        Ok(text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect())
    }
}

impl EnvValue for DecimalText {
    fn from_env_text(_: &str, text: String) -> Result<Self, ConfigError> {
        Ok(DecimalText(text))
    }
}

/// Numbers and booleans are parsed here, surrounding blanks ignored, and a bad value is refused
/// by its variable's name (the file layer names the key instead).
macro_rules! parsed_env_value {
    ($($t:ty),*) => {$(
        impl EnvValue for $t {
            fn from_env_text(key: &str, text: String) -> Result<Self, ConfigError> {
                text.trim().parse().map_err(|e| ConfigError::Invalid {
                    key: key.to_owned(),
                    message: format!("`{text}`: {e}"),
                })
            }
        }
    )*};
}

parsed_env_value!(u32, u64, usize, bool);

/// Generates the raw layers from one definition; see this module's documentation.
///
/// Each scalar setting is `name: RawType, env CONST = "CODEXKEY_…", shown |c| value;` (its
/// value in force in the validated `c: &Config`), `…, optional |c| value_or_none;` (printed
/// only when set) or `…, secret |c| is_set;` (never printed; named when set). Sections (`[server]`, …) group settings under a raw struct of their own.
/// Special fields (`[[upstreams]]`, `[currencies.X]`) name their own env reader, merge and
/// file form, since they merge by name rather than as one value.
macro_rules! settings {
    (
        $(#[$raw_meta:meta])*
        pub struct $Raw:ident for $Config:ident {
            $(
                $(#[$m:meta])*
                $name:ident: $ty:ty, env $VAR:ident = $var:literal, $how:ident |$c:ident| $e:expr;
            )*
        }
        sections {
            $(
                $(#[$sm:meta])*
                $section:ident: $Section:ident {
                    $(
                        $(#[$fm:meta])*
                        $field:ident: $fty:ty,
                            env $FVAR:ident = $fvar:literal, $fhow:ident |$fc:ident| $fe:expr;
                    )*
                }
            )*
        }
        special {
            $(
                $(#[$xm:meta])*
                $x:ident: $xty:ty,
                    env $xenv:path, merge $xmerge:path, shown |$xc:ident| $xe:expr;
            )*
        }
    ) => {
        $(#[$raw_meta])*
        #[derive(Debug, Clone, Default, ::serde::Deserialize, ::serde::Serialize)]
        #[serde(deny_unknown_fields)]
        pub struct $Raw {
            $( $(#[$m])* pub $name: Option<$ty>, )*
            $( #[serde(default)] pub $section: $Section, )*
            $( $(#[$xm])* pub $x: $xty, )*
        }

        $(
            $(#[$sm])*
            #[derive(Debug, Clone, Default, ::serde::Deserialize, ::serde::Serialize)]
            #[serde(deny_unknown_fields)]
            pub struct $Section {
                $( $(#[$fm])* pub $field: Option<$fty>, )*
            }
        )*

        /// The environment variable of every scalar setting, one constant each. Nested settings
        /// use `__`.
        pub mod vars {
            $( $(#[$m])* pub const $VAR: &str = $var; )*
            $( $( $(#[$fm])* pub const $FVAR: &str = $fvar; )* )*
        }

        /// Every scalar setting, in the order of the file.
        pub const SETTINGS: &[$crate::config::define::Setting] = &[
            $( $crate::config::define::Setting {
                key: stringify!($name),
                env: $var,
                secret: settings!(@secret $how),
            }, )*
            $( $( $crate::config::define::Setting {
                key: concat!(stringify!($section), ".", stringify!($field)),
                env: $fvar,
                secret: settings!(@secret $fhow),
            }, )* )*
        ];

        impl $Raw {
            /// The environment layer, read through `get`.
            pub fn from_env(
                get: &dyn Fn(&str) -> Option<String>,
            ) -> Result<$Raw, $crate::config::error::ConfigError> {
                Ok($Raw {
                    $( $name: <$ty as $crate::config::define::EnvValue>::read(get, $var)?, )*
                    $( $section: $Section {
                        $( $field: <$fty as $crate::config::define::EnvValue>::read(get, $fvar)?, )*
                    }, )*
                    $( $x: $xenv(get)?, )*
                })
            }

            /// `self` wins over `lower` setting by setting.
            pub fn or(self, lower: $Raw) -> $Raw {
                $Raw {
                    $( $name: self.$name.or(lower.$name), )*
                    $( $section: $Section {
                        $( $field: self.$section.$field.or(lower.$section.$field), )*
                    }, )*
                    $( $x: $xmerge(self.$x, lower.$x), )*
                }
            }

            /// The file form of a validated configuration, secrets left out.
            pub fn effective(config: &$Config) -> $Raw {
                $Raw {
                    $( $name: settings!(@shown $how config |$c| $e), )*
                    $( $section: $Section {
                        $( $field: settings!(@shown $fhow config |$fc| $fe), )*
                    }, )*
                    $( $x: { let $xc = config; $xe }, )*
                }
            }
        }

        /// The secrets set in `config`, which `--print-config` names instead of printing.
        pub fn secrets_set(
            config: &$Config,
        ) -> Vec<$crate::config::define::Setting> {
            let mut set = Vec::new();
            $( settings!(@if_set $how config |$c| $e, set, stringify!($name), $var); )*
            $( $( settings!(
                @if_set $fhow config |$fc| $fe,
                set, concat!(stringify!($section), ".", stringify!($field)), $fvar
            ); )* )*
            set
        }
    };

    (@secret shown) => { false };
    (@secret optional) => { false };
    (@secret secret) => { true };
    (@shown shown $config:ident |$c:ident| $e:expr) => { Some({ let $c = $config; $e }) };
    (@shown optional $config:ident |$c:ident| $e:expr) => { { let $c = $config; $e } };
    (@shown secret $config:ident |$c:ident| $e:expr) => { None };
    (@if_set shown $config:ident |$c:ident| $e:expr, $set:ident, $key:expr, $env:expr) => {};
    (@if_set optional $config:ident |$c:ident| $e:expr, $set:ident, $key:expr, $env:expr) => {};
    (@if_set secret $config:ident |$c:ident| $e:expr, $set:ident, $key:expr, $env:expr) => {
        if { let $c = $config; $e } {
            $set.push($crate::config::define::Setting { key: $key, env: $env, secret: true });
        }
    };
}

pub(crate) use settings;
