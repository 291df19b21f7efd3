//! Features, in phase 2 (no two of a definition, member or value with
//! the same C name; special features not on types) and after it (the
//! number of distinct feature names is bounded).

use crate::check::names::{c_name_cow, first_c_name_clash};
use crate::check::shape::{Decl, DeclBody, FeatureDecl, ValueDecl};
use crate::model;

use super::{inline_members, Checker};

/// QEMU's generated code keeps feature sets in a 64-bit mask.
const MAX_FEATURES: usize = 64;

impl<'c, 'a> Checker<'c, 'a> {
    /// A definition's own features: no two with the same C name, and on a
    /// type (`is_type`) none of the special ones.
    pub(super) fn check_definition_features(
        &mut self,
        id: usize,
        features: &[FeatureDecl],
        is_type: bool,
    ) -> Result<(), ()> {
        let decl = self.defs[id].decl;
        self.check_feature_clash(decl, features)?;
        if is_type {
            if let Some(f) = features
                .iter()
                .find(|f| model::SpecialFeature::from_name(f.name).is_some())
            {
                let d = self
                    .error(
                        decl,
                        format!(
                            "feature '{}' applies to commands, events and members, not to types",
                            f.name
                        ),
                    )
                    .with_label(f.span, "not allowed here");
                self.report(d);
                return Err(());
            }
        }
        Ok(())
    }

    /// No two features of a list with the same C name; a clash is reported
    /// in declaration `decl`.
    pub(super) fn check_feature_clash(
        &mut self,
        decl: usize,
        features: &[FeatureDecl],
    ) -> Result<(), ()> {
        let Some((earlier, later)) = first_c_name_clash(features.iter().map(|f| f.name)) else {
            return Ok(());
        };
        let (previous, f) = (&features[earlier], &features[later]);
        let message = if previous.name == f.name {
            format!("feature '{}' is listed twice", f.name)
        } else {
            format!(
                "features '{}' and '{}' have the same C name '{}'",
                previous.name,
                f.name,
                c_name_cow(f.name, true)
            )
        };
        let d = self
            .error(decl, message)
            .with_label(previous.span, "first")
            .with_label(f.span, "again");
        self.report(d);
        Err(())
    }

    /// QEMU numbers the feature names of a schema in a 64-bit mask.
    /// Checks the number of distinct feature names, and returns them in
    /// the order they first occur (the two special ones first).
    pub(super) fn count_features(&mut self) -> Vec<String> {
        let mut names: Vec<&str> = vec!["deprecated", "unstable"];
        let decls: &'c [Decl<'a>] = self.decls;
        for (index, decl) in decls.iter().enumerate() {
            if self.decl_def[index].is_none() {
                continue;
            }
            for f in feature_lists(decl).flatten() {
                if !names.contains(&f.name) {
                    names.push(f.name);
                    if names.len() == MAX_FEATURES + 1 {
                        let d = self
                            .error(index, format!("the schema uses more than {MAX_FEATURES} distinct feature names"))
                            .with_label(f.span, "one too many");
                        self.report(d);
                        return Vec::new();
                    }
                }
            }
        }
        names.into_iter().map(str::to_owned).collect()
    }
}

/// Every list of features a declaration writes: its own, then its enum
/// values' or inline members', in order.
fn feature_lists<'d>(decl: &'d Decl<'_>) -> impl Iterator<Item = &'d [FeatureDecl<'d>]> + 'd {
    let values: &[ValueDecl] = match &decl.body {
        DeclBody::Enum { values, .. } => values,
        _ => &[],
    };
    std::iter::once(decl.features.as_slice())
        .chain(values.iter().map(|v| v.features.as_slice()))
        .chain(inline_members(decl).iter().map(|m| m.features.as_slice()))
}
