//! CloudTrail event selectors changed so that a trail no longer records (write) management events.

use super::common::{event_name, event_source, succeeded};
use crate::{rule::Context, rule::Control, rule::Detection, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::{Elements, Node};

/// Fires on a successful `PutEventSelectors` (eventSource `cloudtrail.amazonaws.com`; no `errorCode`, no
/// `errorMessage`) whose new selectors, taken together, no longer record **write management events** on the
/// trail. The selectors in `requestParameters` replace the trail's previous ones, so the request alone says
/// what the trail records from now on.
///
/// * Basic selectors (`requestParameters.eventSelectors`): a selector records write management events when its
///   `includeManagementEvents` is not `false` (the API default is `true`) and its `readWriteType` is not
///   `ReadOnly` (`All` and `WriteOnly` record writes; the default is `All`).
/// * Advanced selectors (`requestParameters.advancedEventSelectors`): a selector records management events
///   when one of its `fieldSelectors` has `field = eventCategory` with `equals` containing `Management`; it
///   records only reads when it also has `field = readOnly` with `equals` `["true"]` (or `notEquals`
///   containing `"false"`).
///
/// The alert's note says which case it is: "management events are no longer recorded" (no selector includes
/// them, as in the Stratus Red Team `cloudtrail-event-selectors` detonation) or "only read-only management
/// events are still recorded" (writes, the events that matter, are dropped).
///
/// Not covered (documented limits): `excludeManagementEventSources` (it can only drop KMS and RDS Data API
/// events), advanced selectors that exclude event sources with `notEquals`/`notStartsWith`, and
/// `PutInsightSelectors`. A selector of an unexpected JSON shape makes the rule abstain rather than guess.
///
/// Code, not a pattern: the decision ranges over every element of the selector arrays, and a filter pattern
/// can only address fixed array indexes.
pub const RULE: Rule = Rule {
    id: "cloudtrail-management-events-disabled",
    title: "CloudTrail trail stopped recording management events",
    severity: Severity::Critical,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1562.008" },
        Control { framework: "Stratus Red Team", id: "aws.defense-evasion.cloudtrail-event-selectors" },
    ],
    detection: Detection::Code {
        prefilter: Prefilter::EventNames(&["PutEventSelectors"]),
        detect,
    },
    rationale: "Management events are the record of every configuration change, IAM change and sign-in. With \
                event selectors that exclude them the trail keeps running and looks healthy, but changes made from \
                now on are not logged: stopping the trail without seeming to (a stealthier StopLogging).",
    next_steps: "Restore the trail's event selectors from infrastructure code (management events, read and write); \
                 find who changed them and treat the principal as compromised until explained; review the account's \
                 activity since from CloudTrail event history (90 days of management events, independent of trails).",
};

const NONE_RECORDED: &str = "management events are no longer recorded";
const ONLY_READS: &str = "only read-only management events are still recorded";

/// What a set of selectors records.
#[derive(Default)]
struct Coverage {
    management: bool,
    write_management: bool,
}

impl Coverage {
    fn add(&mut self, management: bool, writes: bool) {
        self.management |= management;
        self.write_management |= management && writes;
    }

    fn verdict(self) -> Option<Hit> {
        if !self.management {
            Some(Hit::noted(NONE_RECORDED))
        } else if !self.write_management {
            Some(Hit::noted(ONLY_READS))
        } else {
            None
        }
    }
}

fn detect(record: Node<'_>, _: &Context) -> Option<Hit> {
    if event_name(record) != Some("PutEventSelectors")
        || event_source(record) != Some("cloudtrail.amazonaws.com")
        || !succeeded(record)
    {
        return None;
    }
    let params = record.get("requestParameters")?;
    if let Some(selectors) = params.get("eventSelectors") {
        return basic(selectors.as_array()?)?.verdict();
    }
    advanced(params.get("advancedEventSelectors")?.as_array()?)?.verdict()
}

/// Coverage of basic event selectors; `None` if one is not an object or has oddly typed fields.
fn basic(selectors: Elements<'_>) -> Option<Coverage> {
    let mut coverage = Coverage::default();
    for selector in selectors {
        let selector = selector.as_object()?;
        let management = match selector.get("includeManagementEvents") {
            None => true,
            Some(v) => v.as_bool()?,
        };
        let writes = match selector.get("readWriteType") {
            None => true,
            Some(v) => v.as_str()? != "ReadOnly",
        };
        coverage.add(management, writes);
    }
    Some(coverage)
}

