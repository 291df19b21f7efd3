//! Generated types against their exact wire form: every construct
//! serializes to the JSON QEMU sends and back, and decoding keeps working
//! when a newer server adds enum values, members, union branches or events.

use qmp_types::{Command, EventSet, RawEvent};

use serde_json::{json, Value as Json};

qmp_macros::qapi_schema!("tests/schema/wire.json");

use commands::{Draw, DrawBoxed};
use events::{AnyEvent, Cleared, Drawn};
use types::*;

/// Serializes `value`, checks the JSON, decodes it back and checks equality.
fn round_trip<T>(value: T, wire: Json)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    assert_eq!(serde_json::to_value(&value).unwrap(), wire);
    assert_eq!(serde_json::from_value::<T>(wire).unwrap(), value);
}

#[test]
fn enums_with_digit_leading_and_keyword_values() {
    round_trip(Size::_1g, json!("1g"));
    round_trip(Size::_2m, json!("2m"));
    round_trip(Size::Type, json!("type"));
    assert_eq!(Size::VALUES, &[Size::_1g, Size::_2m, Size::Type]);
    assert_eq!(Size::from("2m").as_str(), "2m");
}

#[test]
fn keyword_members_keep_their_wire_names() {
    round_trip(
        Keywords {
            type_: "t".into(),
            async_: true,
            node_name: "n".into(),
            x86_64: 64,
            self_: Size::_1g,
        },
        json!({"type": "t", "async": true, "node-name": "n", "x86_64": 64, "self": "1g"}),
    );
}

#[test]
fn base_members_and_optional_members() {
    let full = Derived {
        id: "a".into(),
        count: Some(3),
        sizes: vec![Size::_2m],
        tags: Some(vec!["x".into()]),
        child: Some(Box::new(Derived {
            id: "b".into(),
            count: None,
            sizes: vec![],
            tags: None,
            child: None,
        })),
    };
    round_trip(
        full,
        json!({"id": "a", "count": 3, "sizes": ["2m"], "tags": ["x"],
               "child": {"id": "b", "sizes": []}}),
    );
}

#[test]
fn flat_unions() {
    round_trip(
        Figure {
            name: Some("c".into()),
            kind: FigureBranch::Circle(Circle { radius: 1.5 }),
        },
        json!({"name": "c", "kind": "circle", "radius": 1.5}),
    );
    round_trip(
        Figure {
            name: None,
            kind: FigureBranch::Point,
        },
        json!({"kind": "point"}),
    );
    let square: Figure = serde_json::from_value(json!({"side": 2, "kind": "square"})).unwrap();
    assert_eq!(square.kind, FigureBranch::Square(Square { side: 2 }));
    assert_eq!(square.kind.tag(), Shape::Square);
}

#[test]
fn alternates_are_chosen_by_json_type() {
    round_trip(Value::Text("t".into()), json!("t"));
    round_trip(Value::Nothing(()), json!(null));
    round_trip(Value::List(vec![1, 2]), json!([1, 2]));
    round_trip(
        Value::Figure(Figure {
            name: None,
            kind: FigureBranch::Square(Square { side: 1 }),
        }),
        json!({"kind": "square", "side": 1}),
    );
    round_trip(Count::Number(7), json!(7));
    round_trip(Count::Flag(false), json!(false));
    round_trip(Real::Real(0.5), json!(0.5));
    // An integer is a number to a `number` branch.
    assert_eq!(
        serde_json::from_value::<Real>(json!(2)).unwrap(),
        Real::Real(2.0)
    );
    round_trip(Real::Shape(Shape::Circle), json!("circle"));
}

#[test]
fn commands_and_events() {
    assert_eq!(Draw::NAME, "draw");
    round_trip(
        Draw {
            figure: Figure {
                name: None,
                kind: FigureBranch::Point,
            },
            value: Some(Value::List(vec![1])),
        },
        json!({"figure": {"kind": "point"}, "value": [1]}),
    );
    round_trip(
        DrawBoxed(Figure {
            name: None,
            kind: FigureBranch::Point,
        }),
        json!({"kind": "point"}),
    );
    let drawn = AnyEvent::decode("DRAWN", json!({"figure": {"kind": "point"}})).unwrap();
    assert_eq!(
        drawn,
        AnyEvent::Drawn(Drawn {
            figure: Figure {
                name: None,
                kind: FigureBranch::Point
            }
        })
    );
    assert_eq!(drawn.name(), "DRAWN");
    // An event without data arrives with no "data" member at all.
    assert_eq!(
        AnyEvent::decode("CLEARED", Json::Null).unwrap(),
        AnyEvent::Cleared(Cleared {})
    );
}

#[test]
fn a_newer_server_adds_an_enum_value() {
    let size: Size = serde_json::from_value(json!("1t")).unwrap();
    assert_eq!(size, Size::Unrecognized("1t".into()));
    assert_eq!(serde_json::to_value(&size).unwrap(), json!("1t"));
}

#[test]
fn a_newer_server_adds_members() {
    let decoded: Derived =
        serde_json::from_value(json!({"id": "a", "sizes": [], "new-member": {"x": 1}})).unwrap();
    assert_eq!(decoded.id, "a");
    let figure: Figure = serde_json::from_value(
        json!({"kind": "circle", "radius": 2.0, "colour": "red", "name": "n"}),
    )
    .unwrap();
    assert_eq!(figure.kind, FigureBranch::Circle(Circle { radius: 2.0 }));
}

