use qmp_macros::Command;

#[derive(serde::Serialize, Command)]
#[qmp(name = "query-status", allow_oob, retruns = ())]
struct QueryStatus {}

fn main() {}
