//! The CloudTrail record model.
//!
//! Every field that real records can lack is an `Option` (service events have no `sourceIPAddress` or
//! `userAgent`, some identities have no `type`, most records have no `errorCode`), unknown fields are ignored
//! because CloudTrail keeps adding them, and free-form parts (`requestParameters`, `responseElements`,
//! `additionalEventData`) stay as JSON values. `aws_lambda_events`' `AWSAPICall` is deliberately not used: its
//! required strings fit EventBridge details, not every log-file record.

use crate::vocab::PrincipalField;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One CloudTrail event record, as found in the `Records` array of a log file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    #[serde(default)]
    pub event_version: Option<String>,
    #[serde(default)]
    pub user_identity: Option<UserIdentity>,
    #[serde(default)]
    pub event_time: Option<String>,
    #[serde(default)]
    pub event_source: Option<String>,
    #[serde(default)]
    pub event_name: Option<String>,
    #[serde(default)]
    pub aws_region: Option<String>,
    #[serde(default, rename = "sourceIPAddress")]
    pub source_ip_address: Option<String>,
    #[serde(default)]
    pub user_agent: Option<String>,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
    #[serde(default)]
    pub request_parameters: Option<Value>,
    #[serde(default)]
    pub response_elements: Option<Value>,
    #[serde(default)]
    pub additional_event_data: Option<Value>,
    #[serde(default, rename = "requestID")]
    pub request_id: Option<String>,
    #[serde(default, rename = "eventID")]
    pub event_id: Option<String>,
    #[serde(default)]
    pub read_only: Option<bool>,
    #[serde(default)]
    pub event_type: Option<String>,
    #[serde(default)]
    pub management_event: Option<bool>,
    #[serde(default)]
    pub recipient_account_id: Option<String>,
    #[serde(default)]
    pub event_category: Option<String>,
    #[serde(default)]
    pub shared_event_id: Option<String>,
    #[serde(default, rename = "vpcEndpointId")]
    pub vpc_endpoint_id: Option<String>,
}

/// `userIdentity`: who made the call. `type` is kept as a string (`Root`, `IAMUser`, `AssumedRole`,
/// `FederatedUser`, `AWSService`, `AWSAccount`, `IdentityCenterUser`, …) because new types appear.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity {
    #[serde(default, rename = "type")]
    pub identity_type: Option<String>,
    #[serde(default)]
    pub principal_id: Option<String>,
    #[serde(default)]
    pub arn: Option<String>,
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub access_key_id: Option<String>,
    #[serde(default)]
    pub user_name: Option<String>,
    #[serde(default)]
    pub invoked_by: Option<String>,
    #[serde(default)]
    pub session_context: Option<SessionContext>,
}

/// `userIdentity.sessionContext` for temporary credentials.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionContext {
    #[serde(default)]
    pub session_issuer: Option<Value>,
    #[serde(default)]
    pub attributes: Option<Value>,
    #[serde(default)]
    pub assumed_root: Option<Value>,
}

impl Record {
    /// Parses one record from its JSON text.
    pub fn from_json(raw: &str) -> Result<Record, serde_json::Error> {
        serde_json::from_str(raw)
    }

    /// `userIdentity.type`, when present.
    pub fn identity_type(&self) -> Option<&str> {
        self.user_identity.as_ref()?.identity_type.as_deref()
    }

    /// `userIdentity.invokedBy`, when present.
    pub fn invoked_by(&self) -> Option<&str> {
        self.user_identity.as_ref()?.invoked_by.as_deref()
    }

    /// The account the event was delivered to (`recipientAccountId`), else the caller's account.
    pub fn account_id(&self) -> Option<&str> {
        self.recipient_account_id
            .as_deref()
            .or_else(|| self.user_identity.as_ref()?.account_id.as_deref())
    }

    /// The best available name of the caller, by the principal fallback ([`PrincipalField::ALL`]): its ARN,
    /// else principal id, user name, invoking service or type.
    pub fn principal(&self) -> Option<&str> {
        let id = self.user_identity.as_ref()?;
        PrincipalField::ALL
            .into_iter()
            .find_map(|field| match field {
                PrincipalField::Arn => id.arn.as_deref(),
                PrincipalField::PrincipalId => id.principal_id.as_deref(),
                PrincipalField::UserName => id.user_name.as_deref(),
                PrincipalField::InvokedBy => id.invoked_by.as_deref(),
                PrincipalField::Type => id.identity_type.as_deref(),
            })
    }

    /// `additionalEventData.MFAUsed` (console sign-ins), when it is a string.
    pub fn mfa_used(&self) -> Option<&str> {
        self.additional_event_data
            .as_ref()?
            .get("MFAUsed")?
            .as_str()
    }

    /// True when the call succeeded: no `errorCode` and no `errorMessage`.
    pub fn succeeded(&self) -> bool {
        self.error_code.is_none() && self.error_message.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT_LOGIN: &str = r#"{"eventVersion":"1.08","userIdentity":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"},"eventTime":"2024-01-01T00:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"Mozilla/5.0","requestParameters":null,"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"},"eventID":"e1","readOnly":false,"eventType":"AwsConsoleSignIn","managementEvent":true,"recipientAccountId":"111122223333","someFutureField":{"x":1}}"#;

    #[test]
    fn parses_root_login_with_unknown_fields() {
        let r = Record::from_json(ROOT_LOGIN).unwrap();
        assert_eq!(r.identity_type(), Some("Root"));
        assert_eq!(r.event_name.as_deref(), Some("ConsoleLogin"));
        assert_eq!(r.mfa_used(), Some("No"));
        assert_eq!(r.principal(), Some("arn:aws:iam::111122223333:root"));
        assert_eq!(r.account_id(), Some("111122223333"));
        assert!(r.succeeded());
        assert_eq!(
            r.request_parameters,
            Some(Value::Null).filter(|v| !v.is_null())
        );
    }

    #[test]
    fn service_event_without_optional_fields_parses() {
        let raw = r#"{"eventVersion":"1.08","userIdentity":{"accountId":"111122223333","invokedBy":"cloudtrail.amazonaws.com"},"eventTime":"2024-01-01T00:00:00Z","eventSource":"kms.amazonaws.com","eventName":"Decrypt","awsRegion":"us-east-1","eventID":"e2","eventType":"AwsServiceEvent","recipientAccountId":"111122223333"}"#;
        let r = Record::from_json(raw).unwrap();
        assert_eq!(r.identity_type(), None);
        assert_eq!(r.source_ip_address, None);
        assert_eq!(r.user_agent, None);
        assert_eq!(r.principal(), Some("cloudtrail.amazonaws.com"));
    }

    #[test]
    fn error_record_is_not_a_success() {
        let raw = r#"{"eventName":"ListBuckets","errorCode":"AccessDenied","errorMessage":"Access Denied"}"#;
        let r = Record::from_json(raw).unwrap();
        assert!(!r.succeeded());
        assert_eq!(r.principal(), None);
        assert_eq!(r.account_id(), None);
    }

    #[test]
    fn round_trips_through_serde() {
        let r = Record::from_json(ROOT_LOGIN).unwrap();
        let again = Record::from_json(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(r, again);
    }
}
