//! One Rust item (or a few) per definition.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Ident, Span as TokenSpan, TokenStream};
use quote::{format_ident, quote};

use super::docs::item_attrs;
use super::names::{camel, snake, type_name};
use super::{
    mode_traits, CommandModes, Config, Namespace, Protocol, Tokens, ANY_MODE_FEATURE,
    HANDSHAKE_FEATURE, NEGOTIATION_FEATURE,
};
use crate::diagnostic::Diagnostic;
use crate::model::{
    AlternateType, Body, Builtin, DefId, Definition, EnumType, JsonType, Member, Schema, TypeRef,
    UnionType,
};

/// Names in Rust's prelude that a schema type may shadow (QEMU's schema
/// defines a `String` struct).
const PRELUDE: [&str; 5] = ["String", "Option", "Vec", "Box", "Result"];

/// Values in Rust's prelude that generated code uses, which a command or
/// event with boxed arguments or data may shadow: they are tuple structs.
const PRELUDE_VALUES: [&str; 2] = ["Some", "None"];

/// The name of the variant that keeps what a newer QEMU adds.
const FALLBACK: &str = "Unrecognized";

pub(super) struct Emitter<'a> {
    schema: &'a Schema,
    config: &'a Config,
    runtime: TokenStream,
    /// Prelude names the schema shadows, written with full paths.
    shadowed: HashSet<&'static str>,
    errors: Vec<Diagnostic>,
    /// Memo for [`Emitter::reaches`].
    reach: HashMap<(DefId, DefId), bool>,
    /// Whether items being emitted go to the `types` module; elsewhere,
    /// types are written `types::Name`, because a command or event may have
    /// the name of a type (`drive-backup` takes a `DriveBackup`).
    in_types: bool,
}

impl<'a> Emitter<'a> {
    pub fn new(schema: &'a Schema, config: &'a Config) -> Self {
        let runtime = config
            .runtime
            .parse()
            .unwrap_or_else(|_| quote!(::qmp_types));
        let shadowed = PRELUDE
            .into_iter()
            .filter(|name| {
                schema.definitions.iter().any(|d| {
                    d.implicit.is_none()
                        && !matches!(d.body, Body::Command(_) | Body::Event(_))
                        && d.name == *name
                })
            })
            .chain(PRELUDE_VALUES.into_iter().filter(|name| {
                schema.definitions.iter().any(|d| {
                    matches!(d.body, Body::Command(_) | Body::Event(_)) && camel(&d.name) == *name
                })
            }))
            .collect();
        Emitter {
            schema,
            config,
            runtime,
            shadowed,
            errors: Vec::new(),
            reach: HashMap::new(),
            in_types: true,
        }
    }

    pub fn emit(mut self) -> Result<Tokens, Vec<Diagnostic>> {
        let mut types = Vec::new();
        let mut commands = Vec::new();
        let mut events = Vec::new();
        let mut type_names = Namespace::default();
        let mut command_names = Namespace::default();
        let mut event_names = Namespace::default();
        event_names.names.insert(
            "AnyEvent".into(),
            ("the enum of all events".into(), self.schema_span()),
        );
        let mut event_variants = Vec::new();

        for (id, def) in self.schema.iter() {
            if def.implicit.is_some() {
                continue;
            }
            let what = format!("{} '{}'", def.kind().keyword(), def.name);
            match &def.body {
                Body::Command(_) => {
                    self.in_types = false;
                    let rust = camel(&def.name);
                    self.claim(&mut command_names, &rust, what, def);
                    commands.push(self.command(id, def, &rust));
                }
                Body::Event(_) if self.config.protocol == Protocol::GuestAgent => {
                    self.errors.push(
                        Diagnostic::language(
                            def.span,
                            format!("{what}: the guest agent sends no events"),
                        )
                        .with_help("remove it, or generate the schema for QMP"),
                    );
                }
                Body::Event(_) => {
                    self.in_types = false;
                    let rust = camel(&def.name);
                    self.claim(&mut event_names, &rust, what, def);
                    events.push(self.event(id, def, &rust));
                    event_variants.push((def, rust));
                }
                body => {
                    self.in_types = true;
                    let rust = type_name(&def.name);
                    self.claim(&mut type_names, &rust, what.clone(), def);
                    if let Body::Union(_) = body {
                        let branch = format!("{rust}Branch");
                        self.claim(
                            &mut type_names,
                            &branch,
                            format!("the branches of {what}"),
                            def,
                        );
                    }
                    types.push(self.type_item(id, def, &rust));
                }
            }
        }
        if self.config.protocol == Protocol::Qmp {
            events.push(self.any_event(&event_variants));
        }

        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        // dead_code: bindings describe a whole protocol and a program uses
        // part of it; included into a binary crate, every item it leaves
        // unused would warn.
        let allow = quote! {
            #![allow(dead_code, deprecated, non_camel_case_types, clippy::large_enum_variant, clippy::enum_variant_names, clippy::derive_partial_eq_without_eq, clippy::upper_case_acronyms, clippy::match_single_binding, clippy::too_many_arguments)]
        };
        let runtime = &self.runtime;
        let (commands, events) = match self.config.protocol {
            Protocol::Qmp => (
                quote! {
                    //! Commands of the schema: each struct holds a command's arguments.
                    #allow
                    #[allow(unused_imports)]
                    use super::types;
                    #[allow(unused_imports)]
                    use #runtime::mode::{HandshakeCommand, NegotiationCommand, OobCommand, OperationalCommand};
                    #(#commands)*
                },
                quote! {
                    //! Events of the schema: each struct holds an event's data.
                    #allow
                    #[allow(unused_imports)]
                    use super::types;
                    #(#events)*
                },
            ),
            // No events module at all: the agent has none to offer.
            Protocol::GuestAgent => (
                quote! {
                    //! Commands of the guest agent's schema: each struct holds a command's arguments.
                    #allow
                    #[allow(unused_imports)]
                    use super::types;
                    #(#commands)*
                },
                TokenStream::new(),
            ),
        };
        Ok(Tokens {
            types: quote! {
                //! Types of the schema: enums, structs, unions and alternates.
                #allow
                #(#types)*
            },
            commands,
            events,
        })
    }

