//! A user's program, built outside the qmp workspace against its crates by
//! path, as a user's crate depends on them: bindings for its own schema
//! from `build.rs` and from `qapi_schema!`, a command derived by hand, a
//! server for its own protocol with typed handlers and an event, the
//! client against that server and against QEMU (async and blocking), the
//! test double, and the guest agent client.
//!
//! `fleet QEMU_SYSTEM AGENT_SOCKET`: prints a line per step, and exits
//! non-zero at the first that fails. `xtask/tests/downstream.rs` builds
//! and runs it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use qmp_client::commands::{QueryStatus, Quit, Stop};
use qmp_client::qmp_types::{Empty, Event, EventSet};
use qmp_client::{Client, Connector, Operational};
use qmp_server::testing::{Script, ScriptedServer};
use qmp_server::{CommandError, Emitter, Router, Schema, Server};
use serde::{Deserialize, Serialize};

/// The fleet schema's bindings, written by `build.rs`.
mod fleet {
    include!(concat!(env!("OUT_DIR"), "/qapi.rs"));
}

/// The same schema through the proc macro, with its defaults.
mod fleet_macro {
    qmp_macros::qapi_schema!("schema/fleet.json");
}

use fleet::commands::{FleetHello, FleetRename, QueryFleet};
use fleet::events::FleetRenamed;
use fleet::types::{FleetInfo, Health};

/// A QEMU command this program writes by hand instead of taking it from
/// the shipped bindings.
#[derive(Serialize, qmp_macros::Command)]
#[qmp(name = "query-name", returns = NameInfo)]
struct QueryName {}

/// What `query-name` returns.
#[derive(Debug, Deserialize)]
struct NameInfo {
    name: Option<String>,
}

/// No step takes longer than this unless something hangs.
const GUARD: Duration = Duration::from_secs(60);

type Failure = Box<dyn std::error::Error>;

fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [qemu, agent] = &args[..] else {
        return Err("usage: fleet QEMU_SYSTEM AGENT_SOCKET".into());
    };
    blocking_qemu(Path::new(qemu))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let dir = tempfile::tempdir()?;
        tokio::time::timeout(GUARD, own_protocol(dir.path())).await??;
        tokio::time::timeout(GUARD, async_qemu(Path::new(qemu), dir.path())).await??;
        tokio::time::timeout(GUARD, test_double()).await??;
        tokio::time::timeout(GUARD, guest_agent(Path::new(agent))).await??;
        Ok::<_, Failure>(())
    })?;
    println!("done");
    Ok(())
}

/// The blocking client on QEMU's standard input and output.
fn blocking_qemu(qemu: &Path) -> Result<(), Failure> {
    let mut command = std::process::Command::new(qemu);
    command.args(["-machine", "none", "-display", "none", "-qmp", "stdio"]);
    let (client, mut child) = qmp_client::blocking::Client::spawn(command)?;
    let client = client.negotiate(&[])?;
    let status = client.execute(QueryStatus::new())?;
    println!("blocking client: QEMU status {:?}", status.status);
    drop(client);
    let _ = child.kill();
    child.wait()?;
    Ok(())
}

/// The server's state: the fleet's name, and where its events go.
#[derive(Clone)]
struct Fleet {
    name: Arc<Mutex<String>>,
    events: Emitter,
}

async fn query_fleet(fleet: Fleet, _: QueryFleet) -> Result<FleetInfo, CommandError> {
    let name = fleet.name.lock().unwrap().clone();
    let mut info = FleetInfo::new(name, Health::Ok);
    info.machines = Some(3);
    Ok(info)
}

async fn fleet_rename(fleet: Fleet, rename: FleetRename) -> Result<Empty, CommandError> {
    if rename.name.is_empty() {
        return Err(CommandError::generic("a fleet needs a name"));
    }
    let old = std::mem::replace(&mut *fleet.name.lock().unwrap(), rename.name.clone());
    fleet.events.emit(&FleetRenamed::new(old, rename.name));
    Ok(Default::default())
}

