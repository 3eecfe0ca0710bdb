//! "Did you mean" suggestions as data: the closest known name, or the list
//! of names to choose from. Validation diagnostics and request errors carry
//! a [`Suggestion`] and format it only when printed.

use std::fmt;

/// What to suggest instead of an unknown name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suggestion {
    /// One candidate is close (edit distance at most 3, or a third of the
    /// name): `did you mean 'x'?`.
    DidYouMean(String),
    /// None is close: `expected one of: a, b, c`.
    OneOf(Vec<String>),
}

impl Suggestion {
    /// The suggestion for `name` among `candidates` (case-insensitive).
    pub fn closest(name: &str, candidates: &[&str]) -> Suggestion {
        let best = candidates
            .iter()
            .map(|c| (edit_distance(&name.to_lowercase(), &c.to_lowercase()), *c))
            .min();
        match best {
            Some((d, c)) if d <= 3.max(name.len() / 3) => Suggestion::DidYouMean(c.to_string()),
            _ => Suggestion::OneOf(candidates.iter().map(|c| c.to_string()).collect()),
        }
    }

    /// The close candidate, when there is one.
    pub fn did_you_mean(&self) -> Option<&str> {
        match self {
            Suggestion::DidYouMean(c) => Some(c),
            Suggestion::OneOf(_) => None,
        }
    }
}

impl fmt::Display for Suggestion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Suggestion::DidYouMean(c) => write!(f, "did you mean '{c}'?"),
            Suggestion::OneOf(list) => write!(f, "expected one of: {}", list.join(", ")),
        }
    }
}

/// Levenshtein distance, for "did you mean" hints.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_far_ones_listed() {
        assert_eq!(
            Suggestion::closest("NI39", &["NI19", "NI40"]),
            Suggestion::DidYouMean("NI19".into())
        );
        let far = Suggestion::closest("reoffending_rate", &["NI19", "NI40"]);
        assert_eq!(far.to_string(), "expected one of: NI19, NI40");
        assert_eq!(far.did_you_mean(), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