    fn schema_span(&self) -> crate::source::Span {
        self.schema.definitions.first().map_or(
            crate::source::Span::new(crate::source::FileId(0), 0, 0),
            |d| d.span,
        )
    }

    fn claim(&mut self, namespace: &mut Namespace, rust: &str, what: String, def: &Definition) {
        if let Err(error) = namespace.claim(rust, what, def.span) {
            self.errors.push(error);
        }
    }

    // ---- types --------------------------------------------------------

    fn type_item(&mut self, id: DefId, def: &Definition, rust: &str) -> TokenStream {
        let name = ident(rust);
        let attrs = self.definition_attrs(def);
        match &def.body {
            Body::Enum(e) => self.enum_item(def, &name, attrs, e),
            Body::Struct(_) => {
                let members = self.schema.object_members(id);
                self.struct_item(id, def, &name, attrs, &members)
            }
            Body::Union(u) => self.union_item(id, def, &name, attrs, u),
            Body::Alternate(a) => self.alternate_item(def, &name, attrs, a),
            Body::Command(_) | Body::Event(_) => unreachable!("not a type"),
        }
    }

    fn definition_attrs(&self, def: &Definition) -> TokenStream {
        let text = def.doc.as_ref().map(|d| d.body().text.as_str());
        let fallback = format!("The QAPI {} `{}`.", def.kind().keyword(), def.name);
        let text = match text {
            Some(t) if !t.trim().is_empty() => t.to_owned(),
            _ => fallback,
        };
        item_attrs(Some(&text), def.condition.as_ref(), &def.features)
    }

