use qmp_macros::Command;

#[derive(serde::Serialize, Command)]
#[qmp(name = "x-negotiate", mode = negotiating)]
struct Negotiate {}

fn main() {}
