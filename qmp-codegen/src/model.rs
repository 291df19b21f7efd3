//! The checked model of a schema: what the Rust emitter reads.
//!
//! The checker builds it only from definitions that passed every language
//! rule, so every type reference here resolves, every union discriminator
//! is an enum member of its base, and so on. Nothing here points back into
//! the syntax tree except [`Span`]s (for messages) and cloned [`Doc`]s.
//!
//! Definitions are kept in schema order. The implicit object types QEMU
//! makes for inline command arguments, inline event data and inline union
//! bases come right before the definition that wrote them, marked with
//! [`Definition::implicit`]; they are not counted by
//! [`Schema::explicit_definition_kinds`].

use crate::source::Span;
use crate::syntax::doc::Doc;
use crate::syntax::tree::Str;

/// The kind of a definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefinitionKind {
    /// `enum`
    Enum,
    /// `struct`
    Struct,
    /// `union`
    Union,
    /// `alternate`
    Alternate,
    /// `command`
    Command,
    /// `event`
    Event,
}

impl DefinitionKind {
    /// The keyword that introduces such a definition.
    pub fn keyword(self) -> &'static str {
        match self {
            DefinitionKind::Enum => "enum",
            DefinitionKind::Struct => "struct",
            DefinitionKind::Union => "union",
            DefinitionKind::Alternate => "alternate",
            DefinitionKind::Command => "command",
            DefinitionKind::Event => "event",
        }
    }
}

/// Index of a definition in [`Schema::definitions`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DefId(pub u32);

impl DefId {
    /// The index as `usize`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A checked schema.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    /// Every definition, explicit and implicit, in schema order.
    pub definitions: Vec<Definition>,
    /// Every feature name used anywhere, each once: `deprecated` and
    /// `unstable` first, then in order of first use (QEMU numbers them so).
    pub feature_names: Vec<String>,
}

impl Schema {
    /// The kinds of the definitions written in the schema, in order.
    pub fn explicit_definition_kinds(&self) -> impl Iterator<Item = DefinitionKind> + '_ {
        self.definitions
            .iter()
            .filter(|d| d.implicit.is_none())
            .map(Definition::kind)
    }

    /// The definition with this id.
    ///
    /// # Panics
    ///
    /// If `id` does not come from this schema.
    pub fn definition(&self, id: DefId) -> &Definition {
        &self.definitions[id.index()]
    }

    /// The definition named `name` (explicit definitions only).
    pub fn lookup(&self, name: &str) -> Option<DefId> {
        self.definitions
            .iter()
            .position(|d| d.implicit.is_none() && d.name == name)
            .map(|i| DefId(i as u32))
    }

    /// Every definition with its id, in schema order.
    pub fn iter(&self) -> impl Iterator<Item = (DefId, &Definition)> {
        self.definitions
            .iter()
            .enumerate()
            .map(|(i, d)| (DefId(i as u32), d))
    }

    /// All members of an object type (struct, union or implicit type),
    /// base members first, as they appear on the wire outside any branch.
    /// Empty for other definitions.
    pub fn object_members(&self, id: DefId) -> Vec<&Member> {
        self.object_members_by_owner(id)
            .into_iter()
            .map(|(_, member)| member)
            .collect()
    }

    /// [`Schema::object_members`], each with the struct that defines it
    /// (the object itself, or one of its bases).
    pub fn object_members_by_owner(&self, id: DefId) -> Vec<(DefId, &Member)> {
        let mut chain = Vec::new();
        let mut next = Some(id);
        // Base chains are acyclic in a checked schema; the bound is a
        // safeguard only.
        while let Some(current) = next.take() {
            if chain.len() > self.definitions.len() {
                break;
            }
            chain.push(current);
            next = match &self.definition(current).body {
                Body::Struct(s) => s.base,
                Body::Union(u) => Some(u.base),
                _ => None,
            };
        }
        let mut members = Vec::new();
        for owner in chain.into_iter().rev() {
            if let Body::Struct(s) = &self.definition(owner).body {
                members.extend(s.members.iter().map(|m| (owner, m)));
            }
        }
        members
    }
}

