//! Lambda entry point: logging, the cold start (configuration, clients, compiled rules), then the runtime
//! loop. Everything else is in the library.

use alerter::cold_start::{cold_start, init_logging};
use alerter::handler::handle_event;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_logging();
    let deps = cold_start().await?;
    let deps = &deps;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        handle_event(event, deps).await
    }))
    .await
}