#[test]
fn a_newer_server_adds_a_union_branch() {
    let wire = json!({"kind": "triangle", "name": "t", "base": 3, "height": 4});
    let figure: Figure = serde_json::from_value(wire.clone()).unwrap();
    assert_eq!(figure.name.as_deref(), Some("t"));
    assert_eq!(figure.kind.tag(), Shape::Unrecognized("triangle".into()));
    let FigureBranch::Unrecognized(members) = &figure.kind else {
        panic!("expected the fallback branch, got {:?}", figure.kind);
    };
    assert_eq!(members["height"], json!(4));
    // And it is sent back as it came.
    assert_eq!(serde_json::to_value(&figure).unwrap(), wire);
}

#[test]
fn numbers_come_back_as_they_were_decoded() {
    // A number with more digits than an f64 holds: what it decodes to must
    // encode to text that decodes to the same value again, in a typed
    // member and in a branch kept as JSON alike (serde_json's default
    // number parsing can be one unit in the last place off here).
    let digits = "101111111111111111111111111111111111111111111111\
                  111111111111111111111111111111111111111111148576";
    for text in [
        format!(r#"{{"kind": "circle", "radius": {digits}}}"#),
        format!(r#"{{"kind": "triangle", "base": {digits}, "height": 1.0e-7}}"#),
    ] {
        let figure: Figure = serde_json::from_str(&text).unwrap();
        let again: Figure = serde_json::from_str(&serde_json::to_string(&figure).unwrap()).unwrap();
        assert_eq!(again, figure, "{text}");
    }
}

#[test]
fn a_newer_server_adds_an_event() {
    let event = AnyEvent::decode("PAINT_DRIED", json!({"seconds": 60})).unwrap();
    assert_eq!(
        event,
        AnyEvent::Unknown(RawEvent {
            name: "PAINT_DRIED".into(),
            data: json!({"seconds": 60}),
        })
    );
    assert_eq!(event.name(), "PAINT_DRIED");
}

#[test]
fn decode_errors_name_the_member_and_the_expected_type() {
    let error = serde_json::from_value::<Figure>(json!({"kind": "circle", "radius": "big"}))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("union Figure") && error.contains("circle"),
        "{error}"
    );
    assert!(
        error.contains("f64") || error.contains("number") || error.contains("float"),
        "{error}"
    );
    let error = serde_json::from_value::<Figure>(json!({"name": "x"}))
        .unwrap_err()
        .to_string();
    assert!(error.contains("missing member 'kind'"), "{error}");
    let error = serde_json::from_value::<Value>(json!(true))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("alternate Value") && error.contains("found a boolean"),
        "{error}"
    );
}

#[test]
fn streamed_decoding_errors_say_where_once() {
    // From text, serde_json adds the position (where it stopped: the end of
    // the enclosing object); it is said once, at the end.
    let error = serde_json::from_str::<Derived>(r#"{"id": "a", "sizes": [], "child": {"id": 1}}"#)
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "struct Derived: member 'child': struct Derived: member 'id': \
         invalid type: integer `1`, expected a string at line 1 column 44"
    );
    let error = serde_json::from_str::<Derived>(r#"{"sizes": []}"#)
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "struct Derived: missing member 'id' at line 1 column 13"
    );
    let error = serde_json::from_str::<Derived>(r#"["a"]"#)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("expected struct Derived, an object"),
        "{error}"
    );
}

#[test]
fn a_member_sent_twice_keeps_its_last_value() {
    let decoded: Derived =
        serde_json::from_str(r#"{"id": "a", "sizes": [], "id": "b", "unknown": [{"x": 1}]}"#)
            .unwrap();
    assert_eq!(decoded.id, "b");
    let figure: Figure =
        serde_json::from_str(r#"{"kind": "circle", "radius": 1, "radius": 2}"#).unwrap();
    assert_eq!(figure.kind, FigureBranch::Circle(Circle { radius: 2.0 }));
}

#[test]
fn unions_decode_from_text_in_any_member_order() {
    // Branch members before the discriminator, as QEMU often sends them;
    // an escaped name and string are not borrowed from the text.
    let figure: Figure =
        serde_json::from_str(r#"{"radius": 1.5, "na\u006de": "c\"", "kind": "circle"}"#).unwrap();
    assert_eq!(
        figure,
        Figure {
            name: Some("c\"".into()),
            kind: FigureBranch::Circle(Circle { radius: 1.5 }),
        }
    );
    let wire = r#"{"base": [3], "kind": "triangle", "name": "t", "name": "u", "height": {"h": 4}}"#;
    let figure: Figure = serde_json::from_str(wire).unwrap();
    assert_eq!(figure.name.as_deref(), Some("u"));
    assert_eq!(
        serde_json::to_value(&figure).unwrap(),
        json!({"kind": "triangle", "name": "u", "base": [3], "height": {"h": 4}})
    );
    let error = serde_json::from_str::<Vec<Figure>>(r#"[{"radius": "big", "kind": "circle"}]"#)
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "union Figure: branch 'circle': struct Circle: member 'radius': \
         invalid type: string \"big\", expected f64 at line 1 column 37"
    );
    let error = serde_json::from_str::<Figure>(r#"{"kind": "circle", "name": 5}"#)
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "union Figure: member 'name': invalid type: integer `5`, expected a string"
    );
}
