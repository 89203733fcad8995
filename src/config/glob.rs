//! Redis's glob-style matcher (`stringmatchlen`), used by CONFIG GET and by wildcard `include`.
//!
//! Written here rather than taken from a crate because none of the candidates matches Redis's
//! semantics: `wildmatch` knows only `*` and `?`; `glob-match` and `fast-glob` add `{a,b}`
//! braces, `**`, a leading `!` negation and `[!...]`, stop `*` at `/`, work on `&str` rather
//! than bytes and have no case-insensitive mode. Redis's rules are small and exact:
//!
//! - `*` any run of bytes (also `/`), `?` any one byte;
//! - `[abc]`, `[a-z]` (a reversed range `[z-a]` is the same range), `[^...]` negation, `\x`
//!   inside a class is `x` taken literally (and case-sensitively); a class left open at the end
//!   of the pattern is closed there (`a[bc` matches `ab`);
//! - `\x` outside a class is `x` taken literally;
//! - with `nocase`, letters compare case-insensitively (CONFIG GET's mode);
//! - an empty subject matches nothing but an empty pattern (Redis quirk: `*` does not match "").

/// Whether `pattern` matches the whole of `string`, with Redis's rules (see the module docs).
pub fn string_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_from(pattern, string, nocase, &mut skip_longer, 0)
}

/// Deeper nesting (one level per `*` followed by more pattern) gives up, as newer Redis does,
/// so that a hostile pattern cannot exhaust the stack.
const MAX_NESTING: usize = 1000;

fn lower(b: u8, nocase: bool) -> u8 {
    if nocase {
        b.to_ascii_lowercase()
    } else {
        b
    }
}

fn match_from(pattern: &[u8], string: &[u8], nocase: bool, skip_longer: &mut bool, nesting: usize) -> bool {
    if nesting > MAX_NESTING {
        return false;
    }
    // Reading past the end yields 0, like the NUL after an sds string.
    let pat = |i: usize| -> u8 { pattern.get(i).copied().unwrap_or(0) };
    let (mut p, mut s) = (0usize, 0usize);
    while p < pattern.len() && s < string.len() {
        match pattern[p] {
            b'*' => {
                while p + 1 < pattern.len() && pattern[p + 1] == b'*' {
                    p += 1;
                }
                if p + 1 == pattern.len() {
                    return true;
                }
                while s < string.len() {
                    if match_from(&pattern[p + 1..], &string[s..], nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        // A later `*` already failed against every shorter tail: longer
                        // prefixes for this `*` cannot help either.
                        return false;
                    }
                    s += 1;
                }
                *skip_longer = true;
                return false;
            }
            b'?' => s += 1,
            b'[' => {
                p += 1;
                let negate = pat(p) == b'^';
                if negate {
                    p += 1;
                }
                let c = string[s];
                let mut matched = false;
                loop {
                    if pat(p) == b'\\' && pattern.len() - p >= 2 {
                        p += 1;
                        if pattern[p] == c {
                            matched = true;
                        }
                    } else if pat(p) == b']' {
                        break;
                    } else if p >= pattern.len() {
                        // Unterminated class: step back onto its last byte so that the
                        // common advance below lands on the end of the pattern.
                        p -= 1;
                        break;
                    } else if pattern.len() - p >= 3 && pattern[p + 1] == b'-' {
                        let (mut start, mut end) = (pattern[p], pattern[p + 2]);
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        let (start, end, c) = (lower(start, nocase), lower(end, nocase), lower(c, nocase));
                        p += 2;
                        if c >= start && c <= end {
                            matched = true;
                        }
                    } else if lower(pattern[p], nocase) == lower(c, nocase) {
                        matched = true;
                    }
                    p += 1;
                }
                if negate {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s += 1;
            }
            b'\\' if pattern.len() - p >= 2 => {
                p += 1;
                if lower(pattern[p], nocase) != lower(string[s], nocase) {
                    return false;
                }
                s += 1;
            }
            other => {
                if lower(other, nocase) != lower(string[s], nocase) {
                    return false;
                }
                s += 1;
            }
        }
        p += 1;
        if s == string.len() {
            while pat(p) == b'*' {
                p += 1;
            }
            break;
        }
    }
    p >= pattern.len() && s == string.len()
}

#[cfg(test)]
mod tests {
    use super::string_match;

    fn m(p: &str, s: &str) -> bool {
        string_match(p.as_bytes(), s.as_bytes(), false)
    }
    fn mi(p: &str, s: &str) -> bool {
        string_match(p.as_bytes(), s.as_bytes(), true)
    }

    #[test]
    fn config_glob_stars_and_questions() {
        assert!(m("*", "maxmemory"));
        assert!(m("max*", "maxmemory"));
        assert!(m("*memory", "maxmemory"));
        assert!(m("*mem*", "maxmemory"));
        assert!(m("m*m*y", "maxmemory"));
        assert!(m("**y", "maxmemory"));
        assert!(m("h?", "hz"));
        assert!(!m("h?", "h"));
        assert!(!m("h?", "hzz"));
        assert!(!m("max", "maxmemory"));
        assert!(m("", ""));
        assert!(!m("*", ""), "Redis quirk: nothing but an empty pattern matches an empty string");
        assert!(m("a*", "a"));
        assert!(m("a**", "a"));
        assert!(m("*/*", "a/b"), "no path-separator semantics");
    }

    #[test]
    fn config_glob_classes() {
        assert!(m("maxmemor[xy]", "maxmemory"));
        assert!(m("maxmemor[x-z]", "maxmemory"));
        assert!(m("maxmemor[z-x]", "maxmemory"), "reversed ranges are swapped");
        assert!(m("maxmemor[^a]", "maxmemory"));
        assert!(!m("maxmemor[^y]", "maxmemory"));
        assert!(!m("maxmemor[^x-z]", "maxmemory"));
        assert!(m("maxmemor[xy", "maxmemory"), "a class left open is closed at the end");
        assert!(!m("maxmemory[", "maxmemory"));
        assert!(!m("*[", "maxmemory"));
        assert!(m("[\\]]", "]"));
        assert!(m("[a\\-z]", "-"));
        assert!(!m("[a\\-z]", "b"));
        assert!(m("[]", "]") == m("[]", "]"), "must not panic on an empty class");
        assert!(!m("[^a-z]*", "port"));
        assert!(m("[^a-z]*", "_x"));
    }

    #[test]
    fn config_glob_escapes_and_case() {
        assert!(m("a\\*b", "a*b"));
        assert!(!m("a\\*b", "axb"));
        assert!(m("*\\-p*y", "maxmemory-policy"));
        assert!(m("hz\\", "hz\\") || !m("hz\\", "hz\\"), "a trailing backslash must not panic");
        assert!(m("hz\\", "hz\\"), "a lone trailing backslash is a literal backslash");
        assert!(mi("MAXMEM*", "maxmemory-policy"));
        assert!(!m("MAXMEM*", "maxmemory-policy"));
        assert!(mi("[M]axmemory", "maxmemory"));
        assert!(mi("[A-Z]axmemory", "maxmemory"));
        assert!(!mi("[\\M]axmemory", "maxmemory"), "an escaped byte in a class is case-sensitive");
    }

    #[test]
    fn config_glob_pathological_patterns_finish() {
        let subject = "a".repeat(60);
        let pattern = format!("{}b", "*a".repeat(30));
        assert!(!m(&pattern, &subject));
        let deep = "*a".repeat(5000);
        assert!(!m(&deep, &"a".repeat(4000)));
    }
}
