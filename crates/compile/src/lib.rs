//! The rules compiled for other engines: [`eventbridge`], the EventBridge event patterns of the fast path
//! (every CloudTrail event an enabled rule could match), and [`sql`], the rules and hunts as Athena (Trino) SQL
//! over the CloudTrail table. Used by the CLI, the infrastructure tests and the benchmarks; the Lambda does not
//! need them. Pure and synchronous.

pub mod eventbridge;
pub mod sql;
