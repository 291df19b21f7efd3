//! Doc comments of the schema to rustdoc.
//!
//! QAPI doc text is reStructuredText; rustdoc reads Markdown. The
//! conversion is deliberately small and safe: `@name` references become
//! code spans, and text that Markdown would misread (indentation that would
//! make a code block, and so a doctest; brackets that would make links;
//! angle brackets that would make HTML) is neutralized.

use proc_macro2::TokenStream;
use quote::quote;

use crate::model::{Condition, Feature, SpecialFeature};

/// QAPI doc text as Markdown lines, each starting with a space as `///`
/// comments do.
pub fn markdown(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let mut converted = String::with_capacity(line.len() + 2);
        converted.push(' ');
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '@' if chars.peek().is_some_and(|c| c.is_ascii_alphanumeric()) => {
                    converted.push('`');
                    while let Some(&n) = chars.peek() {
                        if n.is_ascii_alphanumeric() || n == '-' || n == '_' {
                            converted.push(n);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    converted.push('`');
                }
                '[' | ']' | '<' | '>' => {
                    converted.push('\\');
                    converted.push(c);
                }
                _ => converted.push(c),
            }
        }
        out.push(converted.trim_end().to_owned());
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out
}

/// A sentence describing when a conditional item exists.
pub fn condition_note(condition: &Condition) -> String {
    format!(
        " Only in QEMU builds where `{}` holds.",
        condition_text(condition)
    )
}

fn condition_text(condition: &Condition) -> String {
    match condition {
        Condition::Name(name) => name.to_string(),
        Condition::All(list) => format!(
            "all({})",
            list.iter()
                .map(condition_text)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Condition::Any(list) => format!(
            "any({})",
            list.iter()
                .map(condition_text)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Condition::Not(inner) => format!("not({})", condition_text(inner)),
    }
}

/// Doc lines (and `#[deprecated]`) for features, conditions and the text of
/// an item.
pub fn item_attrs(
    text: Option<&str>,
    condition: Option<&Condition>,
    features: &[Feature],
) -> TokenStream {
    let mut lines = text.map(markdown).unwrap_or_default();
    let mut notes = Vec::new();
    if let Some(condition) = condition {
        notes.push(condition_note(condition));
    }
    if features
        .iter()
        .any(|f| f.special == Some(SpecialFeature::Unstable))
    {
        notes.push(" **Unstable**: it may change or disappear in a later QEMU release.".to_owned());
    }
    let plain: Vec<String> = features
        .iter()
        .filter(|f| f.special.is_none())
        .map(|f| format!("`{}`", f.name))
        .collect();
    if !plain.is_empty() {
        notes.push(format!(" Features: {}.", plain.join(", ")));
    }
    if !notes.is_empty() && !lines.is_empty() {
        lines.push(String::new());
    }
    lines.extend(notes);
    let deprecated = features
        .iter()
        .any(|f| f.special == Some(SpecialFeature::Deprecated))
        .then(|| quote! { #[deprecated] });
    quote! { #( #[doc = #lines] )* #deprecated }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_neutralized() {
        assert_eq!(
            markdown("Set @node-name to\n    [x] <y>\n\n"),
            vec![" Set `node-name` to", " \\[x\\] \\<y\\>"]
        );
    }
}
