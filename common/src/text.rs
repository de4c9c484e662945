//! Untrusted text meeting a terminal or an identity: which characters are hidden (control and
//! invisible formatting characters) and how to show them harmlessly.
//!
//! Model names, emails, reasons and error messages come from clients, upstreams and other
//! users. Printed raw, an ESC starts a terminal escape sequence (retitle the window, rewrite
//! what is on screen, on some terminals answer back) and zero-width or bidi characters make two
//! different strings look the same.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Control characters (C0, DEL, C1) and the invisible formatting characters that change how
/// text looks without showing: zero-width spaces and joiners, bidi embeddings, overrides and
/// isolates, the word joiner and invisible operators, the BOM, soft hyphen, and the
/// Mongolian vowel separator.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// `s` with every hidden character written as a visible escape (`\u{1b}`), so a terminal shows
/// it instead of obeying it. Borrowed, without copying, when there is nothing to escape.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_except(s, |_| false)
}

/// Like [`escape`], but keeps line breaks: for multi-line text laid out by us.
pub fn escape_lines(s: &str) -> Cow<'_, str> {
    escape_except(s, |c| c == '\n')
}

fn escape_except(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_hidden(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_hidden(c) && !keep(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_are_shown_not_obeyed() {
        assert_eq!(
            escape("gpt-5\u{1b}]0;pwned\u{7}"),
            "gpt-5\\u{1b}]0;pwned\\u{7}"
        );
        assert_eq!(
            escape("a\u{200b}b\u{202e}c\0"),
            "a\\u{200b}b\\u{202e}c\\u{0}"
        );
        assert_eq!(escape("tab\there"), "tab\\u{9}here");
        assert_eq!(escape_lines("one\ntwo\u{1b}"), "one\ntwo\\u{1b}");
        assert!(matches!(escape("plain ünïcödé ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn what_is_hidden() {
        for c in [
            '\0', '\u{7}', '\u{1b}', '\u{7f}', '\u{9b}', '\u{200d}', '\u{2067}', '\u{feff}',
        ] {
            assert!(is_hidden(c), "{c:?}");
        }
        for c in ['a', 'é', '@', ' ', '✓', '日'] {
            assert!(!is_hidden(c), "{c:?}");
        }
    }
}
