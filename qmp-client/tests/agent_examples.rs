//! The guest agent examples, run against the live agents of both releases
//! (`qemu-ga` 10.0 and 7.2 on this machine): each example's `run` is
//! called as its `main` calls it, and what it printed is checked against
//! this machine, which is the agent's "guest".

use qmp_test_support::GuestAgent;

#[path = "../examples/agent_cat.rs"]
mod agent_cat;
#[path = "../examples/agent_exec.rs"]
mod agent_exec;
#[path = "../examples/agent_osinfo.rs"]
mod agent_osinfo;

fn socket(agent: &GuestAgent) -> &str {
    agent.socket.to_str().unwrap()
}

#[tokio::test]
async fn osinfo_names_this_machine() {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    for (release, agent) in GuestAgent::every_release(&[]) {
        let mut out = Vec::new();
        agent_osinfo::run(socket(&agent), &mut out)
            .await
            .unwrap_or_else(|e| panic!("{release}: {e}"));
        let out = String::from_utf8(out).unwrap();
        eprint!("{release}:\n{out}");
        let (major, minor) = release.version();
        assert!(
            out.contains(&format!("qemu-ga {major}.{minor}.")),
            "{release}: {out}"
        );
        assert!(
            out.contains(&format!("host:     {}\n", host.trim())),
            "{release}: {out}"
        );
        assert!(out.contains(kernel.trim()), "{release}: {out}");
    }
}

#[tokio::test]
async fn exec_prints_the_output_and_gives_the_status() {
    for (release, agent) in GuestAgent::every_release(&[]) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let args = [
            "-c".to_owned(),
            "echo to-out; echo to-err >&2; exit 7".to_owned(),
        ];
        let status = agent_exec::run(socket(&agent), "sh", &args, &mut out, &mut err)
            .await
            .unwrap_or_else(|e| panic!("{release}: {e}"));
        assert_eq!(status, 7, "{release}");
        assert_eq!(out, b"to-out\n", "{release}");
        assert_eq!(err, b"to-err\n", "{release}");
    }
}

#[tokio::test]
async fn cat_prints_the_file() {
    for (release, agent) in GuestAgent::every_release(&[]) {
        let path = agent.dir.join("note.txt");
        let text = format!("written for {release}\nsecond line\n");
        std::fs::write(&path, &text).unwrap();
        let mut out = Vec::new();
        agent_cat::run(socket(&agent), path.to_str().unwrap(), &mut out)
            .await
            .unwrap_or_else(|e| panic!("{release}: {e}"));
        assert_eq!(String::from_utf8(out).unwrap(), text, "{release}");
    }
}