/// A server for the fleet schema, and the client negotiating with its own
/// command, running typed commands and receiving its typed event.
async fn own_protocol(dir: &Path) -> Result<(), Failure> {
    let schema = Schema::from_introspection(fleet::INTROSPECTION)?;
    println!(
        "server: negotiation command {}",
        schema.negotiation_command()
    );
    let router = Router::new().route(query_fleet).route(fleet_rename);
    let builder = Server::builder(schema, router).capabilities(Vec::<String>::new());
    let state = Fleet {
        name: Arc::new(Mutex::new("alpha".into())),
        events: builder.emitter(),
    };
    let server = builder.build(state);
    let socket = dir.join("fleet.sock");
    let listener = tokio::net::UnixListener::bind(&socket)?;
    let serving = tokio::spawn({
        let server = server.clone();
        async move { server.serve_unix(listener).await }
    });

    let client = Connector::new().unix(&socket).await?;
    let refused = client
        .execute_raw("query-fleet", serde_json::Value::Null)
        .await
        .expect_err("refused before negotiation");
    println!("client: before negotiation: {refused}");
    let client: Client<Operational> = client.negotiate_with(FleetHello::new()).await?;
    let mut events = client.events_as::<fleet::events::AnyEvent>();
    let info = client.execute(QueryFleet::new()).await?;
    println!(
        "client: fleet {} {:?} with {:?} machines",
        info.name, info.health, info.machines
    );
    client.execute(FleetRename::new("beta".into())).await?;
    let (event, _) = events.next().await.ok_or("no event")??;
    println!("client: event {event:?}");
    let refused = client
        .execute(FleetRename::new(String::new()))
        .await
        .expect_err("an empty name is refused");
    println!("client: {refused}");
    // The macro's bindings are the same protocol: they run too.
    let info = client
        .execute(fleet_macro::commands::QueryFleet::new())
        .await?;
    println!("client (macro bindings): fleet {}", info.name);

    server.shutdown().await;
    serving.await??;
    Ok(())
}

/// The async client against QEMU, which connects to this program's socket
/// (the README's advice for a QEMU a program starts).
async fn async_qemu(qemu: &Path, dir: &Path) -> Result<(), Failure> {
    let socket = dir.join("qemu.sock");
    let listener = tokio::net::UnixListener::bind(&socket)?;
    let mut child = tokio::process::Command::new(qemu)
        .args(["-machine", "none", "-display", "none", "-qmp"])
        .arg(format!("unix:{},server=off", socket.display()))
        .kill_on_drop(true)
        .spawn()?;
    let client = Connector::new()
        .event_queue_limit(1 << 20)
        .listen(&listener)
        .await?;
    let version = &client.greeting().version.qemu;
    println!("QEMU {}.{}: greeted", version.major, version.minor);
    let client = client.negotiate(&[]).await?;
    let mut stops = client.events_named([qmp_client::events::Stop::NAME]);
    let name: NameInfo = client.execute(QueryName {}).await?;
    println!("QEMU: query-name (derived by hand) gives {:?}", name.name);
    client.execute(Stop::new()).await?;
    let (stop, _) = stops.next().await.ok_or("no STOP")??;
    println!("QEMU: event {}", stop.name());
    let probe = client.probe().await?;
    println!(
        "QEMU: probe: query-status supported {}, query-fleet {}",
        probe.supports::<QueryStatus>(),
        probe.has_command("query-fleet")
    );
    client.execute(Quit::new()).await.or_else(|e| match e {
        qmp_client::Error::Disconnected => Ok(Default::default()),
        e => Err(e),
    })?;
    child.wait().await?;
    Ok(())
}

/// The test double, playing QEMU for code under test.
async fn test_double() -> Result<(), Failure> {
    let script =
        Script::new()
            .expect(QueryStatus::new())
            .returns(qmp_client::types::StatusInfo::new(
                false,
                qmp_client::types::RunState::Paused,
            ));
    let double = ScriptedServer::start(script)?;
    let client = Client::connect_unix(double.socket()).await?;
    let client = client.negotiate(&[]).await?;
    let status = client.execute(QueryStatus::new()).await?;
    println!("double: status {:?}", status.status);
    drop(client);
    double.finish().await?;
    println!("double: script done");
    Ok(())
}

/// The guest agent client, on an agent's socket.
async fn guest_agent(socket: &Path) -> Result<(), Failure> {
    let agent = qmp_client::agent::Agent::connect_unix(PathBuf::from(socket)).await?;
    let info = agent
        .execute(qmp_client::qmp_types::agent::commands::GuestInfo::new())
        .await?;
    println!("agent: version {}", info.version);
    let run = agent.exec("sh", &["-c", "echo from the guest"]).await?;
    println!(
        "agent: exec exit {:?}, output {:?}",
        run.exit_code,
        String::from_utf8_lossy(&run.stdout)
    );
    Ok(())
}
