//! One vocabulary for reading a CloudTrail record: the fields every reader of records (the rules, the
//! catalog, the threshold windows, the CLI's hunts, the function's metrics) reads the same way.

use serde::{Deserialize, Serialize};

/// A `userIdentity` field a finding's principal can come from, in the order a finding (trailwarden-rules' `Finding::new`) tries them: the principal fallback.
/// Serialized in snake_case (`arn`, `principal_id`, `user_name`, `invoked_by`, `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalField {
    Arn,
    PrincipalId,
    UserName,
    InvokedBy,
    Type,
}

impl PrincipalField {
    /// Every field, in the order a finding (trailwarden-rules' `Finding::new`) tries them: the principal fallback.
    pub const ALL: [PrincipalField; 5] = [
        PrincipalField::Arn,
        PrincipalField::PrincipalId,
        PrincipalField::UserName,
        PrincipalField::InvokedBy,
        PrincipalField::Type,
    ];

    /// The key inside `userIdentity`, e.g. `principalId`.
    pub fn key(self) -> &'static str {
        match self {
            PrincipalField::Arn => "arn",
            PrincipalField::PrincipalId => "principalId",
            PrincipalField::UserName => "userName",
            PrincipalField::InvokedBy => "invokedBy",
            PrincipalField::Type => "type",
        }
    }

    /// The field's selector in a filter pattern or an exclusion's `match`, without `$.`, e.g.
    /// `userIdentity.principalId`.
    pub fn selector(self) -> &'static str {
        match self {
            PrincipalField::Arn => "userIdentity.arn",
            PrincipalField::PrincipalId => "userIdentity.principalId",
            PrincipalField::UserName => "userIdentity.userName",
            PrincipalField::InvokedBy => "userIdentity.invokedBy",
            PrincipalField::Type => "userIdentity.type",
        }
    }
}
