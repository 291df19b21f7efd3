//! `qmp verify`: how the connected server differs from the compiled
//! schema, most telling first.
//!
//! What the compiled schema has beyond one server (other targets'
//! commands, the storage daemon's) and members it makes optional so that
//! older releases decode are its design, not differences: they are
//! counted, and listed with `--all`. What the server has that the schema
//! lacks, or describes otherwise in a way a decoder could trip on, is
//! listed and makes the exit code 5.

use qmp_client::Probe;
use qmp_types::introspection::compare::{Difference, What};

use crate::cli::Connection;
use crate::connect::connect;
use crate::exit::{Exit, Failure};
use crate::output::Out;

/// How much a difference matters to a client of this server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Weight {
    /// A decoder can trip on it, or a command or event is unknown.
    Breaks,
    /// Differs, but decodes (extra members, unknown enum values kept).
    Differs,
    /// The compiled schema's design: more than this server has, or a
    /// member optional for older releases.
    ByDesign,
}

fn weigh(difference: &Difference) -> Weight {
    match &difference.what {
        What::Missing(_)
        | What::TypeDiffers { .. }
        | What::Shape { .. }
        | What::UnionTag { .. }
        | What::NotDescribed(_) => Weight::Breaks,
        What::Optionality { live_optional, .. } if *live_optional => Weight::Breaks,
        What::Extra(_) | What::Optionality { .. } => Weight::ByDesign,
        _ => Weight::Differs,
    }
}

pub async fn run(connection: &Connection, all: bool) -> Result<(), Failure> {
    let connected = connect(connection).await?;
    let probe = connected.client.probe().await?;
    let report = probe.report(&Probe::bindings());
    let mut out = Out::stdout();
    let mut weighed: Vec<(Weight, &Difference)> =
        report.differences.iter().map(|d| (weigh(d), d)).collect();
    weighed.sort_by_key(|(weight, _)| *weight);
    let count = |weight| weighed.iter().filter(|(w, _)| *w == weight).count();
    for (weight, difference) in &weighed {
        if all || *weight != Weight::ByDesign {
            out.line(&difference.to_string())?;
        }
    }
    out.line(&format!(
        "commands {}/{} and events {}/{} of the server's known; {} difference(s) a client \
         can trip on, {} that decode, {} by the compiled schema's design{}",
        report.have_commands,
        report.live_commands,
        report.have_events,
        report.live_events,
        count(Weight::Breaks),
        count(Weight::Differs),
        count(Weight::ByDesign),
        if all { "" } else { " (--all lists them)" }
    ))?;
    if count(Weight::Breaks) == 0 {
        Ok(())
    } else {
        Err(Failure::new(
            Exit::Differs,
            "the server has what the compiled schema lacks or describes otherwise",
        ))
    }
}
