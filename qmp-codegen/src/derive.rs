//! The work behind `qmp-macros`: `#[derive(Command)]`, `#[derive(Event)]`
//! and `qapi_schema!`, from tokens to tokens.
//!
//! Attribute errors point at the offending key (syn spans). After an error
//! the derives still emit a stand-in impl, so that one mistake gives one
//! message rather than a cascade of "trait not implemented".

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::{DeriveInput, Ident, LitStr, Path, Type};

use crate::emit::{self, CommandModes, Config, Protocol};
use crate::{check_file, Options};

const COMMAND_KEYS: &str = "name, returns, mode, allow_oob, crate";
const EVENT_KEYS: &str = "name, crate";

/// What `#[qmp(...)]` on a command or event says.
struct Attributes {
    name: Option<LitStr>,
    returns: Option<Type>,
    /// As written; `None` follows the default rule by name.
    modes: Option<CommandModes>,
    allow_oob: bool,
    krate: Path,
}

fn parse_attributes(input: &DeriveInput, command: bool) -> syn::Result<Attributes> {
    let mut attributes = Attributes {
        name: None,
        returns: None,
        modes: None,
        allow_oob: false,
        krate: syn::parse_quote!(::qmp_types),
    };
    let keys = if command { COMMAND_KEYS } else { EVENT_KEYS };
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("qmp")) {
        attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(Ident::to_string)
                .unwrap_or_default();
            match key.as_str() {
                "name" => attributes.name = Some(meta.value()?.parse()?),
                "crate" => attributes.krate = meta.value()?.parse::<LitStr>()?.parse()?,
                "returns" if command => attributes.returns = Some(meta.value()?.parse()?),
                "allow_oob" if command => attributes.allow_oob = true,
                "mode" if command => {
                    let mode: Ident = meta.value()?.parse()?;
                    attributes.modes = Some(parse_modes(&mode)?);
                }
                _ => {
                    return Err(meta.error(format!(
                        "unknown key `{}` in #[qmp(...)]: expected one of {keys}",
                        meta.path.to_token_stream()
                    )))
                }
            }
            Ok(())
        })?;
    }
    Ok(attributes)
}

fn missing_name(input: &DeriveInput, what: &str) -> syn::Error {
    syn::Error::new_spanned(
        &input.ident,
        format!(
            "#[derive({what})] needs #[qmp(name = \"...\")], the {}'s name on the wire",
            what.to_lowercase()
        ),
    )
}

/// `#[derive(Command)]`.
pub fn command(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let (attributes, error) = match parse_attributes(&input, true) {
        Ok(a) if a.name.is_some() => (a, None),
        Ok(a) => {
            let error = missing_name(&input, "Command");
            (a, Some(error))
        }
        Err(error) => (
            Attributes {
                name: None,
                returns: None,
                modes: None,
                allow_oob: false,
                krate: syn::parse_quote!(::qmp_types),
            },
            Some(error),
        ),
    };
    let krate = &attributes.krate;
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let name = attributes
        .name
        .unwrap_or_else(|| LitStr::new("", Span::call_site()));
    let returns = attributes
        .returns
        .map_or_else(|| quote!(#krate::Empty), |t| t.into_token_stream());
    // After an error, allow both modes so that uses compile and only the
    // attribute error is reported.
    let modes = if error.is_some() {
        CommandModes::Both
    } else {
        attributes
            .modes
            .unwrap_or_else(|| CommandModes::by_rule(&name.value(), |_| false))
    };
    let variant = Ident::new(modes.variant(), Span::call_site());
    let allow_oob = attributes.allow_oob;
    let markers = emit::mode_traits(modes, allow_oob)
        .into_iter()
        .map(|marker| {
            let marker = Ident::new(marker, Span::call_site());
            quote! {
                #[automatically_derived]
                impl #impl_generics #krate::mode::#marker for #ident #ty_generics #where_clause {}
            }
        });
    let error = error.map(|e| e.to_compile_error());
    quote! {
        #error

        #[automatically_derived]
        impl #impl_generics #krate::Command for #ident #ty_generics #where_clause {
            const NAME: &'static str = #name;
            const MODES: #krate::mode::Modes = #krate::mode::Modes::#variant;
            const ALLOW_OOB: bool = #allow_oob;
            type Returns = #returns;
        }

        #(#markers)*
    }
}

/// `#[derive(Event)]`.
pub fn event(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let (name, krate, error) = match parse_attributes(&input, false) {
        Ok(Attributes {
            name: Some(name),
            krate,
            ..
        }) => (name, krate, None),
        Ok(a) => (
            LitStr::new("", Span::call_site()),
            a.krate,
            Some(missing_name(&input, "Event")),
        ),
        Err(error) => (
            LitStr::new("", Span::call_site()),
            syn::parse_quote!(::qmp_types),
            Some(error),
        ),
    };
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let error = error.map(|e| e.to_compile_error());
    quote! {
        #error

        #[automatically_derived]
        impl #impl_generics #krate::Event for #ident #ty_generics #where_clause {
            const NAME: &'static str = #name;
        }
    }
}

/// What `qapi_schema!` was given: the schema's path, then options.
struct SchemaInput {
    path: LitStr,
    config: Config,
    /// Whether to add `INTROSPECTION`, as `Builder::introspection` does.
    introspection: bool,
}

