//! JSON as QEMU writes it: `{"a": 1, "b": [2, 3]}`, a space after each
//! colon and comma, members in their type's order. Clients never depend on
//! it, but a person reading the wire (`qmp demo`, `socat`) sees the same
//! text from this server as from QEMU.

use std::io;

use serde::Serialize;
use serde_json::ser::Formatter;

/// The JSON text of `value`, written as QEMU writes it.
pub(crate) fn to_string<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut text = Vec::with_capacity(128);
    value.serialize(&mut serde_json::Serializer::with_formatter(
        &mut text, QemuStyle,
    ))?;
    // serde_json writes valid UTF-8.
    Ok(String::from_utf8(text).unwrap_or_default())
}

struct QemuStyle;

impl Formatter for QemuStyle {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn spaces_follow_colons_and_commas() {
        let value = serde_json::json!({"a": [1, {"b": null}], "c": "x, y: z"});
        assert_eq!(
            super::to_string(&value).unwrap(),
            r#"{"a": [1, {"b": null}], "c": "x, y: z"}"#
        );
    }
}