/// One definition.
#[derive(Clone, Debug)]
pub struct Definition {
    /// The QAPI name. Implicit types get QEMU's internal name
    /// (`q_obj_NAME-arg`, `q_obj_NAME-base`), which no schema can write.
    pub name: Str,
    /// The definition's expression; for an implicit type, the expression
    /// of the definition that wrote it inline.
    pub span: Span,
    /// Set for implicit types.
    pub implicit: Option<Implicit>,
    /// The definition doc comment (absent for implicit types: their
    /// members' descriptions are in their owner's doc comment, and copied
    /// into [`Member::doc`]).
    pub doc: Option<Doc>,
    /// The `if` condition.
    pub condition: Option<Condition>,
    /// The definition's features.
    pub features: Vec<Feature>,
    /// What it defines.
    pub body: Body,
}

impl Definition {
    /// The kind of definition (an implicit type is a struct).
    pub fn kind(&self) -> DefinitionKind {
        match self.body {
            Body::Enum(_) => DefinitionKind::Enum,
            Body::Struct(_) => DefinitionKind::Struct,
            Body::Union(_) => DefinitionKind::Union,
            Body::Alternate(_) => DefinitionKind::Alternate,
            Body::Command(_) => DefinitionKind::Command,
            Body::Event(_) => DefinitionKind::Event,
        }
    }

    /// Whether this is `deprecated` (has that feature, unconditionally or not).
    pub fn is_deprecated(&self) -> bool {
        self.features
            .iter()
            .any(|f| f.special == Some(SpecialFeature::Deprecated))
    }
}

/// Why an implicit type exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Implicit {
    /// The definition that wrote the members inline.
    pub owner: DefId,
    /// Which of its parts the type stands for.
    pub role: ImplicitRole,
}

/// The part of a definition an implicit type stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImplicitRole {
    /// A command's inline `data` (its arguments).
    CommandArguments,
    /// An event's inline `data`.
    EventData,
    /// A union's inline `base`.
    UnionBase,
}

/// What a definition defines.
#[derive(Clone, Debug)]
pub enum Body {
    /// An enumeration.
    Enum(EnumType),
    /// A struct, or an implicit object type.
    Struct(StructType),
    /// A discriminated union.
    Union(UnionType),
    /// An alternate: one of several types, told apart by JSON type.
    Alternate(AlternateType),
    /// A command.
    Command(Command),
    /// An event.
    Event(Event),
}

/// An `enum`.
#[derive(Clone, Debug)]
pub struct EnumType {
    /// The values, in order.
    pub values: Vec<EnumValue>,
    /// The `prefix` for C names, if given.
    pub prefix: Option<Str>,
}

/// One enum value.
#[derive(Clone, Debug)]
pub struct EnumValue {
    /// The value as sent on the wire.
    pub name: Str,
    /// Where it is written.
    pub span: Span,
    /// Its `if` condition.
    pub condition: Option<Condition>,
    /// Its features.
    pub features: Vec<Feature>,
    /// Its description in the definition doc comment.
    pub doc: Option<Str>,
}

/// A `struct` (or an implicit object type).
#[derive(Clone, Debug)]
pub struct StructType {
    /// The base struct, whose members come first.
    pub base: Option<DefId>,
    /// The members written here, in order.
    pub members: Vec<Member>,
}

/// A member of an object type.
#[derive(Clone, Debug)]
pub struct Member {
    /// The wire name (without the `*` that marks an optional member).
    pub name: Str,
    /// Where the member's key is written.
    pub span: Span,
    /// Whether it may be absent.
    pub optional: bool,
    /// Its type.
    pub ty: TypeRef,
    /// Its `if` condition.
    pub condition: Option<Condition>,
    /// Its features.
    pub features: Vec<Feature>,
    /// Its description in the doc comment of the definition that wrote it.
    pub doc: Option<Str>,
}