    fn enum_item(
        &mut self,
        def: &Definition,
        name: &Ident,
        attrs: TokenStream,
        e: &EnumType,
    ) -> TokenStream {
        let mut seen = Namespace::default();
        seen.names
            .insert(FALLBACK.into(), ("the fallback variant".into(), def.span));
        let mut variants = Vec::new();
        let mut wire = Vec::new();
        let mut idents = Vec::new();
        for value in &e.values {
            let rust = camel(&value.name);
            if let Err(error) = seen.claim(
                &rust,
                format!("value '{}' of enum '{}'", value.name, def.name),
                value.span,
            ) {
                self.errors.push(error);
            }
            let variant = ident(&rust);
            let doc = described(value.doc.as_deref(), &value.name);
            let attrs = item_attrs(Some(&doc), value.condition.as_ref(), &value.features);
            variants.push(quote! { #attrs #variant, });
            wire.push(value.name.clone());
            idents.push(variant);
        }
        let fallback = ident(FALLBACK);
        let string = self.std_string();
        let runtime = &self.runtime;
        quote! {
            #attrs
            #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
            #[non_exhaustive]
            pub enum #name {
                #(#variants)*
                /// A value this version of the schema does not know, as sent.
                #fallback(#string),
            }

            impl #name {
                /// Every value the schema defines, in schema order.
                pub const VALUES: &'static [#name] = &[#(#name::#idents),*];

                /// The value as sent on the wire.
                pub fn as_str(&self) -> &str {
                    match self {
                        #(#name::#idents => #wire,)*
                        #name::#fallback(value) => value,
                    }
                }
            }

            impl ::core::convert::From<&str> for #name {
                fn from(value: &str) -> Self {
                    match value {
                        #(#wire => #name::#idents,)*
                        other => #name::#fallback(other.into()),
                    }
                }
            }

            impl ::core::fmt::Display for #name {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.write_str(self.as_str())
                }
            }

            impl ::serde::Serialize for #name {
                fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                    serializer.serialize_str(self.as_str())
                }
            }

            impl<'de> ::serde::Deserialize<'de> for #name {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                    #runtime::support::deserialize_enum(deserializer)
                }
            }
        }
    }

    /// A struct of members; used for structs, command arguments and event data.
    fn struct_item(
        &mut self,
        owner: DefId,
        def: &Definition,
        name: &Ident,
        attrs: TokenStream,
        members: &[&Member],
    ) -> TokenStream {
        let fields = self.fields(owner, def, members, None);
        let default = members.iter().all(|m| m.optional).then(|| quote!(Default,));
        let declarations = fields.iter().map(|f| &f.declaration);
        let serialize = self.serialize_members(name, &fields, None);
        let what = format!("{} {}", def.kind().keyword(), def.name);
        let deserialize = self.deserialize_members(name, &what, &fields);
        let new = constructor(&fields, None);
        quote! {
            #attrs
            #[derive(Clone, Debug, #default PartialEq)]
            #[non_exhaustive]
            pub struct #name {
                #(#declarations)*
            }

            impl #name {
                #new
            }

            #serialize

            #deserialize
        }
    }

    /// `Deserialize` for a struct of `fields`, and the `DecodeMembers` impl
    /// it goes through: each member is decoded straight into its field's
    /// type as the object is read; members not in `fields` are skipped.
    fn deserialize_members(&self, name: &Ident, what: &str, fields: &[Field]) -> TokenStream {
        let runtime = &self.runtime;
        if fields.is_empty() {
            // The members are read (and must form an object) all the same.
            return quote! {
                impl<'de> ::serde::Deserialize<'de> for #name {
                    fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                        #runtime::support::deserialize_empty(deserializer, #what)?;
                        ::core::result::Result::Ok(#name {})
                    }
                }
            };
        }
        let (some, none) = (self.prelude("Some"), self.prelude("None"));
        let members = dodge("members", fields);
        let index = dodge("index", fields);
        let wires = fields.iter().map(|f| &f.wire);
        let idents: Vec<&Ident> = fields.iter().map(|f| &f.ident).collect();
        let positions = (0..fields.len()).map(proc_macro2::Literal::usize_unsuffixed);
        let inits = fields.iter().map(|f| {
            let (ident, wire) = (&f.ident, &f.wire);
            if f.optional {
                quote!(#ident)
            } else {
                quote!(#ident: #members.required(#ident, #wire)?)
            }
        });
        quote! {
            impl<'de> ::serde::Deserialize<'de> for #name {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                    #runtime::support::deserialize_object(deserializer)
                }
            }

            impl #runtime::support::DecodeMembers for #name {
                const WHAT: &'static str = #what;
                const MEMBERS: &'static [&'static str] = &[#(#wires),*];

                fn decode_members<'de, A: ::serde::de::MapAccess<'de>>(#members: &mut #runtime::support::Members<A>) -> ::core::result::Result<Self, A::Error> {
                    #(let mut #idents = #none;)*
                    while let #some(#index) = #members.next()? {
                        match #index {
                            #(#positions => #members.value(&mut #idents)?,)*
                            _ => ::core::unreachable!(),
                        }
                    }
                    ::core::result::Result::Ok(#name { #(#inits,)* })
                }
            }
        }
    }

    /// `Serialize` and `SerializeMembers` for an object type: its fields,
    /// then, for a union, its branch (`branch`, the field holding it).
    fn serialize_members(
        &self,
        name: &Ident,
        fields: &[Field],
        branch: Option<&Ident>,
    ) -> TokenStream {
        let runtime = &self.runtime;
        let writes = fields.iter().map(|f| {
            let (ident, wire) = (&f.ident, &f.wire);
            if f.optional {
                quote!(#runtime::support::optional_member(map, #wire, &self.#ident)?;)
            } else {
                quote!(#runtime::support::member(map, #wire, &self.#ident)?;)
            }
        });
        let branch = branch.map(
            |b| quote!(#runtime::support::SerializeMembers::serialize_members(&self.#b, map)?;),
        );
        let map = if fields.is_empty() && branch.is_none() {
            quote!(_map)
        } else {
            quote!(map)
        };
        quote! {
            impl ::serde::Serialize for #name {
                fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                    #runtime::support::serialize_object(self, serializer)
                }
            }

            impl #runtime::support::SerializeMembers for #name {
                fn serialize_members<M: ::serde::ser::SerializeMap>(&self, #map: &mut M) -> ::core::result::Result<(), M::Error> {
                    #(#writes)*
                    #branch
                    ::core::result::Result::Ok(())
                }
            }
        }
    }

    /// The fields for `members`, leaving out the union discriminator `skip`.
    fn fields(
        &mut self,
        owner: DefId,
        def: &Definition,
        members: &[&Member],
        skip: Option<&str>,
    ) -> Vec<Field> {
        let mut seen = Namespace::default();
        let mut fields = Vec::new();
        for member in members {
            let rust = snake(&member.name);
            if let Err(error) = seen.claim(
                &rust,
                format!("member '{}' of '{}'", member.name, def.name),
                member.span,
            ) {
                self.errors.push(error);
            }
            if Some(member.name.as_str()) == skip {
                continue;
            }
            let field = ident(&rust);
            let mut ty = self.ty(&member.ty);
            if self.type_reaches(&member.ty, owner) {
                let boxed = self.prelude("Box");
                ty = quote!(#boxed<#ty>);
            }
            let doc = described(member.doc.as_deref(), &member.name);
            let attrs = item_attrs(Some(&doc), member.condition.as_ref(), &member.features);
            let plain = ty.clone();
            if member.optional {
                let option = self.prelude("Option");
                ty = quote!(#option<#ty>);
            }
            fields.push(Field {
                declaration: quote! { #attrs pub #field: #ty, },
                ident: field,
                ty: plain,
                wire: member.name.to_string(),
                optional: member.optional,
            });
        }
        fields
    }

    fn union_item(
        &mut self,
        id: DefId,
        def: &Definition,
        name: &Ident,
        attrs: TokenStream,
        u: &UnionType,
    ) -> TokenStream {
        let members = self.schema.object_members(id);
        let fields = self.fields(id, def, &members, Some(&u.discriminator));
        let branch_name = format_ident!("{}Branch", name);
        let tag_field = ident(&snake(&u.discriminator));
        let tag_wire = &u.discriminator;
        let tag_type = self.ty(&u.discriminator_type);
        let runtime = self.runtime.clone();
        // An older release's shape without the discriminator decodes as the
        // branch the cross-release facts name.
        let tag_decode = match &u.untagged {
            Some(branch) => {
                let variant = ident(&camel(branch));
                quote!(members.optional(#tag_wire)?.unwrap_or(#tag_type::#variant))
            }
            None => quote!(members.required(#tag_wire)?),
        };

        let mut seen = Namespace::default();
        seen.names
            .insert(FALLBACK.into(), ("the fallback variant".into(), def.span));
        let mut variants = Vec::new();
        let mut decode_arms = Vec::new();
        let mut tag_arms = Vec::new();
        let mut serialize_arms = Vec::new();
        for branch in &u.branches {
            let rust = camel(&branch.name);
            if let Err(error) = seen.claim(
                &rust,
                format!("branch '{}' of union '{}'", branch.name, def.name),
                branch.span,
            ) {
                self.errors.push(error);
            }
            let variant = ident(&rust);
            let wire = &branch.name;
            let doc = format!(" `{}`: `{}`", u.discriminator, branch.name);
            let note = branch.condition.as_ref().map(super::docs::condition_note);
            let note = note.map(|n| quote!(#[doc = ""] #[doc = #n]));
            match branch.ty {
                Some(ty) => {
                    let ty = ident(&type_name(&self.schema.definition(ty).name));
                    variants.push(quote! { #[doc = #doc] #note #variant(#ty), });
                    decode_arms.push(quote! {
                        #tag_type::#variant => #branch_name::#variant(members.rest(#wire)?),
                    });
                    serialize_arms.push(quote! {
                        #branch_name::#variant(branch) => {
                            #runtime::support::member(map, #tag_wire, #wire)?;
                            #runtime::support::SerializeMembers::serialize_members(branch, map)
                        }
                    });
                }
                None => {
                    variants.push(quote! { #[doc = #doc] #note #variant, });
                    decode_arms.push(quote! {
                        #tag_type::#variant => #branch_name::#variant,
                    });
                    serialize_arms.push(quote! {
                        #branch_name::#variant => #runtime::support::member(map, #tag_wire, #wire),
                    });
                }
            }
            let pattern = match branch.ty {
                Some(_) => quote!(#branch_name::#variant(_)),
                None => quote!(#branch_name::#variant),
            };
            tag_arms.push(quote! { #pattern => #tag_type::#variant, });
        }
        let fallback = ident(FALLBACK);
        let string = self.std_string();
        let map = quote!(::serde_json::Map<#string, ::serde_json::Value>);
        let declarations = fields.iter().map(|f| &f.declaration);
        let serialize = self.serialize_members(name, &fields, Some(&tag_field));
        let (idents, decodes) = decode_fields(&fields);
        let tag_doc = format!(
            " The branch, chosen by `{}`, with its members.",
            u.discriminator
        );
        let branch_doc = format!(
            " The branches of [`{name}`], one per value of `{}`.",
            u.discriminator
        );
        let what = format!("union {}", def.name);
        let new = constructor(&fields, Some((&tag_field, quote!(#branch_name))));
        quote! {
            #attrs
            #[derive(Clone, Debug, PartialEq)]
            #[non_exhaustive]
            pub struct #name {
                #(#declarations)*
                #[doc = #tag_doc]
                pub #tag_field: #branch_name,
            }

            impl #name {
                #new
            }

            #[doc = #branch_doc]
            #[derive(Clone, Debug, PartialEq)]
            #[non_exhaustive]
            pub enum #branch_name {
                #(#variants)*
                /// A branch this schema does not know: every member outside
                /// the base, the discriminator included.
                #fallback(#map),
            }

            impl #branch_name {
                /// The discriminator value that selects this branch.
                pub fn tag(&self) -> #tag_type {
                    match self {
                        #(#tag_arms)*
                        #branch_name::#fallback(members) => members
                            .get(#tag_wire)
                            .and_then(|tag| tag.as_str())
                            .map_or_else(|| #tag_type::#fallback(#string::new()), #tag_type::from),
                    }
                }
            }

            #serialize

            impl #runtime::support::SerializeMembers for #branch_name {
                fn serialize_members<M: ::serde::ser::SerializeMap>(&self, map: &mut M) -> ::core::result::Result<(), M::Error> {
                    match self {
                        #(#serialize_arms)*
                        #branch_name::#fallback(members) => #runtime::support::all_members(map, members),
                    }
                }
            }

            impl<'de> ::serde::Deserialize<'de> for #name {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                    let mut members = #runtime::support::Buffered::deserialize(deserializer, #what)?;
                    let tag: #tag_type = #tag_decode;
                    #(let #idents = #decodes;)*
                    let #tag_field = match tag {
                        #(#decode_arms)*
                        #tag_type::#fallback(tag) => #branch_name::#fallback(members.unrecognized(#tag_wire, tag)?),
                    };
                    ::core::result::Result::Ok(#name { #(#idents,)* #tag_field })
                }
            }
        }
    }

    fn alternate_item(
        &mut self,
        def: &Definition,
        name: &Ident,
        attrs: TokenStream,
        a: &AlternateType,
    ) -> TokenStream {
        let mut seen = Namespace::default();
        let mut variants = Vec::new();
        let mut by_json: Vec<(JsonType, Ident)> = Vec::new();
        let mut variant_idents: Vec<Ident> = Vec::new();
        for branch in &a.branches {
            let rust = camel(&branch.name);
            if let Err(error) = seen.claim(
                &rust,
                format!("branch '{}' of alternate '{}'", branch.name, def.name),
                branch.span,
            ) {
                self.errors.push(error);
            }
            let variant = ident(&rust);
            let ty = self.ty(&branch.ty);
            let doc = described(branch.doc.as_deref(), &branch.name);
            let attrs = item_attrs(Some(&doc), branch.condition.as_ref(), &[]);
            variants.push(quote! { #attrs #variant(#ty), });
            variant_idents.push(variant.clone());
            by_json.push((self.json_type(&branch.ty), variant));
        }
        let runtime = &self.runtime;
        let expecting = format!("alternate {}", def.name);
        let arm = |json: JsonType, pattern: TokenStream| {
            by_json.iter().find(|(j, _)| *j == json).map(|(_, v)| {
                let label = v.to_string();
                quote! { #pattern => #runtime::support::decode(value, #expecting, #label).map(#name::#v), }
            })
        };
        let object = arm(JsonType::Object, quote!(::serde_json::Value::Object(_)));
        let array = arm(JsonType::Array, quote!(::serde_json::Value::Array(_)));
        let string = arm(JsonType::String, quote!(::serde_json::Value::String(_)));
        let boolean = arm(JsonType::Boolean, quote!(::serde_json::Value::Bool(_)));
        let null = arm(JsonType::Null, quote!(::serde_json::Value::Null));
        // QEMU takes an integer-looking number for an integer branch, and
        // any other number for a number branch.
        let int = arm(
            JsonType::Int,
            if by_json.iter().any(|(j, _)| *j == JsonType::Number) {
                quote!(::serde_json::Value::Number(n) if n.is_i64() || n.is_u64())
            } else {
                quote!(::serde_json::Value::Number(_))
            },
        );
        let number = arm(JsonType::Number, quote!(::serde_json::Value::Number(_)));
        let expected: Vec<&str> = by_json.iter().map(|(j, _)| json_name(*j)).collect();
        let expected = expected.join(" or ");
        quote! {
            #attrs
            #[derive(Clone, Debug, PartialEq)]
            #[non_exhaustive]
            pub enum #name {
                #(#variants)*
            }

            impl ::serde::Serialize for #name {
                fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                    match self {
                        #(#name::#variant_idents(value) => ::serde::Serialize::serialize(value, serializer),)*
                    }
                }
            }

            impl<'de> ::serde::Deserialize<'de> for #name {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                    let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(deserializer)?;
                    match value {
                        #object #array #string #boolean #null #int #number
                        other => ::core::result::Result::Err(#runtime::support::unexpected(&other, #expecting, #expected)),
                    }
                }
            }
        }
    }

    // ---- commands and events --------------------------------------------

    fn command(&mut self, id: DefId, def: &Definition, rust: &str) -> TokenStream {
        let Body::Command(command) = &def.body else {
            unreachable!()
        };
        if self.config.protocol == Protocol::GuestAgent {
            self.agent_command_fits(def, command.allow_oob);
        }
        let name = ident(rust);
        let attrs = self.definition_attrs(def);
        let item = match (command.arguments, command.boxed) {
            (Some(args), true) => {
                let inner = self.type_path(args);
                self.newtype_item(&name, attrs, inner)
            }
            (Some(args), false) => {
                let members = self.schema.object_members(args);
                self.struct_item(id, def, &name, attrs, &members)
            }
            (None, _) => self.struct_item(id, def, &name, attrs, &[]),
        };
        let runtime = &self.runtime;
        let wire = &def.name;
        let returns = match &command.returns {
            Some(ty) => self.ty(ty),
            None => quote!(#runtime::Empty),
        };
        let success = (!command.success_response).then(|| {
            quote!(
                const SUCCESS_RESPONSE: bool = false;
            )
        });
        if self.config.protocol == Protocol::GuestAgent {
            return quote! {
                #item

                impl #runtime::agent::AgentCommand for #name {
                    const NAME: &'static str = #wire;
                    #success
                    type Returns = #returns;
                }
            };
        }
        let allow_oob = command.allow_oob;
        let modes = self.modes(def);
        let variant = format_ident!("{}", modes.variant());
        let markers = mode_traits(modes, allow_oob).into_iter().map(|marker| {
            let marker = format_ident!("{marker}");
            quote!(impl #marker for #name {})
        });
        quote! {
            #item

            impl #runtime::Command for #name {
                const NAME: &'static str = #wire;
                const MODES: #runtime::mode::Modes = #runtime::mode::Modes::#variant;
                const ALLOW_OOB: bool = #allow_oob;
                #success
                type Returns = #returns;
            }
            #(#markers)*
        }
    }

    /// A struct wrapping one value, sent as that value (boxed arguments
    /// and event data).
    fn newtype_item(&self, name: &Ident, attrs: TokenStream, inner: TokenStream) -> TokenStream {
        quote! {
            #attrs
            #[derive(Clone, Debug, PartialEq)]
            pub struct #name(pub #inner);

            impl ::serde::Serialize for #name {
                fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                    ::serde::Serialize::serialize(&self.0, serializer)
                }
            }

            impl<'de> ::serde::Deserialize<'de> for #name {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                    ::serde::Deserialize::deserialize(deserializer).map(#name)
                }
            }
        }
    }

    /// Reports what a guest agent command cannot have: the agent runs
    /// commands in order, in its one mode.
    fn agent_command_fits(&mut self, def: &Definition, allow_oob: bool) {
        let what = format!("command '{}'", def.name);
        if allow_oob {
            self.errors.push(
                Diagnostic::language(
                    def.span,
                    format!("{what}: the guest agent has no out-of-band execution"),
                )
                .with_help("remove 'allow-oob'"),
            );
        }
        let mode_features = [NEGOTIATION_FEATURE, HANDSHAKE_FEATURE, ANY_MODE_FEATURE];
        for feature in def
            .features
            .iter()
            .filter(|f| mode_features.contains(&&*f.name))
        {
            self.errors.push(
                Diagnostic::language(
                    feature.span,
                    format!(
                        "{what}: the guest agent has no protocol modes, so no '{}'",
                        feature.name
                    ),
                )
                .with_help("remove the feature"),
            );
        }
        if self.config.modes.iter().any(|(name, _)| def.name == *name) {
            self.errors.push(Diagnostic::language(
                def.span,
                format!("{what}: modes were declared for it, but the guest agent has none"),
            ));
        }
    }

    fn modes(&self, def: &Definition) -> CommandModes {
        if let Some((_, modes)) = self.config.modes.iter().find(|(n, _)| def.name == *n) {
            return *modes;
        }
        CommandModes::by_rule(&def.name, |feature| {
            def.features.iter().any(|f| f.name == feature)
        })
    }

    fn event(&mut self, id: DefId, def: &Definition, rust: &str) -> TokenStream {
        let Body::Event(event) = &def.body else {
            unreachable!()
        };
        let name = ident(rust);
        let attrs = self.definition_attrs(def);
        let item = match (event.data, event.boxed) {
            (Some(data), true) => {
                let inner = self.type_path(data);
                self.newtype_item(&name, attrs, inner)
            }
            (Some(data), false) => {
                let members = self.schema.object_members(data);
                self.struct_item(id, def, &name, attrs, &members)
            }
            (None, _) => self.struct_item(id, def, &name, attrs, &[]),
        };
        let runtime = &self.runtime;
        let wire = &def.name;
        quote! {
            #item

            impl #runtime::Event for #name {
                const NAME: &'static str = #wire;
            }
        }
    }

    fn any_event(&mut self, events: &[(&Definition, String)]) -> TokenStream {
        let runtime = &self.runtime;
        let variants: Vec<Ident> = events.iter().map(|(_, rust)| ident(rust)).collect();
        let wires: Vec<&str> = events.iter().map(|(d, _)| d.name.as_str()).collect();
        let docs: Vec<String> = wires.iter().map(|w| format!(" `{w}`")).collect();
        quote! {
            /// Any event of the schema, or one it does not know.
            #[derive(Clone, Debug, PartialEq)]
            #[non_exhaustive]
            pub enum AnyEvent {
                #(#[doc = #docs] #variants(#variants),)*
                /// An event this schema does not describe, as it arrived.
                Unknown(#runtime::RawEvent),
            }

            impl #runtime::EventSet for AnyEvent {
                fn decode(name: &str, data: ::serde_json::Value) -> ::core::result::Result<Self, ::serde_json::Error> {
                    ::core::result::Result::Ok(match name {
                        #(#wires => AnyEvent::#variants(#runtime::support::event_data(data)?),)*
                        _ => AnyEvent::Unknown(#runtime::RawEvent { name: name.into(), data }),
                    })
                }

                fn name(&self) -> &str {
                    match self {
                        #(AnyEvent::#variants(_) => #wires,)*
                        AnyEvent::Unknown(raw) => &raw.name,
                    }
                }
            }
        }
    }

    // ---- type references ------------------------------------------------

    fn prelude(&self, name: &'static str) -> TokenStream {
        if !self.shadowed.contains(name) {
            let name = ident(name);
            return quote!(#name);
        }
        match name {
            "String" => quote!(::std::string::String),
            "Option" => quote!(::core::option::Option),
            "Vec" => quote!(::std::vec::Vec),
            "Box" => quote!(::std::boxed::Box),
            "Some" => quote!(::core::option::Option::Some),
            "None" => quote!(::core::option::Option::None),
            _ => quote!(::core::result::Result),
        }
    }

    fn std_string(&self) -> TokenStream {
        self.prelude("String")
    }

    fn ty(&self, ty: &TypeRef) -> TokenStream {
        match ty {
            TypeRef::Builtin(builtin) => match builtin {
                Builtin::Str | Builtin::QType => self.std_string(),
                Builtin::Number => quote!(f64),
                Builtin::Int | Builtin::Int64 => quote!(i64),
                Builtin::Int8 => quote!(i8),
                Builtin::Int16 => quote!(i16),
                Builtin::Int32 => quote!(i32),
                Builtin::Uint8 => quote!(u8),
                Builtin::Uint16 => quote!(u16),
                Builtin::Uint32 => quote!(u32),
                Builtin::Uint64 | Builtin::Size => quote!(u64),
                Builtin::Bool => quote!(bool),
                Builtin::Null => quote!(()),
                Builtin::Any => quote!(::serde_json::Value),
            },
            TypeRef::Definition(id) => self.type_path(*id),
            TypeRef::Array(inner) => {
                let inner = self.ty(inner);
                let vec = self.prelude("Vec");
                quote!(#vec<#inner>)
            }
        }
    }

    /// A named type, as written where the item being emitted goes.
    fn type_path(&self, id: DefId) -> TokenStream {
        let name = ident(&type_name(&self.schema.definition(id).name));
        if self.in_types {
            quote!(#name)
        } else {
            quote!(types::#name)
        }
    }

    fn json_type(&self, ty: &TypeRef) -> JsonType {
        match ty {
            TypeRef::Builtin(b) => b.json_type(),
            TypeRef::Array(_) => JsonType::Array,
            TypeRef::Definition(id) => match self.schema.definition(*id).body {
                Body::Enum(_) => JsonType::String,
                Body::Alternate(_) => JsonType::Value,
                _ => JsonType::Object,
            },
        }
    }

    /// Whether a member of type `ty` in `owner` makes `owner` contain
    /// itself without an array in between, so the member must be boxed.
    fn type_reaches(&mut self, ty: &TypeRef, owner: DefId) -> bool {
        match ty {
            TypeRef::Definition(id) => self.reaches(*id, owner),
            _ => false,
        }
    }

    fn reaches(&mut self, from: DefId, target: DefId) -> bool {
        if let Some(&known) = self.reach.get(&(from, target)) {
            return known;
        }
        let mut stack = vec![from];
        let mut visited = HashSet::new();
        let mut found = false;
        while let Some(id) = stack.pop() {
            if id == target {
                found = true;
                break;
            }
            if !visited.insert(id) {
                continue;
            }
            let direct = |ty: &TypeRef| match ty {
                TypeRef::Definition(id) => Some(*id),
                _ => None,
            };
            match &self.schema.definition(id).body {
                Body::Struct(_) => stack.extend(
                    self.schema
                        .object_members(id)
                        .iter()
                        .filter_map(|m| direct(&m.ty)),
                ),
                Body::Union(u) => {
                    stack.extend(
                        self.schema
                            .object_members(id)
                            .iter()
                            .filter_map(|m| direct(&m.ty)),
                    );
                    stack.extend(u.branches.iter().filter_map(|b| b.ty));
                }
                Body::Alternate(a) => stack.extend(a.branches.iter().filter_map(|b| direct(&b.ty))),
                _ => {}
            }
        }
        self.reach.insert((from, target), found);
        found
    }
}

/// A struct field: its declaration and what serialization needs.
struct Field {
    declaration: TokenStream,
    ident: Ident,
    /// The member's type, without the `Option` of an optional member.
    ty: TokenStream,
    wire: String,
    optional: bool,
}

/// `new`, taking the required fields in order and leaving the optional
/// ones absent, plus `extra` (a union's branch) last: the way to build a
/// value outside the crate, since generated structs are
/// `#[non_exhaustive]` so that a newer schema's optional members do not
/// break code written against an older one.
fn constructor(fields: &[Field], extra: Option<(&Ident, TokenStream)>) -> TokenStream {
    let required: Vec<&Field> = fields.iter().filter(|f| !f.optional).collect();
    let params = required.iter().map(|f| {
        let (ident, ty) = (&f.ident, &f.ty);
        quote!(#ident: #ty)
    });
    let inits = fields.iter().map(|f| {
        let ident = &f.ident;
        if f.optional {
            quote!(#ident: ::core::option::Option::None)
        } else {
            quote!(#ident)
        }
    });
    let (extra_param, extra_init) = match extra {
        Some((ident, ty)) => (Some(quote!(#ident: #ty)), Some(quote!(#ident))),
        None => (None, None),
    };
    let params = params.chain(extra_param);
    let inits = inits.chain(extra_init);
    quote! {
        /// A value with the given members, every optional member absent.
        pub fn new(#(#params),*) -> Self {
            Self { #(#inits),* }
        }
    }
}

/// A member's, value's or branch's doc text: its description, else its
/// wire name in code style.
fn described(doc: Option<&str>, name: &str) -> String {
    match doc {
        Some(text) if !text.trim().is_empty() => text.to_owned(),
        _ => format!("`{name}`"),
    }
}

/// A name for a generated local that no field's name takes: `base`, or
/// `base` with underscores added.
fn dodge(base: &str, fields: &[Field]) -> Ident {
    let mut name = base.to_owned();
    while fields.iter().any(|f| f.ident == name) {
        name.push('_');
    }
    ident(&name)
}

/// The field names and the expressions that decode them from `members`.
fn decode_fields(fields: &[Field]) -> (Vec<&Ident>, Vec<TokenStream>) {
    fields
        .iter()
        .map(|f| {
            let wire = &f.wire;
            let decode = if f.optional {
                quote!(members.optional(#wire)?)
            } else {
                quote!(members.required(#wire)?)
            };
            (&f.ident, decode)
        })
        .unzip()
}

fn json_name(json: JsonType) -> &'static str {
    match json {
        JsonType::String => "a string",
        JsonType::Number => "a number",
        JsonType::Int => "an integer",
        JsonType::Boolean => "a boolean",
        JsonType::Null => "null",
        JsonType::Array => "an array",
        JsonType::Object => "an object",
        JsonType::Value => "any value",
    }
}

fn ident(name: &str) -> Ident {
    Ident::new(name, TokenSpan::call_site())
}
