//! Model-name patterns: `*` matches any run of characters (none included), everything else
//! matches itself, and a pattern matches a name as a whole. The one matcher behind key
//! allow-lists, upstream model lists and the CLI's filters, so a pattern means the same
//! everywhere it is accepted.

/// Whether `name` matches `pattern` exactly (case-sensitive, as model ids are).
pub fn matches(pattern: &str, name: &str) -> bool {
    match_by(pattern.as_bytes(), name.as_bytes(), |a, b| a == b)
}

/// Whether `name` matches `pattern`, ignoring ASCII case (for people typing filters).
pub fn matches_ignore_ascii_case(pattern: &str, name: &str) -> bool {
    match_by(pattern.as_bytes(), name.as_bytes(), |a, b| {
        a.eq_ignore_ascii_case(&b)
    })
}

/// Whether `pattern` holds a `*`, i.e. may match more than one name.
pub fn is_pattern(pattern: &str) -> bool {
    pattern.contains('*')
}

/// Greedy matching with one backtrack point, the last `*` seen: time linear in the name for
/// every pattern an operator writes and never exponential, whatever a client sends. Works on
/// bytes: `*` is ASCII, so it can never split a UTF-8 sequence that the pattern then matches.
fn match_by(p: &[u8], n: &[u8], eq: impl Fn(u8, u8) -> bool) -> bool {
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(&c) if eq(c, n[ni]) => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_names() {
        let cases = [
            ("gpt-*", "gpt-5.5", true),
            ("gpt-*", "o3", false),
            ("*", "anything", true),
            ("*", "", true),
            ("", "", true),
            ("", "x", false),
            ("claude-*-4-*", "claude-opus-4-8", true),
            ("claude-*-4", "claude-opus-4-8", false),
            ("claude-*", "anthropic/claude-opus", false),
            ("*opus*", "claude-opus-4-8", true),
            ("gpt-4o", "gpt-4o", true),
            ("gpt-4o", "gpt-4o-mini", false),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
            ("é*", "éclair", true),
            ("1024-x-1024/*", "1024-x-1024/gpt-image-1.5", true),
        ];
        for (pattern, name, expected) in cases {
            assert_eq!(matches(pattern, name), expected, "{pattern} vs {name}");
        }
        assert!(!matches("gpt-*", "GPT-5"));
        assert!(matches_ignore_ascii_case("gpt-*", "GPT-5"));
    }

    #[test]
    fn many_stars_stay_linear() {
        // A recursive matcher takes exponential time here.
        let pattern = "*a".repeat(50) + "b";
        let name = "a".repeat(10_000);
        assert!(!matches(&pattern, &name));
    }
}