/// A `union`: the base's members plus the members of the branch the
/// discriminator selects.
#[derive(Clone, Debug)]
pub struct UnionType {
    /// The base: a struct, or an implicit type for an inline base.
    pub base: DefId,
    /// The base member whose (enum) value selects the branch.
    pub discriminator: Str,
    /// The discriminator's enum type.
    pub discriminator_type: TypeRef,
    /// One branch per value of the discriminator's enum: first those
    /// written, in order, then the rest (which add no members), in enum order.
    pub branches: Vec<UnionBranch>,
    /// The branch a value without its discriminator is decoded as: never
    /// set by a schema, only by cross-release facts
    /// ([`crate::compat::Compat::apply`]), for a type an older release
    /// sent before it became a union.
    pub untagged: Option<Str>,
}

/// One branch of a union.
#[derive(Clone, Debug)]
pub struct UnionBranch {
    /// The discriminator value that selects it.
    pub name: Str,
    /// Where it is written; the union's span for branches not written.
    pub span: Span,
    /// The object type whose members it adds; `None` for a branch not
    /// written, which adds nothing.
    pub ty: Option<DefId>,
    /// Its `if` condition (a branch not written takes the enum value's).
    pub condition: Option<Condition>,
}

/// An `alternate`.
#[derive(Clone, Debug)]
pub struct AlternateType {
    /// The alternatives, in order; no two share a JSON type.
    pub branches: Vec<AlternateBranch>,
}

/// One alternative of an alternate.
#[derive(Clone, Debug)]
pub struct AlternateBranch {
    /// Its name (used in generated code and docs only).
    pub name: Str,
    /// Where it is written.
    pub span: Span,
    /// Its type.
    pub ty: TypeRef,
    /// Its `if` condition.
    pub condition: Option<Condition>,
    /// Its description in the definition doc comment.
    pub doc: Option<Str>,
}

/// A `command`.
#[derive(Clone, Debug)]
pub struct Command {
    /// The arguments: an object type (implicit for inline `data`); `None`
    /// when the command takes none.
    pub arguments: Option<DefId>,
    /// Whether the arguments are passed as one boxed value.
    pub boxed: bool,
    /// The return type; `None` when it returns an empty object.
    pub returns: Option<TypeRef>,
    /// `false` when `'gen': false`: no code is generated for it in QEMU.
    pub gen: bool,
    /// `false` when `'success-response': false`: no reply on success.
    pub success_response: bool,
    /// `'allow-oob': true`
    pub allow_oob: bool,
    /// `'allow-preconfig': true`
    pub allow_preconfig: bool,
    /// `'coroutine': true`
    pub coroutine: bool,
}

/// An `event`.
#[derive(Clone, Debug)]
pub struct Event {
    /// The data: an object type (implicit for inline `data`); `None` when
    /// the event carries none.
    pub data: Option<DefId>,
    /// Whether the data is passed as one boxed value.
    pub boxed: bool,
}

/// A resolved type reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeRef {
    /// A built-in type.
    Builtin(Builtin),
    /// A type the schema defines.
    Definition(DefId),
    /// An array of the element type (never itself an array).
    Array(Box<TypeRef>),
}

/// The built-in types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    /// `str`
    Str,
    /// `number`: a double.
    Number,
    /// `int`: 64-bit signed.
    Int,
    /// `int8`
    Int8,
    /// `int16`
    Int16,
    /// `int32`
    Int32,
    /// `int64`
    Int64,
    /// `uint8`
    Uint8,
    /// `uint16`
    Uint16,
    /// `uint32`
    Uint32,
    /// `uint64`
    Uint64,
    /// `size`: 64-bit unsigned.
    Size,
    /// `bool`
    Bool,
    /// `null`: only JSON `null`.
    Null,
    /// `any`: any JSON value.
    Any,
    /// `QType`: the built-in enum of JSON value kinds, with the values
    /// [`Builtin::QTYPE_VALUES`].
    QType,
}

