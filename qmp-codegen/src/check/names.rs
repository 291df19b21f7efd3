//! Naming rules: what a QAPI name may look like, and the C name QEMU
//! derives from it (two names clash when their C names are equal).

/// Splits off the optional downstream prefix (`__RFQDN_`) and experimental
/// prefix (`x-`) and returns the stem, or `None` when `name` is not a
/// valid QAPI name at all (also when it would be in the reserved `q_`
/// namespace).
pub fn stem(name: &str) -> Option<&str> {
    // `c_name(name, false).starts_with("q_")`, without building it.
    let mut chars = name.chars();
    if chars.next() == Some('q') && chars.next().is_some_and(|c| !c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut rest = name;
    if let Some(after) = rest.strip_prefix("__") {
        let run = after
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'-')
            .count();
        if run == 0 || after.as_bytes().get(run) != Some(&b'_') {
            return None;
        }
        rest = &after[run + 1..];
    }
    let experimental = rest.len() >= 2 && rest.as_bytes()[..2].eq_ignore_ascii_case(b"x-");
    if experimental && is_stem(&rest[2..]) {
        return Some(&rest[2..]);
    }
    is_stem(rest).then_some(rest)
}

fn is_stem(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Whether a type name's stem is CamelCase: an upper-case letter first,
/// letters and digits only, and at least one lower-case letter.
pub fn is_camel(stem: &str) -> bool {
    let b = stem.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_uppercase()
        && b.iter().all(u8::is_ascii_alphanumeric)
        && b[1..].iter().any(u8::is_ascii_lowercase)
}

/// Whether `s` is a C (C89 to C11, GNU C), C++ keyword or predefined macro
/// name, which a protected C name must not be. A `match` compiles to a
/// switch on the length, far cheaper than scanning a list.
fn is_c_reserved(s: &str) -> bool {
    matches!(
        s,
        // C89
        "auto"
        | "break"
        | "case"
        | "char"
        | "const"
        | "continue"
        | "default"
        | "do"
        | "double"
        | "else"
        | "enum"
        | "extern"
        | "float"
        | "for"
        | "goto"
        | "if"
        | "int"
        | "long"
        | "register"
        | "return"
        | "short"
        | "signed"
        | "sizeof"
        | "static"
        | "struct"
        | "switch"
        | "typedef"
        | "union"
        | "unsigned"
        | "void"
        | "volatile"
        | "while" // C99
        | "inline"
        | "restrict"
        | "_Bool"
        | "_Complex"
        | "_Imaginary" // C11
        | "_Alignas"
        | "_Alignof"
        | "_Atomic"
        | "_Generic"
        | "_Noreturn"
        | "_Static_assert"
        | "_Thread_local" // GNU C
        | "asm"
        | "typeof" // C++
        | "bool"
        | "catch"
        | "class"
        | "const_cast"
        | "delete"
        | "dynamic_cast"
        | "explicit"
        | "false"
        | "friend"
        | "mutable"
        | "namespace"
        | "new"
        | "operator"
        | "private"
        | "protected"
        | "public"
        | "reinterpret_cast"
        | "static_cast"
        | "template"
        | "this"
        | "throw"
        | "true"
        | "try"
        | "typeid"
        | "typename"
        | "using"
        | "virtual"
        | "wchar_t"
        | "and"
        | "and_eq"
        | "bitand"
        | "bitor"
        | "compl"
        | "not"
        | "not_eq"
        | "or"
        | "or_eq"
        | "xor"
        | "xor_eq" // predefined macros
        | "unix"
        | "errno"
        | "mips"
        | "sparc"
        | "i386"
        | "linux"
    )
}

/// [`c_name`], borrowing `name` when it maps to itself (no copy).
pub fn c_name_cow(name: &str, protect: bool) -> std::borrow::Cow<'_, str> {
    let plain = name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let digit_first = name.as_bytes().first().is_some_and(u8::is_ascii_digit);
    if plain && !(protect && (digit_first || is_c_reserved(name))) {
        std::borrow::Cow::Borrowed(name)
    } else {
        std::borrow::Cow::Owned(c_name(name, protect))
    }
}

/// The C identifier QEMU's generator makes of a name: every character
/// other than an ASCII letter, digit or `_` becomes `_`; with `protect`,
/// C keywords and names starting with a digit get a `q_` prefix.
pub fn c_name(name: &str, protect: bool) -> String {
    let mut mapped = String::with_capacity(name.len() + 2);
    if name.is_ascii() {
        mapped.extend(name.bytes().map(|b| {
            if b.is_ascii_alphanumeric() || b == b'_' {
                b as char
            } else {
                '_'
            }
        }));
    } else {
        mapped.extend(name.chars().map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        }));
    }
    let digit_first = mapped.as_bytes().first().is_some_and(u8::is_ascii_digit);
    if protect && (digit_first || is_c_reserved(&mapped)) {
        mapped.insert_str(0, "q_");
    }
    mapped
}