/// The mode names `mode = ...` and `command_modes` accept.
fn parse_modes(mode: &Ident) -> syn::Result<CommandModes> {
    Ok(match mode.to_string().as_str() {
        "handshake" => CommandModes::Handshake,
        "negotiation" => CommandModes::Negotiation,
        "operational" => CommandModes::Operational,
        "both" => CommandModes::Both,
        _ => {
            return Err(syn::Error::new_spanned(
                mode,
                "unknown mode: expected `operational`, `negotiation`, `handshake` or `both`",
            ))
        }
    })
}

impl syn::parse::Parse for SchemaInput {
    fn parse(input: syn::parse::ParseStream) -> syn::Result<Self> {
        let path: LitStr = input.parse().map_err(|e| {
            syn::Error::new(e.span(), "expected the schema's path as a string literal")
        })?;
        let mut config = Config::default();
        let mut introspection = false;
        while !input.is_empty() {
            input.parse::<syn::Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse()?;
            input.parse::<syn::Token![=]>()?;
            match key.to_string().as_str() {
                "runtime_path" => {
                    let runtime: LitStr = input.parse()?;
                    // Checked here so that a typo points at the option.
                    runtime.parse::<Path>()?;
                    config.runtime = runtime.value();
                }
                "command_modes" => {
                    let list;
                    syn::bracketed!(list in input);
                    let entries = list.parse_terminated(
                        |entry| {
                            let name: LitStr = entry.parse()?;
                            entry.parse::<syn::Token![=]>()?;
                            let mode: Ident = entry.parse()?;
                            Ok((name.value(), parse_modes(&mode)?))
                        },
                        syn::Token![,],
                    )?;
                    config.modes.extend(entries);
                }
                "introspection" => {
                    introspection = input.parse::<syn::LitBool>()?.value;
                }
                "protocol" => {
                    let protocol: Ident = input.parse()?;
                    config.protocol = match protocol.to_string().as_str() {
                        "qmp" => Protocol::Qmp,
                        "guest_agent" => Protocol::GuestAgent,
                        _ => {
                            return Err(syn::Error::new_spanned(
                                protocol,
                                "unknown protocol: expected `qmp` or `guest_agent`",
                            ))
                        }
                    };
                }
                _ => {
                    return Err(syn::Error::new_spanned(
                        key,
                        "unknown option: expected `runtime_path = \"...\"`, \
                         `command_modes = [\"name\" = mode, ...]`, \
                         `introspection = true` or `protocol = guest_agent`",
                    ))
                }
            }
        }
        Ok(SchemaInput {
            path,
            config,
            introspection,
        })
    }
}

/// `qapi_schema!("path", options...)`: the bindings of a schema, read
/// when the macro expands. A relative path is looked up in the crate's
/// directory (`CARGO_MANIFEST_DIR`), then in `invoking_dir`, the directory
/// of the source file that invokes the macro (as `include_str!` does).
///
/// The options are the [`Builder`](crate::Builder)'s:
/// `runtime_path = "::qmp_client::qmp_types"`,
/// `command_modes = ["qmp_switch_mode" = negotiation, "x-debug" = both]`
/// `introspection = true` (a constant `INTROSPECTION`, what a server
/// built with `qmp-server` serves) and `protocol = guest_agent` (bindings
/// for QEMU's guest agent: commands implement
/// `qmp_types::agent::AgentCommand`, and there is no `events` module).
pub fn qapi_schema(input: TokenStream, invoking_dir: Option<&std::path::Path>) -> TokenStream {
    let SchemaInput {
        path: literal,
        config,
        introspection,
    } = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let base = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default();
    let mut path = std::path::Path::new(&base).join(literal.value());
    if let Some(dir) = invoking_dir.filter(|_| !path.exists()) {
        path = dir.join(literal.value());
    }
    let fail = |message: String| syn::Error::new(literal.span(), message).to_compile_error();
    let checked = match check_file(&path, &Options::default()) {
        Ok(checked) => checked,
        Err(error) => return fail(error.to_string()),
    };
    let Some(schema) = &checked.schema else {
        return fail(format!(
            "the schema has errors:\n{}",
            checked.render(&checked.diagnostics)
        ));
    };
    let tokens = match emit::tokens(schema, &config) {
        Ok(tokens) => tokens.inline_modules(),
        Err(errors) => {
            return fail(format!(
                "cannot generate bindings:\n{}",
                checked.render(&errors)
            ))
        }
    };
    let introspection = introspection.then(|| {
        let json = crate::introspect::to_json(&crate::introspect::introspect(
            schema,
            &crate::introspect::Config::bindings(),
        ));
        let doc = crate::emit::INTROSPECTION_DOC
            .lines()
            .map(|line| line.trim_start_matches("///"));
        quote! {
            #( #[doc = #doc] )*
            pub const INTROSPECTION: &str = #json;
        }
    });
    // Makes cargo rebuild when a schema file changes.
    let files: Vec<String> = checked
        .sources
        .files()
        .filter_map(|(_, f)| std::fs::canonicalize(&f.path).ok())
        .map(|p| p.display().to_string())
        .collect();
    quote! {
        const _: () = { #( let _ = include_bytes!(#files); )* };
        #tokens
        #introspection
    }
}