/// The JSON type a value of some type is sent as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JsonType {
    /// A string (also enums).
    String,
    /// A number with a fraction.
    Number,
    /// An integer.
    Int,
    /// `true`/`false`.
    Boolean,
    /// `null`.
    Null,
    /// An array.
    Array,
    /// An object.
    Object,
    /// Any JSON value (`any`, alternates).
    Value,
}

impl Builtin {
    /// All built-in types, in QEMU's order.
    pub const ALL: [Builtin; 16] = [
        Builtin::Str,
        Builtin::Number,
        Builtin::Int,
        Builtin::Int8,
        Builtin::Int16,
        Builtin::Int32,
        Builtin::Int64,
        Builtin::Uint8,
        Builtin::Uint16,
        Builtin::Uint32,
        Builtin::Uint64,
        Builtin::Size,
        Builtin::Bool,
        Builtin::Any,
        Builtin::Null,
        Builtin::QType,
    ];

    /// The values of the built-in enum `QType`, in order.
    pub const QTYPE_VALUES: [&'static str; 7] = [
        "none", "qnull", "qnum", "qstring", "qdict", "qlist", "qbool",
    ];

    /// The name a schema uses for it.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Str => "str",
            Builtin::Number => "number",
            Builtin::Int => "int",
            Builtin::Int8 => "int8",
            Builtin::Int16 => "int16",
            Builtin::Int32 => "int32",
            Builtin::Int64 => "int64",
            Builtin::Uint8 => "uint8",
            Builtin::Uint16 => "uint16",
            Builtin::Uint32 => "uint32",
            Builtin::Uint64 => "uint64",
            Builtin::Size => "size",
            Builtin::Bool => "bool",
            Builtin::Null => "null",
            Builtin::Any => "any",
            Builtin::QType => "QType",
        }
    }

    /// The built-in type a schema calls `name`, if any.
    pub fn from_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|b| b.name() == name)
    }

    /// How its values are sent.
    pub fn json_type(self) -> JsonType {
        match self {
            Builtin::Str | Builtin::QType => JsonType::String,
            Builtin::Number => JsonType::Number,
            Builtin::Bool => JsonType::Boolean,
            Builtin::Null => JsonType::Null,
            Builtin::Any => JsonType::Value,
            _ => JsonType::Int,
        }
    }
}

/// An `if` condition: a tree of configuration symbols.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// A configuration symbol (`'CONFIG_FOO'`), true when defined.
    Name(Str),
    /// `{'all': [...]}`: every operand holds (never empty).
    All(Vec<Condition>),
    /// `{'any': [...]}`: some operand holds (never empty).
    Any(Vec<Condition>),
    /// `{'not': ...}`
    Not(Box<Condition>),
}

/// A feature flag of a definition, member or enum value.
#[derive(Clone, Debug)]
pub struct Feature {
    /// Its name.
    pub name: Str,
    /// Where it is written.
    pub span: Span,
    /// Its `if` condition.
    pub condition: Option<Condition>,
    /// Set for the features with a meaning of their own.
    pub special: Option<SpecialFeature>,
    /// Its description in the definition doc comment.
    pub doc: Option<Str>,
}

/// The features with a meaning fixed by the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecialFeature {
    /// `deprecated`: the thing should no longer be used.
    Deprecated,
    /// `unstable`: the thing may change or go away.
    Unstable,
}

impl SpecialFeature {
    /// The special feature called `name`, if it is one.
    pub fn from_name(name: &str) -> Option<SpecialFeature> {
        match name {
            "deprecated" => Some(SpecialFeature::Deprecated),
            "unstable" => Some(SpecialFeature::Unstable),
            _ => None,
        }
    }
}
