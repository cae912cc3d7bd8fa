//! `*` wildcard values, split once at parse time and matched without allocating.

use std::ops::Range;

/// A value containing at least one `*`, pre-split into the literal pieces between the stars.
///
/// The pieces are byte ranges into the literal's text (`*` is ASCII, so every range starts and ends
/// on a character boundary). Consecutive stars collapse; empty pieces are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    pieces: Box<[Range<usize>]>,
    /// The value starts with `*`: no anchored prefix.
    leading_star: bool,
    /// The value ends with `*`: no anchored suffix.
    trailing_star: bool,
}

impl Glob {
    /// Splits `text` at its stars; `None` when it has none (an exact value).
    pub fn compile(text: &str) -> Option<Glob> {
        if !text.contains('*') {
            return None;
        }
        let mut pieces = Vec::new();
        let mut start = 0;
        for (i, c) in text.char_indices() {
            if c == '*' {
                if i > start {
                    pieces.push(start..i);
                }
                start = i + 1;
            }
        }
        if start < text.len() {
            pieces.push(start..text.len());
        }
        Some(Glob {
            pieces: pieces.into_boxed_slice(),
            leading_star: text.starts_with('*'),
            trailing_star: text.ends_with('*'),
        })
    }

    /// Whether `subject` matches the wildcard value `text` (the text this glob was compiled from).
    ///
    /// Anchored prefix, then anchored suffix, then the middle pieces leftmost-first, which is exact
    /// for `*`-only globs. No allocation.
    pub fn matches(&self, text: &str, subject: &str) -> bool {
        let mut pieces = self
            .pieces
            .iter()
            .map(|r| text.get(r.clone()).unwrap_or(""));
        let mut rest = subject;
        if !self.leading_star {
            // A glob whose text doesn't start with `*` starts with a non-empty piece.
            let Some(prefix) = pieces.next() else {
                return false;
            };
            match rest.strip_prefix(prefix) {
                Some(r) => rest = r,
                None => return false,
            }
        }
        if !self.trailing_star {
            let Some(suffix) = pieces.next_back() else {
                // Only reachable for a star-less text, which never compiles to a glob.
                return rest.is_empty();
            };
            match rest.strip_suffix(suffix) {
                Some(r) => rest = r,
                None => return false,
            }
        }
        for piece in pieces {
            match rest.find(piece) {
                Some(at) => rest = rest.get(at + piece.len()..).unwrap_or(""),
                None => return false,
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::Glob;

    fn m(pattern: &str, subject: &str) -> bool {
        Glob::compile(pattern).is_some_and(|g| g.matches(pattern, subject))
    }

    #[test]
    fn star_free_text_is_not_a_glob() {
        assert!(Glob::compile("AccessDenied").is_none());
    }

    #[test]
    fn positions_of_the_star() {
        assert!(m("*", ""));
        assert!(m("*", "anything"));
        assert!(m("**", "x"));
        assert!(m("AccessDenied*", "AccessDenied"));
        assert!(m("AccessDenied*", "AccessDeniedException"));
        assert!(!m("AccessDenied*", "xAccessDenied"));
        assert!(m("*UnauthorizedOperation", "Client.UnauthorizedOperation"));
        assert!(!m("*UnauthorizedOperation", "UnauthorizedOperationX"));
        assert!(m("Ev*ent", "Event"));
        assert!(m("Ev*ent", "EvXYZent"));
        assert!(!m("Ev*ent", "Evnt"));
        assert!(m(
            "*AWSReservedSSO*",
            "arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin/x"
        ));
        assert!(m("a*b*c", "abc"));
        assert!(m("a*b*c", "a-b-b-c"));
        assert!(!m("a*b*c", "a-c-b"));
        // The prefix and the suffix must not overlap.
        assert!(!m("a*a", "a"));
        assert!(m("a*a", "aa"));
        assert!(m("123.123.*", "123.123.1.1"));
        assert!(!m("123.123.*", "111.111.111.111"));
    }

    #[test]
    fn multibyte_text_is_safe() {
        assert!(m("é*", "été"));
        assert!(m("*ü*", "grün"));
        assert!(!m("ü*", "u"));
    }
}
