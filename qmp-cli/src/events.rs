//! `qmp events`: events as they come, filtered, for a while or a count.

use std::time::Duration;

use qmp_types::{EventSet, Timestamp};
use serde_json::Value;

use crate::cli::{Connection, EventsOptions};
use crate::connect::connect;
use crate::exit::{Exit, Failure};

/// Any event, kept as it came (whatever the schema says of it).
pub struct RawEvent {
    pub name: String,
    pub data: Value,
}

impl EventSet for RawEvent {
    fn decode(name: &str, data: Value) -> Result<Self, serde_json::Error> {
        Ok(RawEvent {
            name: name.to_owned(),
            data,
        })
    }

    fn name(&self) -> &str {
        &self.name
    }
}

pub async fn run(connection: &Connection, options: EventsOptions) -> Result<(), Failure> {
    let regex = options
        .regex
        .as_deref()
        .map(regex::Regex::new)
        .transpose()
        .map_err(|e| Failure::new(Exit::Usage, format!("--regex: {e}")))?;
    let connected = connect(connection).await?;
    let mut events = if options.filter.is_empty() {
        connected.client.events_as::<RawEvent>()
    } else {
        connected
            .client
            .events_named_as::<RawEvent, _>(options.filter.iter().cloned())
    };
    let deadline = options
        .timeout
        .map(|s| tokio::time::Instant::now() + Duration::from_secs_f64(s));
    let mut out = crate::output::Out::stdout();
    let mut seen = 0;
    while options.count.is_none_or(|count| seen < count) {
        let next = match deadline {
            Some(deadline) => match tokio::time::timeout_at(deadline, events.next()).await {
                Ok(next) => next,
                Err(_) if options.count.is_some() => {
                    return Err(Failure::new(
                        Exit::Timeout,
                        format!(
                            "{seen} of {} events before the timeout",
                            options.count.unwrap_or(0)
                        ),
                    ))
                }
                Err(_) => return Ok(()),
            },
            None => events.next().await,
        };
        let (event, timestamp) = match next {
            Some(Ok(item)) => item,
            // The connection is gone: nothing more will come.
            Some(Err(error @ (qmp_client::Error::Disconnected | qmp_client::Error::Io(_)))) => {
                return Err(error.into())
            }
            // A line the client could not route, or events dropped while
            // this process could not keep up: said, and the stream goes on.
            Some(Err(error)) => {
                eprintln!("qmp: {error}");
                continue;
            }
            None => {
                return Err(Failure::new(
                    Exit::Connection,
                    "the server closed the connection",
                ))
            }
        };
        if regex.as_ref().is_some_and(|re| !re.is_match(&event.name)) {
            continue;
        }
        seen += 1;
        out.line(&line(&event, timestamp, &options))?;
    }
    Ok(())
}

/// One event as printed.
fn line(event: &RawEvent, timestamp: Timestamp, options: &EventsOptions) -> String {
    if options.json {
        let mut message = serde_json::json!({
            "event": event.name,
            "timestamp": {"seconds": timestamp.seconds, "microseconds": timestamp.microseconds},
        });
        if !event.data.is_null() {
            message["data"] = event.data.clone();
        }
        return message.to_string();
    }
    let mut text = String::new();
    if options.timestamp {
        text.push_str(&format!(
            "{}.{:06} ",
            timestamp.seconds, timestamp.microseconds
        ));
    }
    text.push_str(&event.name);
    if !event.data.is_null() && event.data != Value::Object(Default::default()) {
        text.push(' ');
        text.push_str(&event.data.to_string());
    }
    text
}
