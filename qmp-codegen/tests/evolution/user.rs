// Code written against the bindings of v1.json, as a user outside the
// bindings' crate writes it. It must build unchanged against v2.json's.

use bindings::{commands, events, types};

/// Builds the arguments of `draw`: required members through `new`, an
/// optional one by assignment.
pub fn draw() -> commands::Draw {
    let mut pen = types::Pen::new(types::Colour::Red);
    pen.width = Some(2);
    let shape = types::Shape::new(
        "ring".to_owned(),
        types::ShapeBranch::Circle(types::Circle::new(3)),
    );
    commands::Draw::new(shape, pen)
}

/// Reads an answer.
pub fn describe(pen: &types::Pen) -> String {
    let colour = match &pen.colour {
        types::Colour::Red => "red",
        types::Colour::Green => "green",
        types::Colour::Unrecognized(other) => other,
        _ => "another colour",
    };
    format!("{colour}, {} wide", pen.width.unwrap_or(1))
}

/// Reads a shape.
pub fn area(shape: &types::Shape) -> Option<i64> {
    match &shape.kind {
        types::ShapeBranch::Circle(circle) => Some(3 * circle.radius * circle.radius),
        types::ShapeBranch::Square(square) => Some(square.side * square.side),
        _ => None,
    }
}

/// Reads an event.
pub fn drawn(event: &events::AnyEvent) -> Option<&str> {
    match event {
        events::AnyEvent::Drawn(drawn) => Some(&drawn.name),
        _ => None,
    }
}

/// Commands as values, to run.
pub fn queries() -> commands::QueryPen {
    commands::QueryPen::new()
}