/// The first name whose C name equals an earlier one's, as the indices
/// `(earlier, later)`; `None` when all C names differ. A short list (most
/// are one or two features, a few enum values) is compared pairwise, a
/// long one through a map.
pub fn first_c_name_clash<'n>(
    names: impl ExactSizeIterator<Item = &'n str>,
) -> Option<(usize, usize)> {
    if names.len() < 2 {
        return None;
    }
    let cnames: Vec<std::borrow::Cow<'n, str>> = names.map(|n| c_name_cow(n, true)).collect();
    if cnames.len() <= 16 {
        return cnames.iter().enumerate().find_map(|(later, c)| {
            let earlier = cnames[..later].iter().position(|p| p == c)?;
            Some((earlier, later))
        });
    }
    let mut seen: super::fxhash::HashMap<&str, usize> =
        super::fxhash::HashMap::with_capacity_and_hasher(cnames.len(), Default::default());
    for (later, c) in cnames.iter().enumerate() {
        if let Some(&earlier) = seen.get(c.as_ref()) {
            return Some((earlier, later));
        }
        seen.insert(c, later);
    }
    None
}

/// The built-in type names of QEMU's generator, including the internal
/// empty object type and the arrays of every built-in, which a schema can
/// no more define than `str` itself.
pub fn is_builtin_name(name: &str) -> bool {
    use crate::model::Builtin;
    if name == "q_empty" || Builtin::from_name(name).is_some() {
        return true;
    }
    name.strip_suffix("List")
        .and_then(Builtin::from_name)
        .is_some_and(|b| b != Builtin::QType)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_clash_finds_the_earliest_later_name() {
        let clash = |names: &[&str]| first_c_name_clash(names.iter().copied());
        assert_eq!(clash(&["a-b"]), None);
        assert_eq!(clash(&["a-b", "c", "a_b", "c"]), Some((0, 2)));
        // C keywords get a `q_` prefix.
        assert_eq!(clash(&["x", "if", "q_if"]), Some((1, 2)));
        let many: Vec<String> = (0..40).map(|i| format!("v-{i}")).collect();
        let mut names: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(clash(&names), None);
        names.push("v_7");
        names.push("v-3");
        assert_eq!(clash(&names), Some((7, 40)));
    }

    #[test]
    fn stems() {
        assert_eq!(stem("foo"), Some("foo"));
        assert_eq!(stem("x-foo"), Some("foo"));
        assert_eq!(stem("X-foo"), Some("foo"));
        assert_eq!(stem("x-9"), Some("x-9"));
        assert_eq!(stem("__org.qemu_x-foo"), Some("foo"));
        assert_eq!(stem("__org.qemu_foo-bar_baz"), Some("foo-bar_baz"));
        assert_eq!(stem("__foo"), None);
        assert_eq!(stem("___foo"), None);
        assert_eq!(stem("9foo"), None);
        assert_eq!(stem("q_foo"), None);
        assert_eq!(stem("q-foo"), None);
        assert_eq!(stem("Q_foo"), Some("Q_foo"));
        assert_eq!(stem(""), None);
        assert_eq!(stem("a b"), None);
        assert_eq!(stem("é"), None);
        assert_eq!(stem("xé"), None);
        assert_eq!(stem("__a_xé"), None);
    }

    #[test]
    fn camel() {
        assert!(is_camel("Foo"));
        assert!(is_camel("FOOa"));
        assert!(!is_camel("FOO"));
        assert!(!is_camel("foo"));
        assert!(!is_camel("Foo-bar"));
    }

    #[test]
    fn c_names() {
        assert_eq!(c_name("a-b.c", true), "a_b_c");
        assert_eq!(c_name("int", true), "q_int");
        assert_eq!(c_name("int", false), "int");
        assert_eq!(c_name("1x", true), "q_1x");
        assert_eq!(c_name("é", true), "_");
        for name in ["a-b.c", "int", "1x", "é", "abc", "if", "a_b", ""] {
            for protect in [false, true] {
                assert_eq!(c_name_cow(name, protect), c_name(name, protect));
            }
        }
    }

    #[test]
    fn builtins() {
        assert!(is_builtin_name("str"));
        assert!(is_builtin_name("QType"));
        assert!(is_builtin_name("intList"));
        assert!(!is_builtin_name("QTypeList"));
        assert!(!is_builtin_name("Foo"));
    }
}