/// Coverage of advanced event selectors; `None` if one is not shaped like a selector.
fn advanced(selectors: Elements<'_>) -> Option<Coverage> {
    let mut coverage = Coverage::default();
    for selector in selectors {
        let mut management = false;
        let mut writes = true;
        for field in selector.get("fieldSelectors")?.as_array()? {
            match field.get("field")?.as_str()? {
                "eventCategory" => management |= contains(field.get("equals"), "Management"),
                "readOnly" => {
                    let only_reads = (contains(field.get("equals"), "true")
                        && !contains(field.get("equals"), "false"))
                        || contains(field.get("notEquals"), "false");
                    writes &= !only_reads;
                }
                _ => {}
            }
        }
        coverage.add(management, writes);
    }
    Some(coverage)
}

/// Whether `list` is an array containing the string `value`.
fn contains(list: Option<Node<'_>>, value: &str) -> bool {
    list.and_then(|v| v.as_array())
        .is_some_and(|mut items| items.any(|v| v.as_str() == Some(value)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudtrail::Parsed;
    use serde_json::json;
    use serde_json::Value;

    fn detect(v: &Value, context: &Context) -> Option<Hit> {
        super::detect(Parsed::from_value(v).root(), context)
    }

    fn put(params: Value) -> Value {
        json!({"eventName": "PutEventSelectors", "eventSource": "cloudtrail.amazonaws.com",
               "requestParameters": params})
    }

    fn eval(params: Value) -> Option<Hit> {
        detect(&put(params), &Context::default())
    }

    #[test]
    fn basic_selectors() {
        let none = Some(Hit::noted(NONE_RECORDED));
        let reads = Some(Hit::noted(ONLY_READS));
        assert_eq!(
            eval(
                json!({"eventSelectors": [{"includeManagementEvents": false, "readWriteType": "All"}]})
            ),
            none
        );
        assert_eq!(
            eval(
                json!({"eventSelectors": [{"includeManagementEvents": true, "readWriteType": "ReadOnly"}]})
            ),
            reads
        );
        assert_eq!(
            eval(
                json!({"eventSelectors": [{"includeManagementEvents": true, "readWriteType": "WriteOnly"}]})
            ),
            None
        );
        assert_eq!(
            eval(json!({"eventSelectors": [{"dataResources": []}]})),
            None,
            "defaults: management events, read and write"
        );
        assert_eq!(
            eval(json!({"eventSelectors": [
                {"includeManagementEvents": false, "readWriteType": "All"},
                {"includeManagementEvents": true, "readWriteType": "ReadOnly"},
                {"includeManagementEvents": true, "readWriteType": "WriteOnly"}]})),
            None,
            "the union of the selectors counts"
        );
        assert_eq!(eval(json!({"eventSelectors": []})), none);
        assert_eq!(
            eval(json!({"eventSelectors": [{"includeManagementEvents": "no"}]})),
            None
        );
        assert_eq!(eval(json!({"eventSelectors": 5})), None);
    }

    #[test]
    fn advanced_selectors() {
        let mgmt = json!({"field": "eventCategory", "equals": ["Management"]});
        let data = json!({"field": "eventCategory", "equals": ["Data"]});
        let reads = json!({"field": "readOnly", "equals": ["true"]});
        let writes = json!({"field": "readOnly", "equals": ["false"]});
        let sel = |fields: Vec<&Value>| json!({"name": "s", "fieldSelectors": fields});
        let adv = |sels: Vec<Value>| eval(json!({"advancedEventSelectors": sels}));
        assert_eq!(adv(vec![sel(vec![&mgmt])]), None);
        assert_eq!(adv(vec![sel(vec![&mgmt, &writes])]), None);
        assert_eq!(
            adv(vec![sel(vec![&mgmt, &reads])]),
            Some(Hit::noted(ONLY_READS))
        );
        assert_eq!(adv(vec![sel(vec![&data])]), Some(Hit::noted(NONE_RECORDED)));
        assert_eq!(adv(vec![sel(vec![&data]), sel(vec![&mgmt])]), None);
        let not_false = json!({"field": "readOnly", "notEquals": ["false"]});
        assert_eq!(
            adv(vec![sel(vec![&mgmt, &not_false])]),
            Some(Hit::noted(ONLY_READS))
        );
        assert_eq!(adv(vec![json!({"name": "no fields"})]), None);
    }

    #[test]
    fn failed_or_other_calls_do_not_fire() {
        let mut r = put(json!({"eventSelectors": [{"includeManagementEvents": false}]}));
        assert!(detect(&r, &Context::default()).is_some());
        r["errorCode"] = json!("AccessDenied");
        assert_eq!(detect(&r, &Context::default()), None);
        let mut r = put(json!({"eventSelectors": [{"includeManagementEvents": false}]}));
        r["eventName"] = json!("GetEventSelectors");
        assert_eq!(detect(&r, &Context::default()), None);
    }
}
