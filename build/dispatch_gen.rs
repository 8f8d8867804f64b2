//! Build-script only: generates the JSON entry point (one argument struct and one call per operation)
//! from the *generated client's own method signatures*, so an argument type can never drift from
//! progenitor's. Every catalog operation must map to exactly one client method and every method
//! parameter to exactly one catalog parameter, or the build fails naming the operation.

use super::codegen::catalog::Operation;
use super::codegen::patches::ident_key;
use heck::ToUpperCamelCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use std::collections::BTreeMap;
use syn::{FnArg, GenericArgument, ImplItem, Item, PathArguments, Type};

/// How an owned argument field is passed to the positional client method.
enum Pass {
    /// `&a.x` for `&'a str` / `&'a T`.
    Ref,
    /// `a.x.as_deref()` for `Option<&'a str>`.
    OptDeref,
    /// `a.x.as_ref()` for `Option<&'a T>`.
    OptRef,
    /// `a.x` for owned values.
    Value,
}

fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &seg.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

fn is_str(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.is_ident("str"))
}

/// The owned field type and how to pass it.
fn owned(ty: &Type) -> (TokenStream, Pass) {
    if let Type::Reference(r) = ty {
        return if is_str(&r.elem) {
            (quote!(::std::string::String), Pass::Ref)
        } else {
            let e = &r.elem;
            (quote!(#e), Pass::Ref)
        };
    }
    if let Some(Type::Reference(r)) = option_inner(ty) {
        return if is_str(&r.elem) {
            (
                quote!(::std::option::Option<::std::string::String>),
                Pass::OptDeref,
            )
        } else {
            let e = &r.elem;
            (quote!(::std::option::Option<#e>), Pass::OptRef)
        };
    }
    (quote!(#ty), Pass::Value)
}

fn doc_text(attrs: &[syn::Attribute]) -> String {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `Sends a `GET` request to `/users/{user_id}`` → ("GET", "/users/{user_id}").
fn method_and_path(doc: &str) -> Option<(String, String)> {
    let line = doc
        .lines()
        .find(|l| l.trim_start().starts_with("Sends a `"))?;
    let mut parts = line.split('`');
    parts.next()?;
    let method = parts.next()?.to_string();
    parts.next()?;
    let path = parts.next()?.to_string();
    Some((method, path))
}

/// Generates the dispatcher source from the client file and the catalog.
pub fn generate(file: &syn::File, catalog: &[Operation]) -> Result<syn::File, String> {
    let by_route: BTreeMap<(String, String), &Operation> = catalog
        .iter()
        .map(|o| ((o.method.clone(), o.path.clone()), o))
        .collect();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut items = Vec::new();
    let mut entries = Vec::new();
    for item in &file.items {
        let Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some()
            || !matches!(&*imp.self_ty, Type::Path(p) if p.path.is_ident("Client"))
        {
            continue;
        }
        for ii in &imp.items {
            let ImplItem::Fn(f) = ii else { continue };
            if f.sig.asyncness.is_none() {
                continue;
            }
            let fname = &f.sig.ident;
            let (method, path) = method_and_path(&doc_text(&f.attrs)).ok_or_else(|| {
                format!("client method {fname} has no `Sends a ... request to ...` doc line")
            })?;
            let op = by_route
                .get(&(method.clone(), path.clone()))
                .ok_or_else(|| {
                    format!("client method {fname} ({method} {path}) is not in the catalog")
                })?;
            if let Some(prev) = seen.insert(op.operation_id.clone(), fname.to_string()) {
                return Err(format!(
                    "{} maps to two client methods: {prev} and {fname}",
                    op.operation_id
                ));
            }
            let struct_name = format_ident!("{}Args", fname.to_string().to_upper_camel_case());
            let mut fields = Vec::new();
            let mut call_args = Vec::new();
            let mut mapped = 0usize;
            let mut default_body = "";
            for input in &f.sig.inputs {
                let FnArg::Typed(pt) = input else { continue };
                let syn::Pat::Ident(pi) = &*pt.pat else {
                    return Err(format!("{fname}: unexpected parameter pattern"));
                };
                let ident = &pi.ident;
                let (field_ty, pass) = owned(&pt.ty);
                let wire = if ident == "body" {
                    let required = op.body.ok_or_else(|| {
                        format!("{}: client has a body, catalog has none", op.operation_id)
                    })?;
                    if !required {
                        // An optional body that is left out is sent as an empty value of its type, so
                        // a body type with required fields still reports exactly which are missing.
                        let is_array = op
                            .input_schema
                            .pointer("/properties/body/type")
                            .and_then(|t| t.as_str())
                            == Some("array");
                        default_body = if is_array { "[]" } else { "{}" };
                    }
                    String::from("body")
                } else {
                    let key = ident_key(&ident.to_string());
                    let matches: Vec<_> = op
                        .params
                        .iter()
                        .filter(|p| ident_key(&p.name) == key)
                        .collect();
                    let [p] = matches.as_slice() else {
                        return Err(format!(
                            "{}: parameter {ident} matches {} catalog parameters",
                            op.operation_id,
                            matches.len()
                        ));
                    };
                    mapped += 1;
                    p.name.clone()
                };
                fields.push(quote! { #[serde(rename = #wire)] #ident: #field_ty });
                call_args.push(match pass {
                    Pass::Ref => quote!(&a.#ident),
                    Pass::OptDeref => quote!(a.#ident.as_deref()),
                    Pass::OptRef => quote!(a.#ident.as_ref()),
                    Pass::Value => quote!(a.#ident),
                });
            }
            if mapped != op.params.len() {
                return Err(format!(
                    "{}: client method {fname} takes {mapped} of {} parameters",
                    op.operation_id,
                    op.params.len()
                ));
            }
            let handler = format_ident!("call_{}", fname);
            let op_id = &op.operation_id;
            items.push(quote! {
                #[derive(::serde::Deserialize)]
                #[serde(deny_unknown_fields)]
                #[allow(non_camel_case_types)]
                struct #struct_name { #(#fields,)* }

                fn #handler(args: ::serde_json::Value) -> Result<Prepared, ApiError> {
                    let a: #struct_name = parse_args(args, #default_body)?;
                    Ok(prepared(move |client| {
                        Box::pin(async move { finish(client, client.#fname(#(#call_args),*).await) })
                    }))
                }
            });
            entries.push((op_id.clone(), handler));
        }
    }
    let missing: Vec<_> = catalog
        .iter()
        .filter(|o| !seen.contains_key(&o.operation_id))
        .map(|o| &o.operation_id)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "catalog operations without a client method: {missing:?}"
        ));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let rows = entries
        .iter()
        .map(|(id, h)| quote!(Entry { operation_id: #id, prepare: #h }));
    let tokens = quote! {
        #(#items)*

        /// Every generated operation, sorted by operationId (binary-searchable).
        pub static OPERATIONS: &[Entry] = &[ #(#rows),* ];
    };
    syn::parse2(tokens).map_err(|e| format!("generated dispatcher does not parse: {e}"))
}
