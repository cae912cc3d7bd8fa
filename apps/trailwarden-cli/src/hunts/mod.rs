//! The hunts of `trailwarden hunt`, one file each (as the rules are one file per rule), and their registry.
//!
//! A hunt file holds the hunt's arguments ([`HuntOptions`](crate::hunt::HuntOptions)), the hunt
//! ([`Hunt`](crate::hunt::Hunt): what it wants, how it adds a record up, its rows) with its row type and tests,
//! and its [`Entry`] (`HUNT`: the subcommand's name and help). Adding a hunt is one file here and one line
//! in [`registry!`] below.

use crate::hunt::Entry;

pub mod sql;

/// Declares each hunt's module and lists its `HUNT` entry in [`ALL`], in order.
macro_rules! registry {
    ($($hunt:ident,)*) => {
        $(mod $hunt;)*

        /// Every hunt, in the order `trailwarden hunt --help` lists them.
        pub static ALL: &[Entry] = &[$($hunt::HUNT),*];
    };
}

registry! {
    regions,
    identities,
    signins,
    policy_changes,
    sg_changes,
    access_key,
    cross_account,
}

/// The hunt named `name` (its subcommand name).
pub fn find(name: &str) -> Option<&'static Entry> {
    ALL.iter().find(|h| h.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case() {
        let mut names: Vec<&str> = ALL.iter().map(|h| h.name).collect();
        assert!(names
            .iter()
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')));
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        assert!(find("regions").is_some());
        assert!(find("nope").is_none());
    }
}
