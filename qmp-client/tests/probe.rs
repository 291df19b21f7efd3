//! `Client::probe` against QEMU 10.0 and 7.2: what each has, asked of its
//! introspection, agrees with the cross-release facts in
//! `schema/compat.txt` (a command the facts date after 7.2 is absent from
//! 7.2, an event member likewise).

mod common;

use common::{Kind, Qemu, Release, HANG_GUARD};
use qmp_client::commands::{BlockdevSetActive, QueryStatus};
use qmp_client::events::{BlockIoError, Shutdown};
use qmp_client::qmp_types::introspection::compare::What;
use qmp_client::Probe;
use qmp_codegen::compat::{Compat, FactKind};

async fn probe(release: Release) -> Option<Probe> {
    let qemu = Qemu::start_release(Kind::System, release)?;
    let client = qemu.operational().await;
    let probe = tokio::time::timeout(HANG_GUARD, client.probe())
        .await
        .unwrap()
        .unwrap();
    Some(probe)
}

fn facts() -> Compat {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/compat.txt");
    Compat::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Whether release `a` (dotted numbers) is older than `b`.
fn older(a: &str, b: &str) -> bool {
    let numbers = |r: &str| -> Vec<u32> { r.split('.').map(|n| n.parse().unwrap()).collect() };
    numbers(a) < numbers(b)
}

#[tokio::test]
async fn the_probe_answers_by_name_type_path_and_value() {
    let Some(probe) = probe(Release::Current).await else {
        return;
    };
    assert!(probe.supports::<QueryStatus>());
    assert!(probe.supports::<BlockdevSetActive>());
    assert!(probe.supports_event::<Shutdown>());
    assert!(!probe.has_command("no-such-command"));
    assert!(probe.has_argument("blockdev-add", "driver"));
    assert!(probe.has_argument("blockdev-add", "cache.direct"));
    assert!(probe.has_argument("blockdev-add", "node-name"));
    assert!(!probe.has_argument("blockdev-add", "cache.no-such-member"));
    assert!(!probe.has_argument("query-status", "anything"));
    assert!(probe.accepts("blockdev-add", "driver", "null-co"));
    assert!(!probe.accepts("blockdev-add", "driver", "no-such-driver"));
    assert!(probe.event_has_member("BLOCK_IO_ERROR", "qom-path"));
    assert!(
        probe.commands().count() > 200,
        "{}",
        probe.commands().count()
    );
}

#[tokio::test]
async fn qemu_7_2_lacks_what_the_facts_date_after_it() {
    let Some(old) = probe(Release::Debian12).await else {
        return;
    };
    let Some(new) = probe(Release::Current).await else {
        return;
    };
    assert!(!old.supports::<BlockdevSetActive>());
    assert!(!old.event_has_member("BLOCK_IO_ERROR", "qom-path"));
    assert!(old.supports_event::<BlockIoError>());
    let facts = facts();
    let mut checked = 0;
    for (subject, since) in &facts.since {
        if !older("7.2", since) {
            continue;
        }
        match subject.kind {
            FactKind::Command if new.has_command(&subject.owner) => {
                assert!(
                    !old.has_command(&subject.owner),
                    "7.2 has {}, which the facts date {since}",
                    subject.owner
                );
                checked += 1;
            }
            FactKind::Event if new.has_event(&subject.owner) => {
                assert!(
                    !old.has_event(&subject.owner),
                    "7.2 has {}, which the facts date {since}",
                    subject.owner
                );
                checked += 1;
            }
            FactKind::Argument
                if new.has_argument(&subject.owner, &subject.name)
                    && old.has_command(&subject.owner) =>
            {
                assert!(
                    !old.has_argument(&subject.owner, &subject.name),
                    "7.2's {} takes {}, which the facts date {since}",
                    subject.owner,
                    subject.name
                );
                checked += 1;
            }
            _ => {}
        }
    }
    eprintln!("facts checked against live QEMU 7.2 and 10.0: {checked}");
    assert!(checked > 10, "{checked}");
}

#[tokio::test]
async fn how_each_release_differs_from_the_bindings() {
    let Some(new) = probe(Release::Current).await else {
        return;
    };
    let bindings = Probe::bindings();
    assert!(bindings.supports::<BlockdevSetActive>());
    let current = new.differences(&bindings);
    eprintln!("QEMU 10.0 system emulator vs bindings: {current:?}");
    // schema/ describes exactly what QEMU 10.0's x86 system emulator and
    // storage daemon have: this binary knows every command the bindings
    // do, save the storage daemon's own, and nothing else.
    assert!(current.commands_unknown.is_empty(), "{current:?}");
    assert!(current.events_unknown.is_empty(), "{current:?}");
    assert!(current.arguments_missing.is_empty(), "{current:?}");
    assert!(current.arguments_unknown.is_empty(), "{current:?}");

    let Some(old) = probe(Release::Debian12).await else {
        return;
    };
    let report = old.differences(&bindings);
    eprintln!(
        "QEMU 7.2 system emulator vs bindings: {} commands and {} events missing, {} unknown \
         commands, {} arguments missing, {} unknown",
        report.commands_missing.len(),
        report.events_missing.len(),
        report.commands_unknown.len(),
        report.arguments_missing.len(),
        report.arguments_unknown.len()
    );
    assert!(report
        .commands_missing
        .contains(&"blockdev-set-active".to_owned()));
    // What 7.2 lacks beyond what 10.0's binary lacks is what the facts date
    // after 7.2.
    let facts = facts();
    let dated = |kind: FactKind, owner: &str, name: &str| {
        facts.since.iter().any(|(subject, since)| {
            subject.kind == kind
                && subject.owner == owner
                && subject.name == name
                && older("7.2", since)
        })
    };
    for command in &report.commands_missing {
        assert!(
            current.commands_missing.contains(command) || dated(FactKind::Command, command, ""),
            "7.2 lacks {command}, which the facts do not date"
        );
    }
    for event in &report.events_missing {
        assert!(
            current.events_missing.contains(event) || dated(FactKind::Event, event, ""),
            "7.2 lacks {event}, which the facts do not date"
        );
    }
    // Argument facts name the type that defines the member (the command
    // itself only for its own inline arguments).
    let argument_dated = |argument: &str| {
        facts.since.iter().any(|(subject, since)| {
            subject.kind == FactKind::Argument && subject.name == argument && older("7.2", since)
        })
    };
    for (command, argument) in &report.arguments_missing {
        assert!(
            dated(FactKind::Argument, command, argument) || argument_dated(argument),
            "7.2's {command} lacks {argument}, which the facts do not date"
        );
    }
}

#[tokio::test]
async fn the_structural_report_against_the_bindings_is_what_they_relaxed() {
    let Some(new) = probe(Release::Current).await else {
        return;
    };
    let report = new.report(&Probe::bindings());
    // The bindings are QEMU 10.0's schema for every target, but for the
    // members older releases leave out, which they make optional. So
    // against one target exactly those differ, and what only other
    // targets have (ours, not this server's: "extra").
    let facts = facts();
    let relaxed: Vec<&str> = facts
        .since
        .keys()
        .filter(|s| s.kind == FactKind::Member)
        .map(|s| s.name.as_str())
        .collect();
    for difference in &report.differences {
        match &difference.what {
            What::Optionality {
                member,
                live_optional: false,
                ..
            } => assert!(relaxed.contains(&member.as_str()), "{difference}"),
            What::Extra(_) => {}
            What::Names(names) if names.missing.is_empty() => {}
            _ => panic!("neither a relaxed member nor another target's: {difference}"),
        }
    }
    eprintln!(
        "QEMU 10.0 system emulator vs the bindings, in depth: {} differences",
        report.mismatches
    );
    assert!(report.mismatches > 0, "the 7.2 relaxations show");
}
